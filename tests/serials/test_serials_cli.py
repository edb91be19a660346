"""`flask serials validate` and `flask serials check-file`."""

from __future__ import annotations

import csv
import json


def test_validate_prints_the_verdict_and_exits_1_when_invalid(runner):
    result = runner.invoke(args=["serials", "validate", "vin", "1M8GDM9A0KP042788"])
    assert result.exit_code == 1
    assert result.output.startswith("INVALID: 1M8GDM9A0KP042788")
    assert "error check_digit (position 9)" in result.output and "model_year: 1989" in result.output


def test_validate_json_with_scheme_options(runner):
    result = runner.invoke(
        args=["serials", "validate", "firearm", "82314245-000123", "-o", "ffl_prefix=82314245", "--json"]
    )
    assert result.exit_code == 0
    assert json.loads(result.output)["info"]["ffl_prefix"] == "82314245"


def test_validate_refuses_a_bad_option(runner):
    result = runner.invoke(args=["serials", "validate", "vin", "X", "--market", "mars"])
    assert result.exit_code == 2 and "must be one of na, intl" in result.output


def write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_check_file_writes_the_bad_rows_with_codes_and_positions(runner, tmp_path):
    source = write_csv(
        tmp_path / "vins.csv",
        [
            ["id", "serial"],
            ["1", "1M8GDM9AXKP042788"],
            ["2", "1M8GDM9A0KP042788"],
            ["3", "1M8GDM9AXKP04Q788"],
            ["4", "1g4ah59h45g118341"],
        ],
    )
    result = runner.invoke(args=["serials", "check-file", str(source), "--scheme", "vin"])
    assert result.exit_code == 1
    assert "4 rows checked: 2 valid (1 with warnings), 2 not valid" in result.output
    with (tmp_path / "vins.bad.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["line"], r["value"], r["codes"], r["positions"]) for r in rows] == [
        ("3", "1M8GDM9A0KP042788", "check_digit", "9"),
        ("4", "1M8GDM9AXKP04Q788", "charset", "14"),
    ]


def test_check_file_with_a_named_column_and_output_exits_0_when_all_are_valid(runner, tmp_path):
    source = write_csv(tmp_path / "guns.csv", [["maker", "marked"], ["Demo Arms", "BXR-4471"], ["Demo Arms", "A1"]])
    output = tmp_path / "out.csv"
    result = runner.invoke(
        args=[
            "serials",
            "check-file",
            str(source),
            "--scheme",
            "firearm",
            "--column",
            "marked",
            "--output",
            str(output),
        ]
    )
    assert result.exit_code == 0 and "2 rows checked: 2 valid" in result.output
    assert output.read_text(encoding="utf-8").splitlines() == ["line,value,normalized,codes,positions,messages"]


def test_check_file_refuses_an_unknown_column(runner, tmp_path):
    source = write_csv(tmp_path / "x.csv", [["a", "b"], ["1", "2"]])
    result = runner.invoke(args=["serials", "check-file", str(source), "--scheme", "plain", "--column", "serial"])
    assert result.exit_code == 2 and "no column 'serial'; the header has a, b" in result.output
