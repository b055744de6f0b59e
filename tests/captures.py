"""Real Cursor captures, kept in tests/data/captures so that a plain clone has them."""

from pathlib import Path

CAPTURES = Path(__file__).resolve().parent / "data" / "captures"


def load(name: str) -> bytes:
    path = CAPTURES / name
    if not path.exists():
        raise FileNotFoundError(f"capture {path} is missing from the repository")
    return bytes.fromhex(path.read_text().strip())
