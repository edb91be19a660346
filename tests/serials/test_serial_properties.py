"""Properties of every scheme: the search form is stable, codes are the declared ones, nothing raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.serials import SCHEMES, validate

# Text near real identifiers (letters, digits, separators, look-alikes, controls) and anything at all.
NEAR = st.text(
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789 -()/\x1d\tАОΙﬀßǅ\u00a0СХхＺ０‐−Ⅻ²٣"), max_size=30
)
ANY = st.text(max_size=40)
VALUES = st.one_of(NEAR, ANY)
OPTIONS = {
    "vin": [{"market": "na"}, {"market": "intl"}],
    "firearm": [{}, {"jurisdiction": "EU"}, {"ffl_prefix": "82314245"}],
}


def _runs():
    for name in SCHEMES:
        for options in OPTIONS.get(name, [{}]):
            yield pytest.param(name, options, id=f"{name}{'-' + '-'.join(options.values()) if options else ''}")


@pytest.mark.parametrize("scheme, options", list(_runs()))
@settings(max_examples=150, deadline=None)
@given(value=VALUES)
def test_normalized_is_idempotent(scheme, options, value):
    first = validate(scheme, value, **options)
    again = validate(scheme, first.normalized, **options)
    assert again.normalized == first.normalized
    assert again.codes == first.codes


@pytest.mark.parametrize("scheme, options", list(_runs()))
@settings(max_examples=150, deadline=None)
@given(value=VALUES)
def test_every_code_is_declared_and_positions_point_into_the_serial(scheme, options, value):
    declared = SCHEMES[scheme]
    result = validate(scheme, value, **options)
    assert result.valid is (not result.errors)
    for problems, codes in ((result.errors, declared.errors), (result.warnings, declared.warnings)):
        for problem in problems:
            assert problem.code in codes, problem
            assert problem.message
            assert problem.position is None or 1 <= problem.position <= max(len(result.normalized), 1)


@pytest.mark.parametrize("name", list(SCHEMES))
def test_each_scheme_example_is_valid(name):
    assert validate(name, SCHEMES[name].example).valid


# The published codes, scheme by scheme. Clients branch on them: renaming or dropping one breaks
# them, so a change here must be deliberate (and announced), never a side effect.
CONTRACT = {
    "vin": (
        {"length", "charset", "check_digit", "model_year_code"},
        {"normalized_case", "normalized_separators", "check_digit", "model_year_code"},
    ),
    "vehicle_legacy": ({"empty", "length", "charset"}, {"looks_like_vin"}),
    "firearm": ({"empty", "length", "charset", "no_digit", "ffl_prefix"}, {"normalized_case", "ambiguous_characters"}),
    "ffl": ({"length", "format", "license_type"}, set()),
    "imei": ({"empty", "length", "charset", "check_digit", "format"}, set()),
    "gtin": ({"empty", "length", "charset", "check_digit", "format"}, set()),
    "gs1": ({"empty", "syntax", "check_digit", "duplicate_ai"}, set()),
    "hin": ({"length", "charset", "date_code"}, set()),
    "iso6346": ({"empty", "length", "charset", "format", "check_digit"}, set()),
    "plain": ({"empty", "length", "charset"}, {"normalized_compatibility", "lookalike"}),
}


@pytest.mark.parametrize("name", list(CONTRACT))
def test_published_codes_are_the_contract(name):
    assert (set(SCHEMES[name].errors), set(SCHEMES[name].warnings)) == CONTRACT[name]
    assert set(CONTRACT) == set(SCHEMES)
