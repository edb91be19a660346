"""CSV downloads cannot smuggle a formula into a spreadsheet (OWASP, CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest

from registry.csvfile import csv_text


@pytest.mark.parametrize(
    "value",
    ["=1+2", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"],
    ids=["equals", "plus", "minus", "at", "tab", "carriage-return"],
)
def test_a_cell_a_spreadsheet_could_run_is_quoted(value):
    rows = list(csv.DictReader(io.StringIO(csv_text([{"name": value, "n": 5}], ["name", "n"]))))
    assert rows == [{"name": "'" + value, "n": "5"}]


def test_ordinary_text_and_numbers_are_left_alone():
    rows = list(csv.DictReader(io.StringIO(csv_text([{"name": "Jane Doe", "n": -3}], ["name", "n"]))))
    assert rows == [{"name": "Jane Doe", "n": "-3"}]
