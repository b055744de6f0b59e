"""The part of CBOR (RFC 8949) R4 dynamic keys use: integers, text, byte strings, arrays, null, booleans.

Encoding writes the shortest head for every item, as minicbor does. Decoding refuses what a key never
holds (maps, tags, floats, undefined, indefinite-length strings) and is bounded by its input: it never
allocates more than the bytes it was given, and nesting is capped. No Django imports.
"""

from __future__ import annotations

Value = int | str | bytes | bool | None | list["Value"]

MAX_DEPTH = 16
_UINT, _NINT, _BYTES, _TEXT, _ARRAY, _MAP, _TAG, _SIMPLE = range(8)
_FALSE, _TRUE, _NULL = 0xF4, 0xF5, 0xF6
_BREAK = 0xFF
_INDEFINITE_ARRAY = 0x9F


class CBORError(ValueError):
    """Input that is not CBOR this module reads; the message says where and why."""


def _head(major: int, number: int) -> bytes:
    if number < 24:
        return bytes([major << 5 | number])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if number < 1 << (8 * size):
            return bytes([major << 5 | info]) + number.to_bytes(size, "big")
    raise CBORError("integer does not fit in 64 bits")


def dumps(value: Value) -> bytes:
    out = bytearray()
    _encode(value, out)
    return bytes(out)


def _encode(value: Value, out: bytearray) -> None:
    # bool before int: True is an int to Python, a simple value to CBOR.
    if value is None:
        out.append(_NULL)
    elif value is True:
        out.append(_TRUE)
    elif value is False:
        out.append(_FALSE)
    elif isinstance(value, int):
        out += _head(_UINT, value) if value >= 0 else _head(_NINT, -1 - value)
    elif isinstance(value, str):
        data = value.encode()
        out += _head(_TEXT, len(data)) + data
    elif isinstance(value, bytes):
        out += _head(_BYTES, len(value)) + value
    elif isinstance(value, list):
        out += _head(_ARRAY, len(value))
        for item in value:
            _encode(item, out)
    else:
        raise CBORError(f"cannot encode a {type(value).__name__}")


def loads(data: bytes) -> Value:
    """The one item `data` holds; trailing bytes are an error."""
    reader = _Reader(data)
    value = reader.item(0)
    if reader.pos != len(data):
        raise CBORError(f"{len(data) - reader.pos} bytes after the item")
    return value


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.data):
            raise CBORError(f"the input ends inside an item (offset {self.pos})")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def item(self, depth: int) -> Value:
        if depth > MAX_DEPTH:
            raise CBORError(f"arrays nested more than {MAX_DEPTH} deep")
        start = self.pos
        initial = self.take(1)[0]
        major, info = initial >> 5, initial & 31
        if major == _SIMPLE:
            if initial == _FALSE:
                return False
            if initial == _TRUE:
                return True
            if initial == _NULL:
                return None
            raise CBORError(f"unsupported simple value or float 0x{initial:02x} at offset {start}")
        if major in (_MAP, _TAG):
            raise CBORError(f"unsupported {'map' if major == _MAP else 'tag'} at offset {start}")
        if info == 31:
            if major != _ARRAY:
                raise CBORError(f"unsupported indefinite-length item at offset {start}")
            return self._indefinite_array(depth)
        number = self._argument(info, start)
        if major == _UINT:
            return number
        if major == _NINT:
            return -1 - number
        if major == _BYTES:
            return self.take(number)
        if major == _TEXT:
            try:
                return self.take(number).decode()
            except UnicodeDecodeError as exc:
                raise CBORError(f"text at offset {start} is not UTF-8") from exc
        # An array: every element takes at least one byte, so a length past the input is refused
        # before anything is built for it.
        if number > len(self.data) - self.pos:
            raise CBORError(f"the array at offset {start} is longer than the input")
        return [self.item(depth + 1) for _ in range(number)]

    def _argument(self, info: int, start: int) -> int:
        if info < 24:
            return info
        if info <= 27:
            return int.from_bytes(self.take(1 << (info - 24)), "big")
        raise CBORError(f"reserved additional information {info} at offset {start}")

    def _indefinite_array(self, depth: int) -> list[Value]:
        items: list[Value] = []
        while True:
            if self.pos >= len(self.data):
                raise CBORError("the input ends inside an indefinite-length array")
            if self.data[self.pos] == _BREAK:
                self.pos += 1
                return items
            items.append(self.item(depth + 1))
