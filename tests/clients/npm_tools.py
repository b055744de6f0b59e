"""The real coding-agent CLIs, installed from npm at the versions pinned in versions.json.

Each package goes into its own folder of a cache shared across runs and clones
(`CURSORAPI_NPM_CACHE`, default `~/.cache/cursorapi-npm`), so a suite run installs it once.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

VERSIONS: dict[str, str] = json.loads((Path(__file__).with_name("versions.json")).read_text())


def cache_root() -> Path:
    return Path(os.environ.get("CURSORAPI_NPM_CACHE") or Path.home() / ".cache" / "cursorapi-npm")


def install(package: str) -> Path:
    """The `node_modules/.bin` folder holding `package`'s commands; skips the test without npm."""
    if shutil.which("npm") is None:
        import pytest  # here, so that .ci/run can install the CLIs without the venv

        pytest.skip(f"npm is not installed, so the real {package} CLI cannot be run (CI has npm)")
    version = VERSIONS[package]
    home = cache_root() / f"{package.replace('/', '+')}@{version}"
    home.mkdir(parents=True, exist_ok=True)
    done = home / ".installed"
    with open(home / ".lock", "w") as lock:
        # Several test processes (or clones) may ask at once: one installs, the others wait.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            subprocess.run(
                [
                    "npm",
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    "--prefix",
                    str(home),
                    f"{package}@{version}",
                ],
                check=True,
                timeout=600,
            )
            done.touch()
    return home / "node_modules" / ".bin"


if __name__ == "__main__":
    # `python -m tests.clients.npm_tools`: install every pinned CLI (used by .ci/run).
    for name in VERSIONS:
        print(install(name))
