"""IMEI, GTIN, GS1, HIN, ISO 6346, legacy vehicle and plain serials beyond the vectors."""

from __future__ import annotations

import pytest

from registry.serials import validate


def test_imei_types_and_decoding():
    assert validate("imei", "490154203237518").info["tac"] == "49015420"
    assert validate("imei", "49015420323751").info["type"] == "IMEI"  # 14 digits: no check digit to test
    sv = validate("imei", "4901542032375181")
    assert sv.valid and sv.info["type"] == "IMEISV" and sv.info["software_version"] == "81"


def test_imei_check_digit_error_names_the_digit_that_makes_it_valid():
    problem = validate("imei", "354178036859782").errors[0]
    assert problem.code == "check_digit" and problem.position == 15
    expected = problem.message.rsplit("'", 2)[1]
    assert expected != "2" and validate("imei", "35417803685978" + expected).valid


def test_gtin_lengths_and_prefix():
    assert validate("gtin", "96385074").info["format"] == "GTIN-8"
    info = validate("gtin", "9780471117094").info
    assert info["format"] == "GTIN-13" and info["gtin14"] == "09780471117094"
    assert validate("gtin", "12345").codes == ["length"]
    assert validate("gtin", "97804711170A4").codes == ["charset"]


def test_gs1_with_symbology_identifier_and_digital_link():
    raw = validate("gs1", "]d201095060001343521720122510ABC123\x1d2112345")
    assert raw.valid and raw.info["symbology"] == "]d2" and raw.info["form"] == "raw"
    link = validate("gs1", "https://id.gs1.org/01/09506000134352/10/ABC123/21/12345?17=201225")
    assert link.valid and link.info["form"] == "digital_link"
    assert link.info["ai"] == {"01": "09506000134352", "10": "ABC123", "21": "12345", "17": "2020-12-25"}
    assert raw.normalized == "(01)09506000134352(17)201225(10)ABC123(21)12345"


def test_gs1_day_zero_is_the_last_day_of_the_month():
    assert validate("gs1", "(01)09506000134352(17)240200").info["ai"]["17"] == "2024-02-29"


@pytest.mark.parametrize("value", ["(01)0950600013435", "(17)241399", "hello", "https://example.com/x"])
def test_gs1_syntax_errors(value):
    assert validate("gs1", value).codes == ["syntax"]


@pytest.mark.parametrize(
    "value, fmt, facts",
    [
        ("ABC12345L495", "1984", {"model_year": 1995, "certification_month": 12}),
        ("ABC123451275", "straight_year", {"production_month": 12, "production_year": 1975}),
        ("ABC12345M75A", "model_year", {"model_year": 1975, "production_month": 8}),
        ("ABC12345M82H", "model_year", {"model_year": 1982, "production_month": 3}),
        ("ABC12345C505", "1984", {"model_year": 2005, "certification_month": 3}),
    ],
)
def test_hin_formats(value, fmt, facts):
    result = validate("hin", value)
    assert result.valid and result.info["format"] == fmt
    assert {k: result.info[k] for k in facts} == facts


@pytest.mark.parametrize("value", ["ABC12345²495", "ABC12345L4²5", "ABC12345M٤٥A"])
def test_hin_date_code_with_a_digit_int_refuses_is_a_problem_not_a_failure(value):
    # "²" is a digit to `str.isdigit` but not to `int`: it raised ValueError inside the check.
    assert validate("hin", value).codes == ["date_code"]


def test_hin_country_prefix_and_bad_date_code():
    assert validate("hin", "US-ABC12345L495").info["country_prefix"] == "US"
    result = validate("hin", "ABC12345Z495")
    assert result.codes == ["date_code"] and result.errors[0].position == 9


def test_container_code_decoding():
    info = validate("iso6346", "csqu 305438 3").info
    assert info == {
        "owner": "CSQ",
        "category": "U",
        "category_name": "freight container",
        "serial": "305438",
        "check_digit": "3",
    }
    assert validate("iso6346", "CSQA3054383").codes == ["format"]
    # A Cyrillic letter passes python-stdnum's pattern and then fails inside its check digit.
    cyrillic = validate("iso6346", "СSQU3054383")
    assert cyrillic.codes == ["charset"] and cyrillic.errors[0].position == 1
    assert "CYRILLIC CAPITAL LETTER ES" in cyrillic.errors[0].message


def test_legacy_vehicle_serial_warns_when_it_is_a_modern_vin():
    assert validate("vehicle_legacy", "5F08C123456").valid
    assert [p.code for p in validate("vehicle_legacy", "1M8GDM9AXKP042788").warnings] == ["looks_like_vin"]
    assert validate("vehicle_legacy", "AB/12").codes == ["charset"]


def test_plain_serial_folds_case_and_space_and_refuses_control_characters():
    assert validate("plain", "  sn  0042 ").normalized == "SN 0042"
    result = validate("plain", "SN\x000042")
    assert result.codes == ["charset"] and result.errors[0].position == 3


@pytest.mark.parametrize(
    "marked, read, warnings",
    [
        ("ＳＮ-0042", "SN-0042", ["normalized_compatibility"]),
        ("SN-００42", "SN-0042", ["normalized_compatibility"]),
        ("СН-0042", "CH-0042", ["lookalike", "lookalike"]),  # Cyrillic ES and EN
        ("SN‐0042", "SN-0042", ["lookalike"]),  # U+2010 HYPHEN
        ("ΙΒΜ 7", "IBM 7", ["lookalike", "lookalike", "lookalike"]),  # Greek capitals
        ("序列-1", "序列-1", []),  # a script with no Latin look-alike is left as it is
        ("ÉCLAIR-2", "ÉCLAIR-2", []),
    ],
)
def test_plain_serial_reads_look_alikes_and_compatibility_forms_as_they_look(marked, read, warnings):
    result = validate("plain", marked)
    assert result.valid and result.normalized == read
    assert [w.code for w in result.warnings] == warnings
    assert validate("plain", read).normalized == read
