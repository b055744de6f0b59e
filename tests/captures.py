"""The real Cursor captures live in ../shared/reference/captures beside the repository (CI has them too)."""

from pathlib import Path

CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "reference" / "captures"


def load(name: str) -> bytes:
    path = CAPTURES / name
    if not path.exists():
        raise FileNotFoundError(f"capture {path} is missing: the tests need ../shared beside the repository")
    return bytes.fromhex(path.read_text().strip())
