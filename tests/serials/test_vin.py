"""VIN rules beyond the vectors: the check digit's strength, model years, normalisation, WMI facts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from registry.serials import validate

VALID = "1M8GDM9AXKP042788"
VIN_CHARACTERS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
# 49 CFR 565.15 Tables IV and V, written out here independently of the module under test.
VALUES = (
    dict(zip("ABCDEFGH", range(1, 9)))
    | dict(zip("JKLMN", range(1, 6)))
    | {"P": 7, "R": 9}
    | dict(zip("STUVWXYZ", range(2, 10)))
    | {str(d): d for d in range(10)}
)
WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


@given(position=st.integers(0, 16).filter(lambda p: p != 8), replacement=st.sampled_from(VIN_CHARACTERS))
def test_one_changed_character_fails_the_check_digit_unless_it_collides(position, replacement):
    changed = VALID[:position] + replacement + VALID[position + 1 :]
    collides = (VALUES[replacement] - VALUES[VALID[position]]) * WEIGHTS[position] % 11 == 0
    result = validate("vin", changed, market="intl")  # intl: year codes cannot fail, only the check digit matters
    assert ("check_digit" in [p.code for p in result.warnings]) is not collides


@given(replacement=st.sampled_from(VIN_CHARACTERS.replace("X", "")))
def test_a_changed_check_digit_always_fails(replacement):
    result = validate("vin", VALID[:8] + replacement + VALID[9:])
    assert result.codes == ["check_digit"]
    assert result.errors[0].position == 9


def test_every_bad_character_is_reported_with_its_position():
    result = validate("vin", "1M8GDM9AXKP04Q7I8")
    assert [(p.code, p.position) for p in result.errors] == [("charset", 14), ("charset", 16)]
    assert "never used" in result.errors[0].message


def test_lower_case_and_separators_are_normalised_with_warnings():
    result = validate("vin", " 1m8-gdm9axkp 042788 ")
    assert result.valid and result.normalized == VALID
    assert {p.code for p in result.warnings} == {"normalized_case", "normalized_separators"}


def test_the_position_seven_rule_places_the_same_year_code_in_two_cycles():
    assert validate("vin", "2FTCF15F2ECA55516").info["model_year"] == 1984
    assert validate("vin", "1ZVBP8CF4E5242560").info["model_year"] == 2014


def test_international_market_returns_every_candidate_year():
    info = validate("vin", "2FTCF15F2ECA55516", market="intl").info
    assert info["model_year"] is None and info["model_year_candidates"] == [1984, 2014]


def test_model_year_code_zero_is_an_error_in_north_america_and_a_warning_elsewhere():
    vin = "WBA71DC010CH14720"
    assert "model_year_code" in validate("vin", vin, market="na").codes
    intl = validate("vin", vin, market="intl")
    assert intl.valid and [p.code for p in intl.warnings] == ["model_year_code"]


def test_wmi_facts_and_low_volume_manufacturer_code():
    info = validate("vin", "5YJ3E1EAXHF000316").info
    assert (info["wmi"], info["country"], info["region"], info["manufacturer"]) == (
        "5YJ",
        "United States",
        "North America",
        "Tesla",
    )
    assert info["low_volume"] is False
    low = validate("vin", "1M9GDM9A4KP042788", market="intl").info
    assert low["low_volume"] is True and low["low_volume_manufacturer"] == "042"


def test_an_unknown_wmi_is_no_error():
    result = validate("vin", "1VTAZ3NR1XZA70835", market="intl")
    assert "manufacturer" not in result.info and result.info["country"] == "United States"
