"""Firearm serials (27 CFR 478.92) and FFL numbers beyond the vectors."""

from __future__ import annotations

import pytest

from registry.serials import validate
from registry.serials.firearm import MAX_LENGTH


@pytest.mark.parametrize(
    "serial, position",
    [("BXR-447\u0421", 8), ("\uff21123", 1), ("AB\u0399123", 3)],
    ids=["cyrillic-es", "full-width-a", "greek-iota"],
)
def test_look_alike_letters_from_other_alphabets_are_caught_with_their_position(serial, position):
    result = validate("firearm", serial)
    assert result.codes == ["charset"]
    assert result.errors[0].position == position
    assert "look-alike" in result.errors[0].message


def test_eu_jurisdiction_accepts_greek_and_cyrillic_capitals():
    assert validate("firearm", "ΑΒΓ-123", jurisdiction="EU").valid
    assert validate("firearm", "жд123", jurisdiction="EU").normalized == "ЖД123"
    assert validate("firearm", "AB\u05d0", jurisdiction="EU").codes == ["charset"]  # Hebrew is not among them


def test_eu_serial_needs_no_numeral():
    assert validate("firearm", "ABCD", jurisdiction="EU").valid
    assert validate("firearm", "ABCD").codes == ["no_digit"]


def test_ambiguous_letters_are_warned_at_their_positions():
    result = validate("firearm", "O1I2")
    assert result.valid
    assert [(p.code, p.position) for p in result.warnings] == [("ambiguous_characters", 1), ("ambiguous_characters", 3)]


def test_length_bound():
    assert validate("firearm", "1" * MAX_LENGTH).valid
    assert validate("firearm", "1" * (MAX_LENGTH + 1)).codes == ["length"]


def test_missing_hyphen_after_the_licence_prefix_points_at_where_it_belongs():
    result = validate("firearm", "82314245000123", ffl_prefix="82314245")
    assert result.errors[0].position == 9 and "hyphen is missing" in result.errors[0].message


def test_ffl_decodes_every_field():
    info = validate("ffl", "8-23-091-01-7F-14245").info
    assert info == {
        "region": "8",
        "district": "23",
        "county": "091",
        "license_type": "01",
        "expires": "7F",
        "sequence": "14245",
        "license_type_name": info["license_type_name"],
        "expires_year_digit": 7,
        "expires_month": 6,
        "abbreviated": "82314245",
        "formatted": "8-23-091-01-7F-14245",
    }
    assert info["license_type_name"].startswith("Dealer")


@pytest.mark.parametrize(
    "value, code, position",
    [
        ("8-23-091-01-7F-1424", "length", None),
        ("8-23-091-01-7M-14245", "format", 10),
        ("0-23-091-01-7F-14245", "format", 1),
        ("8-23-0X1-01-7F-14245", "format", 5),
    ],
)
def test_ffl_format_errors(value, code, position):
    result = validate("ffl", value)
    assert result.codes == [code] and result.errors[0].position == position
