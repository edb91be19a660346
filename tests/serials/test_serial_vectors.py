"""Every case of the shared vector files (tests/vectors/vin.json, firearm.json, other.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.serials import validate

VECTORS = Path(__file__).parent.parent / "vectors"


def load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


VIN = load("vin.json")


@pytest.mark.parametrize("case", VIN["valid"], ids=lambda c: c["vin"])
def test_valid_vin(case):
    result = validate("vin", case["vin"], market=case["market"])
    assert result.valid, result.errors
    assert result.warnings == []
    if "check_digit" in case:
        assert result.info["check_digit"] == case["check_digit"]
    if "model_year" in case:
        assert result.info["model_year"] == case["model_year"]
        assert result.info["model_year_candidates"] == [case["model_year"]]


@pytest.mark.parametrize("case", VIN["invalid"] + VIN["override"], ids=lambda c: c["vin"])
def test_invalid_vin(case):
    result = validate("vin", case["vin"], market=case["market"])
    assert not result.valid
    assert case["error"] in result.codes
    problem = next(p for p in result.errors if p.code == case["error"])
    if "position" in case:
        assert problem.position == case["position"]
    if "expected_check_digit" in case:
        assert f"'{case['expected_check_digit']}'" in problem.message
        assert result.info["check_digit"] == case["expected_check_digit"]


@pytest.mark.parametrize("case", VIN["international"], ids=lambda c: c["vin"])
def test_international_vin(case):
    result = validate("vin", case["vin"], market=case["market"])
    assert result.valid is case["valid"]
    warned = [p.code for p in result.warnings]
    if "warning" in case:
        assert case["warning"] in warned
    else:
        assert "check_digit" not in warned


def _cases(name: str):
    data = load(name)
    return pytest.mark.parametrize("case", data["cases"], ids=lambda c: f"{c['scheme']}:{c['value']!r}")


@_cases("firearm.json")
def test_firearm_and_ffl_vectors(case):
    check_case(case)


@_cases("other.json")
def test_other_scheme_vectors(case):
    check_case(case)


def check_case(case: dict) -> None:
    result = validate(case["scheme"], case["value"], **case.get("context", {}))
    assert result.valid is case["valid"], (result.errors, result.warnings)
    if "error" in case:
        assert case["error"] in result.codes
        if "position" in case:
            assert next(p for p in result.errors if p.code == case["error"]).position == case["position"]
    if "warning" in case:
        assert case["warning"] in [p.code for p in result.warnings]
    if "normalized" in case:
        assert result.normalized == case["normalized"]
    for key, expected in case.get("info", {}).items():
        assert result.info[key] == expected, key
