"""Bulk import: every bad row reported, nothing committed from a bad file, re-runs add nothing."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

HEADER = ["kind", "scheme", "serial", "manufacturer", "model", "type", "caliber", "acquired_on", "source_ffl"]
GOOD = [
    ["firearm", "firearm", f"IMP-{n}", "Demo Arms Co.", "DA-9", "pistol", "9mm", "2026-11-03", "9-87-654-07-8A-00001"]
    for n in range(1, 4)
]


def as_csv(rows, header=HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def post(officer, world, text, **query):
    return officer.post(
        "/api/v1/items/import",
        data=text,
        content_type="text/csv",
        query_string={"recipient_party_id": world["us"], **query},
    )


def test_a_good_file_is_imported_and_a_rerun_adds_nothing(officer, world, size):
    first = post(officer, world, as_csv(GOOD))
    assert first.status_code == 200 and first.get_json()["imported"] == 3
    items = officer.get("/api/v1/items", query_string={"serial": "IMP-2"}).get_json()["items"]
    assert items[0]["status"] == "in_custody" and items[0]["holder"]["id"] == world["us"]
    before = size()
    again = post(officer, world, as_csv(GOOD)).get_json()
    assert (again["imported"], again["already_imported"]) == (0, 3) and size() == before


def test_every_bad_row_is_reported_and_nothing_is_committed(officer, world, size):
    rows = GOOD + [
        ["firearm", "firearm", "BAD/1", "Demo Arms Co.", "DA-9", "pistol", "9mm", "2026-11-03", "9-87-654-07-8A-00001"],
        ["firearm", "firearm", "IMP-9", "Demo Arms Co.", "DA-9", "pistol", "9mm", "not a date", "9-87-654-07-8A-00001"],
        ["firearm", "firearm", "IMP-1", "Demo Arms Co.", "DA-9", "pistol", "9mm", "2026-11-03", "1-11-111-01-1A-11111"],
        ["firearm", "firearm", "imp-1", "Demo Arms Co.", "DA-9", "pistol", "9mm", "2026-11-04", "9-87-654-07-8A-00001"],
    ]
    before = size()
    response = post(officer, world, as_csv(rows))
    assert response.status_code == 422 and response.get_json()["code"] == "invalid_rows"
    problems = [(p["row"], p["column"], p["code"]) for p in response.get_json()["report"]["problems"]]
    assert problems == [
        (5, "serial", "serial_charset"),
        (6, "acquired_on", "invalid_date"),
        (7, "source_ffl", "unknown_party"),
        (8, "serial", "duplicate_serial"),
    ]
    assert size() == before and officer.get("/api/v1/items", query_string={"serial": "IMP-1"}).get_json()["items"] == []


def test_skip_invalid_imports_the_good_rows(officer, world):
    rows = GOOD + [["firearm", "firearm", "", "Demo Arms Co.", "DA-9", "pistol", "9mm", "2026-11-03", "x"]]
    report = post(officer, world, as_csv(rows), skip_invalid="true").get_json()
    assert report["imported"] == 3 and report["committed"] and report["problems"][0]["code"] == "missing_field"


def test_two_firearms_without_a_serial_alike_need_import_keys(officer, world, size):
    """Two rows alike for firearms without a serial are two firearms or one row sent twice: the
    second is reported (it was counted as imported already), and import keys tell them apart."""
    header = HEADER + ["override_justification", "import_key"]
    nsn = ["firearm", "firearm", "NSN", "Old Arms", "M1", "revolver", ".38", "2026-11-03", "9-87-654-07-8A-00001"]
    nsn += ["made before 1968, no serial"]
    before = size()
    refused = post(officer, world, as_csv([nsn + [""], nsn + [""]], header))
    assert refused.status_code == 422, refused.get_json()
    report = refused.get_json()["report"]
    assert [(p["row"], p["column"], p["code"]) for p in report["problems"]] == [(3, "import_key", "ambiguous_row")]
    assert report["already_imported"] == 0 and size() == before
    keyed = post(officer, world, as_csv([nsn + ["crate 7, first"], nsn + ["crate 7, second"]], header))
    assert keyed.status_code == 200 and keyed.get_json()["imported"] == 2, keyed.get_json()
    found = officer.get("/api/v1/items", query_string={"serial": "NSN"}).get_json()["items"]
    assert len([i for i in found if i["manufacturer"] == "Old Arms"]) == 2


def test_a_file_with_unknown_columns_is_refused(officer, world):
    response = post(officer, world, as_csv(GOOD, HEADER[:-1] + ["colour"]))
    assert response.status_code == 422 and "colour" in response.get_json()["detail"]


def test_cli_import_with_progress_and_row_report(officer, world, runner, tmp_path):
    path = tmp_path / "acquisitions.csv"
    path.write_text(
        as_csv(GOOD + [["firearm", "firearm", "X1", "M", "m", "laser", "9mm", "2026-11-03", "9-87-654-07-8A-00001"]]),
        encoding="utf-8",
    )
    result = runner.invoke(args=["items", "import", str(path), "--recipient-ffl", "8-23-091-01-7F-14245"])
    assert (
        result.exit_code == 1 and "row 5: type: invalid_field" in result.output and "NOTHING imported" in result.output
    )
    done = runner.invoke(
        args=["items", "import", str(path), "--recipient-ffl", "8-23-091-01-7F-14245", "--skip-invalid"]
    )
    assert "3 imported" in done.output


def test_imported_rows_equal_what_the_event_handlers_build(officer, world, runner):
    assert post(officer, world, as_csv(GOOD)).status_code == 200
    result = runner.invoke(args=["ledger", "replay"])
    assert result.exit_code == 0 and "IDENTICAL" in result.output


@pytest.mark.slow
def test_an_import_killed_half_way_leaves_no_row(app, officer, world, size, tmp_path):
    """A worker killed at its timeout in the middle of a large import (the ledger appending batch
    after batch) commits nothing: the file is imported in one transaction."""
    rows = ["kind,scheme,serial,acquired_on,source_ffl,description"]
    rows += [f"goods,plain,K-{n:05d},2026-11-02,9-87-654-07-8A-00001,killed import" for n in range(1500)]
    csv_file = tmp_path / "large.csv"
    csv_file.write_text("\n".join(rows) + "\n")
    before = size()
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REGISTRY_INSTANCE": app.instance_path}
    worker = Path(__file__).with_name("import_worker.py")
    with subprocess.Popen(
        [sys.executable, str(worker), str(csv_file), world["us"]],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        line = process.stdout.readline().strip()
        assert line == "writing", process.stderr.read()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert size() == before
    found = officer.get("/api/v1/items?serial=K-00000").get_json()["items"]
    assert found == []
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    # the same file goes in whole afterwards
    response = officer.post(
        f"/api/v1/items/import?recipient_party_id={world['us']}", data=csv_file.read_text(), content_type="text/csv"
    )
    assert response.status_code == 200 and response.get_json()["imported"] == 1500


def test_a_large_import_leaves_statistics_of_what_it_wrote_on_postgresql_only(app, officer, world, monkeypatch):
    from sqlalchemy import text

    from registry.custody import bulk
    from registry.extensions import db

    monkeypatch.setattr(bulk, "ANALYZE_AFTER", 3)  # the three rows below count as a large import
    assert post(officer, world, as_csv(GOOD)).get_json()["imported"] == 3
    with app.app_context():
        if db.engine.dialect.name == "sqlite":  # no statistics: sampled ones misled its planner
            tables = db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars()
            assert "sqlite_stat1" not in set(tables)
            return
        analysed = db.session.execute(
            text("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
        ).scalars()
        assert set(bulk.ANALYZED) <= set(analysed)
