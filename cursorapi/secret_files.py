"""Secret files on disk: created 0600 in one step, and the SQLite database kept private.

Django-free on purpose: settings.py uses it before Django is set up.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

PRIVATE = 0o600


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    """The secret stored at `path`, made with `make()` when there is none yet.

    The file appears whole and 0600 in one step: written under a temporary name opened 0600, then
    hard-linked to its place, which fails if another process got there first (then its secret is
    the one everybody uses). No moment exists when it is readable by others or half written.
    """
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{id(make)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write(make())
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return path.read_text().strip()


def make_private(path: str | os.PathLike[str]) -> None:
    """Take group and world access away from an SQLite database and its journal files."""
    base = str(path)
    if not base or base == ":memory:" or base.startswith("file:"):
        return
    for name in (base, base + "-wal", base + "-shm", base + "-journal"):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            mode = os.stat(name).st_mode
            if stat.S_IMODE(mode) & 0o077:
                os.chmod(name, stat.S_IMODE(mode) & ~0o077)


def key_beside_database(key_file: Path | None, database_engine: str, database_name: str) -> str | None:
    """Why the token encryption key protects little where it is, or None.

    A key kept in the same directory as an SQLite database leaks with it: a copied data directory
    (a backup, a volume snapshot) carries the tokens and the key that decrypts them.
    """
    if key_file is None or "sqlite" not in database_engine or not database_name:
        return None
    if Path(database_name).resolve().parent != key_file.resolve().parent:
        return None
    return (
        f"Cursor tokens are encrypted with a key stored beside the database ({key_file}): a copy of "
        f"{key_file.parent} carries both. Set TOKEN_ENCRYPTION_KEY (or TOKEN_ENCRYPTION_KEY_FILE outside "
        "that directory); see docs/security.md."
    )
