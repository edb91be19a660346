"""Canonical JSON: the RFC 8785 examples, what is refused, what is_canonical rejects, and round-trip properties."""

import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.canonical import MAX_SAFE_INTEGER, CanonicalError, canonical_bytes, is_canonical

PROPERTIES = settings(max_examples=200, deadline=None, database=None)

# RFC 8785 section 3.2.2, with its "numbers" replaced by integers, the only numbers the ledger allows.
STRUCTURE_INPUT = r"""{
  "numbers": [333333333, 4, 0, -2, 9007199254740991],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"""
STRUCTURE_OUTPUT = (
    '{"literals":[null,true,false],"numbers":[333333333,4,0,-2,9007199254740991],'
    '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
).encode()
# The section 3.2.2 original, floats included, and its canonical output.
FLOAT_INPUT = '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001]}'
FLOAT_OUTPUT = b'{"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}'
# RFC 8785 section 3.2.3: keys sort by UTF-16 code units, so the emoji precedes U+FB33.
SORTING_INPUT = r"""{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"""
SORTING_OUTPUT = (
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",'
    '"\u20ac":"Euro Sign","\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
).encode()


def test_rfc_structure_example_with_integers():
    assert canonical_bytes(json.loads(STRUCTURE_INPUT)) == STRUCTURE_OUTPUT


def test_rfc_string_escaping():
    value = json.loads(STRUCTURE_INPUT)["string"]
    assert canonical_bytes(value) == '"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'.encode()


def test_rfc_sorting_example():
    assert canonical_bytes(json.loads(SORTING_INPUT)) == SORTING_OUTPUT


def test_rfc_outputs_are_canonical():
    assert is_canonical(STRUCTURE_OUTPUT)
    assert is_canonical(SORTING_OUTPUT)


def test_rfc_float_example_is_refused():
    with pytest.raises(CanonicalError, match="floats are not allowed"):
        canonical_bytes(json.loads(FLOAT_INPUT))


def test_rfc_float_output_is_not_canonical_for_the_ledger():
    assert not is_canonical(FLOAT_OUTPUT)


def test_code_point_key_order_is_not_canonical_when_it_differs_from_utf16_order():
    code_point_order = json.dumps(json.loads(SORTING_INPUT), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert not is_canonical(code_point_order.encode())


@pytest.mark.parametrize(
    "value",
    [
        1.0,
        float("nan"),
        float("inf"),
        MAX_SAFE_INTEGER + 1,
        -MAX_SAFE_INTEGER - 1,
        {1: "one"},
        b"bytes",
        (1, 2),
        {"a"},
        "\ud800",
        {"nested": [{"deep": 0.5}]},
    ],
    ids=[
        "float",
        "nan",
        "infinity",
        "above-safe-integers",
        "below-safe-integers",
        "integer-key",
        "bytes",
        "tuple",
        "set",
        "lone-surrogate",
        "nested-float",
    ],
)
def test_canonical_bytes_refuses(value):
    with pytest.raises(CanonicalError):
        canonical_bytes(value)


def test_canonical_bytes_accepts_the_safe_integer_bounds():
    assert canonical_bytes([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]) == b"[9007199254740991,-9007199254740991]"


def test_canonical_error_is_a_value_error():
    assert issubclass(CanonicalError, ValueError)


@pytest.mark.parametrize(
    "data",
    [
        b"{}",
        b"[]",
        b'""',
        b"0",
        b"-1",
        b"null",
        b"true",
        b'{"a":[1,"b",true,null],"b":{}}',
        '"\u2028\U0001f600"'.encode(),
    ],
    ids=["object", "array", "string", "zero", "negative", "null", "true", "nested", "raw-unicode"],
)
def test_is_canonical_accepts(data):
    assert is_canonical(data)


@pytest.mark.parametrize(
    "data",
    [
        b"\xff",
        b'"\xc3"',
        b"{",
        b"",
        b'{"a": 1}',
        b'{"b":1,"a":2}',
        b'{"a":1,"a":1}',
        b'{"a":1,"a":2}',
        b"1.5",
        b"1e3",
        b"1.0",
        b"-0",
        b"01",
        b"9007199254740992",
        b"1" * 5000,
        b"NaN",
        b"Infinity",
        b'"\\u0041"',
        b'"\\u001F"',
        b'"\\/"',
        b'"\\ud800"',
        b'"\\ud83d\\ude00"',
        b'"\\u20ac"',
        b"\xef\xbb\xbf{}",
        b"{}\n",
        b" {}",
        "[1]".encode("utf-16"),
        b"[" * 100000,
    ],
    ids=[
        "invalid-utf8",
        "truncated-utf8",
        "invalid-json",
        "empty",
        "whitespace",
        "unsorted",
        "duplicate-key",
        "duplicate-key-different-value",
        "float",
        "exponent",
        "float-integer",
        "negative-zero",
        "leading-zero",
        "unsafe-integer",
        "huge-integer",
        "nan",
        "infinity",
        "needless-escape",
        "uppercase-escape",
        "escaped-slash",
        "lone-surrogate",
        "escaped-astral",
        "escaped-bmp",
        "bom",
        "trailing-newline",
        "leading-space",
        "utf16",
        "deep-nesting",
    ],
)
def test_is_canonical_rejects(data):
    assert not is_canonical(data)


# Properties over random values of the allowed types.

SAFE_INTEGERS = st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
# Keys mixing astral characters with U+E000..U+FFFF, where code point and UTF-16 orders disagree.
TRICKY_TEXT = st.text(
    st.sampled_from(
        ["a", "\x00", "\x1f", '"', "\\", "\u0080", "\ue000", "\ufb33", "\uffff", "\U00010000", "\U0001f600"]
    ),
    max_size=4,
)
SCALARS = st.none() | st.booleans() | SAFE_INTEGERS | st.text() | TRICKY_TEXT
KEYS = st.text() | TRICKY_TEXT
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner) | st.dictionaries(KEYS, inner), max_leaves=25)
CONTAINERS = st.builds(lambda item: [item], VALUES) | st.builds(lambda key, item: {key: item}, KEYS, VALUES)


@PROPERTIES
@given(VALUES)
def test_canonical_bytes_are_canonical(value):
    assert is_canonical(canonical_bytes(value))


@PROPERTIES
@given(VALUES)
def test_canonical_bytes_round_trip(value):
    assert json.loads(canonical_bytes(value)) == value


@PROPERTIES
@given(VALUES)
def test_canonical_bytes_agree_with_the_reference_implementation(value):
    assert canonical_bytes(value) == rfc8785.dumps(value)


@PROPERTIES
@given(CONTAINERS)
def test_indented_serialisation_is_not_canonical(value):
    indented = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1).encode()
    assert not is_canonical(indented)


@PROPERTIES
@given(st.dictionaries(TRICKY_TEXT, SAFE_INTEGERS, min_size=2))
def test_is_canonical_matches_the_reference_on_code_point_sorted_objects(value):
    code_point_sorted = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    assert is_canonical(code_point_sorted) == (code_point_sorted == rfc8785.dumps(value))
