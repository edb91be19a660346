"""RFC 8785 (JCS) canonical JSON for ledger entries, limited to strings, safe integers, booleans,
null, arrays and objects.

Ledger events carry identifiers and amounts as strings, so floats are refused outright: they are
the one part of JCS whose serialisation differs between languages in practice.
"""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any, Callable, TypeAlias, cast

import rfc8785

try:  # optional accelerator; the standard library path gives the same bytes, only slower
    import orjson
except ImportError:  # pragma: no cover - exercised where orjson is not installed
    _HAVE_ORJSON = False
else:
    _HAVE_ORJSON = True

MAX_SAFE_INTEGER = 2**53 - 1

# The values canonical_bytes accepts (subclasses of these encode as their base type).
JsonValue: TypeAlias = str | int | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


class CanonicalError(ValueError):
    """A value cannot be written as a Serial Ledger canonical JSON document."""


def _storable(value: object) -> bool:
    """Fast test of the rules below, without building paths (it runs once per appended event)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if type(value) is int:
        return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    if type(value) is dict:
        return all(type(key) is str and _storable(element) for key, element in value.items())
    if type(value) is list:
        return all(_storable(element) for element in value)
    return False


def _check_value(value: object) -> None:
    if _storable(value):
        return
    pending = [(value, "$")]
    while pending:
        item, path = pending.pop()
        if item is None or isinstance(item, (bool, str)):
            continue
        if isinstance(item, int):
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                raise CanonicalError(f"{path}: integer {item} is outside +-(2**53 - 1)")
        elif isinstance(item, float):
            raise CanonicalError(f"{path}: floats are not allowed; write the number as a string")
        elif isinstance(item, list):
            pending.extend((element, f"{path}[{i}]") for i, element in enumerate(item))
        elif isinstance(item, dict):
            for key, element in item.items():
                if not isinstance(key, str):
                    raise CanonicalError(f"{path}: object key {key!r} is not a string")
                pending.append((element, f"{path}.{key}"))
        else:
            raise CanonicalError(f"{path}: {type(item).__name__} is not a JSON type")
    # Subclasses of str/int/list/dict pass the detailed walk but not the exact-type test; they
    # encode as their base type, which is what JSON can express.


def canonical_bytes(value: object) -> bytes:
    """Return the RFC 8785 serialisation of value.

    Requires value to be built from str, int within +-(2**53 - 1), bool, None, list and dict with
    str keys, and its strings to be valid Unicode (no lone surrogates). Raises CanonicalError.
    """
    _check_value(value)
    fast = sorted_compact(value)
    if fast is not None and not _FOUR_BYTE_UTF8.search(fast):
        return fast
    try:
        return rfc8785.dumps(cast(JsonValue, value))  # _check_value let only these types through
    except rfc8785.CanonicalizationError as error:
        raise CanonicalError(str(error)) from error


def _refuse_number(text: str) -> None:
    raise ValueError(f"number {text} is not a safe integer")


def _safe_integer(text: str) -> int:
    number = int(text)
    if not -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER:
        _refuse_number(text)
    return number


_DECODER = json.JSONDecoder(parse_float=_refuse_number, parse_int=_safe_integer, parse_constant=_refuse_number)
_FAST_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_FOUR_BYTE_UTF8 = re.compile(rb"[\xf0-\xf4]")


def _encode_sorted(value: object) -> bytes:
    return _FAST_ENCODER.encode(value).encode("utf-8")


# `loads` parses JSON bytes (orjson when installed) and raises ValueError on invalid input.
# `raw_sorted_compact` is the encoder behind `sorted_compact`, for loops that call it a million
# times: it raises TypeError or ValueError where sorted_compact returns None.
loads: Callable[[bytes], Any] = orjson.loads if _HAVE_ORJSON else json.loads
raw_sorted_compact = partial(orjson.dumps, option=orjson.OPT_SORT_KEYS) if _HAVE_ORJSON else _encode_sorted


def sorted_compact(value: object) -> bytes | None:
    """Compact JSON with keys sorted by code point, or None if the value cannot be encoded so.

    For values of strings, safe integers, booleans, null, arrays and objects this equals RFC 8785
    whenever no character above U+FFFF occurs (the one case where JCS's UTF-16 key order differs).
    """
    try:
        return raw_sorted_compact(value)
    except (TypeError, ValueError):
        return None


def is_canonical(data: bytes) -> bool:
    """Tell whether data is exactly canonical_bytes of some allowed value.

    False for invalid UTF-8 or JSON, floats, unsafe integers, whitespace, escapes JCS does not use,
    unsorted or duplicate keys. Duplicates need no separate check: a match means data is the
    serialisation of a parsed dict, and a dict has each key once.
    """
    try:
        text = data.decode("utf-8")
        value = _DECODER.decode(text)
    except (ValueError, RecursionError):
        return False
    # With floats gone, Python's compact sorted output escapes strings exactly as JCS does (only
    # '"', '\\' and controls, with the same short forms and lowercase \u00xx). Its key order is by
    # code point, which JCS's UTF-16 order matches unless a key holds a character above U+FFFF
    # (its surrogates sort before U+E000..U+FFFF), so a match is trusted only without such
    # characters. Any mismatch is settled by the reference implementation.
    if data.isascii() or not _ASTRAL.search(text):
        try:
            if _FAST_ENCODER.encode(value).encode("utf-8") == data:
                return True
        except UnicodeEncodeError:  # a lone surrogate written as an escape
            return False
    try:
        return rfc8785.dumps(value) == data
    except rfc8785.CanonicalizationError:
        return False
