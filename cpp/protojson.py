"""JSON <-> protobuf in the shapes Copilot++ clients use: snake_case names, short lower-case enums.

Editors send the request messages as JSON with the protobuf field names (the original proxy read
them with serde); enums are spelled `"loud"` or `"error"` rather than `CONTROL_TOKEN_LOUD`.
`google.protobuf.json_format` wants the long enum names and prints 64-bit integers as strings, so
the walk over the descriptors is done here, where every error can name the field it is about.
"""

from __future__ import annotations

import math
import struct
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
_FLOATS = (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE)


class BadJson(ValueError):
    """The JSON does not fit the message; `field` is the dotted path of the offending value."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field


# --- enums ---------------------------------------------------------------------------------------


def _enum_prefix(enum: EnumDescriptor) -> str:
    """`CONTROL_TOKEN_` for ControlToken: every value of our enums starts with its zero value's stem."""
    zero = enum.values_by_number.get(0)
    if zero is not None and zero.name.endswith("UNSPECIFIED"):
        return zero.name[: -len("UNSPECIFIED")]
    return ""


def enum_name(enum: EnumDescriptor, number: int) -> str | int:
    """The short lower-case name (`lots_of_added_text`); a number Cursor added later stays a number."""
    value = enum.values_by_number.get(number)
    if value is None:
        return number
    return value.name.removeprefix(_enum_prefix(enum)).lower()


def _enum_number(enum: EnumDescriptor, value: Any, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        if not -(2**31) <= value < 2**31:
            raise BadJson(path, "is out of range")
        return value
    if isinstance(value, str):
        upper = value.strip().upper()
        for candidate in (_enum_prefix(enum) + upper, upper):
            found = enum.values_by_name.get(candidate)
            if found is not None:
                return found.number
    names = ", ".join(
        str(enum_name(enum, v.number)) for v in enum.values if not v.name.endswith("UNSPECIFIED")
    )
    raise BadJson(path, f"expected one of {names}")


# --- JSON -> protobuf ----------------------------------------------------------------------------


def parse(message_type: type[Message], data: Any) -> Message:
    """A message from its JSON object. Unknown keys are ignored and null means "not set"."""
    message = message_type()
    if not isinstance(data, dict):
        raise BadJson("", "the request body must be a JSON object")
    _fill(message, data, "")
    return message


def _fill(message: Message, data: dict[str, Any], prefix: str) -> None:
    fields = message.DESCRIPTOR.fields_by_name
    for key, value in data.items():
        field = fields.get(key)
        if field is None or value is None:
            continue
        path = f"{prefix}{key}"
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            _fill_map(message, field, value, path)
        elif field.is_repeated:
            if not isinstance(value, list):
                raise BadJson(path, "expected an array")
            target = getattr(message, key)
            for index, item in enumerate(value):
                item_path = f"{path}[{index}]"
                if field.message_type is not None:
                    if not isinstance(item, dict):
                        raise BadJson(item_path, "expected an object")
                    _fill(target.add(), item, f"{item_path}.")
                else:
                    target.append(_scalar(field, item, item_path))
        elif field.message_type is not None:
            if not isinstance(value, dict):
                raise BadJson(path, "expected an object")
            sub = getattr(message, key)
            sub.SetInParent()  # `{}` still means "present", as prost's Some(default) does
            _fill(sub, value, f"{path}.")
        else:
            setattr(message, key, _scalar(field, value, path))


def _fill_map(message: Message, field: FieldDescriptor, value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise BadJson(path, "expected an object")
    key_field = field.message_type.fields_by_name["key"]
    value_field = field.message_type.fields_by_name["value"]
    target = getattr(message, field.name)
    for k, v in value.items():
        item_path = f"{path}.{k}"
        if key_field.type == FieldDescriptor.TYPE_STRING:
            key: Any = _scalar(key_field, k, item_path)
        else:  # JSON object keys are text; proto3 JSON writes integer keys as decimal strings
            try:
                key = _scalar(key_field, int(k), item_path)
            except ValueError as exc:
                raise BadJson(item_path, "the key must be an integer") from exc
        if value_field.message_type is not None:
            if not isinstance(v, dict):
                raise BadJson(item_path, "expected an object")
            _fill(target[key], v, f"{item_path}.")
        else:
            target[key] = _scalar(value_field, v, item_path)


def _scalar(field: FieldDescriptor, value: Any, path: str) -> Any:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        if not isinstance(value, str):
            raise BadJson(path, "expected a string")
        if not _is_utf8(value):
            raise BadJson(path, "is not valid Unicode text (a lone surrogate)")
        return value
    if kind == FieldDescriptor.TYPE_BOOL:
        if not isinstance(value, bool):
            raise BadJson(path, "expected true or false")
        return value
    if kind == FieldDescriptor.TYPE_ENUM:
        return _enum_number(field.enum_type, value, path)
    if kind in _FLOATS:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadJson(path, "expected a number")
        try:
            number = float(value)
        except OverflowError as exc:
            raise BadJson(path, "is out of range") from exc
        if kind == FieldDescriptor.TYPE_FLOAT and abs(number) > 3.4028234663852886e38:
            raise BadJson(path, "is out of range for a 32-bit float")
        return number
    if kind in _INT_RANGES:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadJson(path, "expected an integer")
        low, high = _INT_RANGES[kind]
        if not low <= value <= high:
            raise BadJson(path, f"must be between {low} and {high}")
        return value
    if kind == FieldDescriptor.TYPE_BYTES:
        if not isinstance(value, str) or not _is_utf8(value):
            raise BadJson(path, "expected a string")
        return value.encode()
    raise BadJson(path, "has a type this proxy cannot read")  # pragma: no cover - no such field today


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- protobuf -> JSON ----------------------------------------------------------------------------


def to_json(message: Message) -> dict[str, Any]:
    """Every field, as serde prints the prost struct: an unset optional field or message is null."""
    return _object(message, message.DESCRIPTOR)


def _object(message: Message, descriptor: Descriptor) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in descriptor.fields:
        name = field.name
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            out[name] = {k: _value(value_field, v) for k, v in getattr(message, name).items()}
        elif field.is_repeated:
            out[name] = [_value(field, v) for v in getattr(message, name)]
        elif field.has_presence and not message.HasField(name):
            out[name] = None
        else:
            out[name] = _value(field, getattr(message, name))
    return out


def _value(field: FieldDescriptor, value: Any) -> Any:
    if field.message_type is not None:
        return _object(value, field.message_type)
    if field.type == FieldDescriptor.TYPE_ENUM:
        return enum_name(field.enum_type, value)
    if field.type == FieldDescriptor.TYPE_FLOAT:
        return _shortest_float32(value)
    if field.type == FieldDescriptor.TYPE_DOUBLE and not math.isfinite(value):
        return None  # JSON has no NaN or infinity; serde_json prints null for them too
    if field.type == FieldDescriptor.TYPE_BYTES:
        return value.decode("utf-8", "replace")
    return value


def _shortest_float32(value: float) -> float | None:
    """0.005, not 0.004999999888241291: the fewest digits that read back as the same float32."""
    if not math.isfinite(value):
        return None
    packed = struct.pack("<f", value)
    for digits in range(1, 10):
        candidate = float(f"{value:.{digits}g}")
        if struct.pack("<f", candidate) == packed:
            return candidate
    return value
