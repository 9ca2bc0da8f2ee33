"""A bounds-checked reader of the protocol-buffer wire format (enough to read ONNX files).

Protocol buffers encode a message as a sequence of fields ``(key, value)`` where ``key = number << 3 |
wire_type``; wire type 0 is a varint, 1 eight bytes, 2 a length-prefixed byte string (strings, bytes,
nested messages, packed repeated scalars), 5 four bytes. This module walks that sequence and nothing
else: it knows no schema, so it cannot build objects a file names, and every length is checked
against the bytes left before anything is sliced or allocated.
"""

from __future__ import annotations

import struct

from nasbench.errors import DataIntegrityError

__all__ = ["WireError", "fields", "varints", "signed64", "fixed32_float"]

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5
_MAX_VARINT_BYTES = 10  # 64 bits in 7-bit groups


class WireError(DataIntegrityError):
    """The bytes are not a well-formed protocol-buffer message."""


def _varint(buf, i: int, end: int) -> tuple[int, int]:
    """The varint starting at ``buf[i]`` and the index after it."""
    value = shift = 0
    for k in range(_MAX_VARINT_BYTES):
        if i + k >= end:
            raise WireError(f"a varint runs past the end of its message (at byte {i}); the file is truncated.")
        byte = buf[i + k]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i + k + 1
        shift += 7
    raise WireError(f"a varint at byte {i} is longer than {_MAX_VARINT_BYTES} bytes; the file is corrupt.")


def fields(buf: memoryview):
    """Yield ``(field_number, wire_type, value)`` for every field of one message.

    Parameters
    ----------
    buf : memoryview of bytes
        The message's bytes (a whole file, or the value of a length-delimited field).

    Yields
    ------
    number : int
    wire_type : int
        0, 1, 2 or 5 (groups, types 3 and 4, are refused: ONNX never uses them).
    value : int or memoryview
        The varint (unsigned), the little-endian fixed bytes as an int, or the sub-buffer of a
        length-delimited field (no copy).
    """
    i, end = 0, len(buf)
    while i < end:
        key, i = _varint(buf, i, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError(f"field number 0 at byte {i}; the bytes are not a protocol-buffer message.")
        if wire == VARINT:
            value, i = _varint(buf, i, end)
        elif wire in (FIXED64, FIXED32):
            size = 8 if wire == FIXED64 else 4
            if i + size > end:
                raise WireError(f"a {size}-byte field at byte {i} runs past the end of its message.")
            value = int.from_bytes(buf[i:i + size], "little")
            i += size
        elif wire == LENGTH:
            size, i = _varint(buf, i, end)
            if size > end - i:
                raise WireError(f"a field of {size} bytes at byte {i} is longer than the {end - i} bytes left; "
                                "the file is truncated or corrupt.")
            value = buf[i:i + size]
            i += size
        else:
            raise WireError(f"wire type {wire} (field {number}) is not one ONNX uses; the file is corrupt.")
        yield number, wire, value


def varints(wire: int, value) -> list[int]:
    """The unsigned ints of a repeated varint field, packed (one length-delimited value) or not."""
    if wire == VARINT:
        return [value]
    if wire != LENGTH:
        raise WireError(f"expected a varint or a packed list of varints; got wire type {wire}.")
    out, i, end = [], 0, len(value)
    while i < end:
        v, i = _varint(value, i, end)
        out.append(v)
    return out


def signed64(value: int) -> int:
    """An int64 field read as a varint (two's complement in 64 bits) back to a signed int."""
    return value - (1 << 64) if value >= 1 << 63 else value


def fixed32_float(value: int) -> float:
    """A float field (wire type 5) from its little-endian bits."""
    return struct.unpack("<f", value.to_bytes(4, "little"))[0]
