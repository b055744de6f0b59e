from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cursorapi import original_env
from runtime import config, services, toml_config


class Command(BaseCommand):
    help = (
        "Import the original's (0.4) config.toml into the runtime configuration: share_token, "
        "dynamic_key_secret, model_usage_checks, raw_model_fetch_mode, emulated_platform, ..."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="path of the config.toml")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        try:
            values = toml_config.parse(text)
        except toml_config.InvalidToml as exc:
            raise CommandError(f"{file}: {exc}") from exc
        current = config.config_hash(config.effective(services.current_overrides()))
        try:
            changed = services.update(current, values)
        except services.StaleHash as exc:
            raise CommandError("the configuration changed while importing: run the command again") from exc
        secret = {"share_token", "dynamic_key_secret"}
        for key in sorted(values):
            shown = "(set)" if key in secret and values[key] else repr(values[key])
            self.stdout.write(f"{key} = {shown}")
        if problem := original_env.version_warning(values.get("cursor_client_version", "")):
            self.stderr.write(f"warning: {problem}")
        self.stdout.write("imported" + ("" if changed else " (nothing changed)"))
