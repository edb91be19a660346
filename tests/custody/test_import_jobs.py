"""Large imports in the background: 202 with a job, progress to 100%, the row report; all or nothing."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest

from registry.custody import imports

LICENSEE_FFL = "9-87-654-07-8A-00001"


def csv_file(count: int, *, bad_row: int | None = None) -> str:
    lines = ["kind,scheme,serial,acquired_on,source_ffl,description"]
    for n in range(count):
        date = "2031-01-01" if n == bad_row else "2026-11-02"
        lines.append(f"goods,plain,BG-{n:05d},{date},{LICENSEE_FFL},background import")
    return "\n".join(lines) + "\n"


def finished(client, url: str) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = client.get(url).get_json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"the job did not finish: {job}")


def test_a_background_import_reports_progress_and_imports_every_row(officer, world, size):
    before = size()
    response = officer.post(
        f"/api/v1/items/import?recipient_party_id={world['us']}&background=true",
        data=csv_file(1200),
        content_type="text/csv",
    )
    assert response.status_code == 202
    job = response.get_json()
    assert job["status"] in ("queued", "running", "done") and job["rows"] == 1200
    assert response.headers["Location"] == f"/api/v1/items/imports/{job['id']}"
    done = finished(officer, response.headers["Location"])
    assert (done["status"], done["progress"]) == ("done", 100), done
    assert done["report"]["imported"] == 1200 and done["report"]["committed"]
    assert done["message"] == "imported 1,200 rows"
    assert size() == before + 2400
    assert officer.get("/api/v1/items?serial=BG-01199").get_json()["items"]


def test_a_large_file_goes_to_the_background_by_itself(officer, world, monkeypatch):
    monkeypatch.setattr(imports, "FOREGROUND_ROWS", 10)
    small = officer.post(
        f"/api/v1/items/import?recipient_party_id={world['us']}", data=csv_file(10), content_type="text/csv"
    )
    assert small.status_code == 200 and small.get_json()["imported"] == 10
    large = officer.post(
        f"/api/v1/items/import?recipient_party_id={world['us']}", data=csv_file(11), content_type="text/csv"
    )
    assert large.status_code == 202
    assert finished(officer, large.headers["Location"])["report"]["already_imported"] == 10


def test_a_background_file_with_a_bad_row_imports_nothing(officer, world, size):
    before = size()
    response = officer.post(
        f"/api/v1/items/import?recipient_party_id={world['us']}&background=true",
        data=csv_file(50, bad_row=37),
        content_type="text/csv",
    )
    done = finished(officer, response.headers["Location"])
    assert done["status"] == "refused" and not done["report"]["committed"]
    assert [(p["row"], p["code"]) for p in done["report"]["problems"]] == [(39, "future_date")]
    assert size() == before


@pytest.mark.parametrize(
    "body, says",
    [
        ("colour,serial\nred,1\n", "unknown column 'colour'"),
        ("", "the file is empty"),
        ("null", "unknown column 'null'"),
    ],
)
def test_a_file_without_the_imports_header_is_refused_before_any_job(officer, world, size, body, says):
    before = size()
    response = officer.post(
        f"/api/v1/items/import?recipient_party_id={world['us']}&background=true", data=body, content_type="text/csv"
    )
    assert response.status_code == 422 and response.get_json()["code"] == "invalid_header"
    assert says in response.get_json()["detail"] and "Location" not in response.headers and size() == before


def test_a_job_is_its_owners_alone(officer, api_as, world):
    response = officer.post(
        f"/api/v1/items/import?recipient_party_id={world['us']}&background=true",
        data=csv_file(3),
        content_type="text/csv",
    )
    other = api_as("officer")
    refused = other.get(response.headers["Location"])
    assert refused.status_code == 404 and refused.get_json()["code"] == "not_found"
    finished(officer, response.headers["Location"])


def test_a_job_that_lost_its_worker_is_shown_failed(app, officer, world):
    from registry.custody.models import ImportJob
    from registry.extensions import db

    response = officer.post(
        f"/api/v1/items/import?recipient_party_id={world['us']}&background=true",
        data=csv_file(3),
        content_type="text/csv",
    )
    finished(officer, response.headers["Location"])
    with app.app_context():  # as a worker killed while running would have left it
        job = db.session.get(ImportJob, response.get_json()["id"])
        job.status, job.updated_at = "running", job.updated_at - timedelta(minutes=16)
        db.session.commit()
        db.session.remove()
    stalled = officer.get(response.headers["Location"]).get_json()
    assert stalled["status"] == "failed" and "nothing was imported" in stalled["error"]


def test_the_import_page_uploads_and_the_job_page_shows_the_report(client_as, csrf, world):
    page = client_as("officer")
    form = page.get("/items/import").get_data(as_text=True)
    assert 'id="import-form"' in form and "Riverside Sporting Goods" in form
    response = page.post(
        "/items/import",
        data={
            "csrf_token": csrf(page, "/items/import"),
            "recipient": world["us"],
            "file": (io.BytesIO(csv_file(20, bad_row=4).encode()), "acquisitions.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and "/items/imports/" in response.headers["Location"]
    job_url = response.headers["Location"]
    status = finished(page, job_url + ".json")
    assert status["status"] == "refused"
    shown = page.get(job_url).get_data(as_text=True)
    assert 'id="import-problems"' in shown and "<td>6</td>" in shown and "nothing was imported" in shown
    assert 'value="100"' in shown


def test_the_import_page_refuses_a_missing_or_non_text_file(client_as, csrf, world):
    page = client_as("officer")
    token = csrf(page, "/items/import")
    missing = page.post(
        "/items/import", data={"csrf_token": token, "recipient": world["us"]}, content_type="multipart/form-data"
    )
    assert missing.status_code == 400 and "choose the CSV file" in missing.get_data(as_text=True)
    binary = page.post(
        "/items/import",
        data={"csrf_token": token, "recipient": world["us"], "file": (io.BytesIO(b"\xff\xfe\x00bad"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert binary.status_code == 400 and "not UTF-8 text" in binary.get_data(as_text=True)


@pytest.mark.parametrize("role", ["auditor", "regulator"])
def test_only_writers_import(client_as, role):
    assert client_as(role).get("/items/import").status_code == 403


def test_the_example_file_imports_its_good_rows_and_reports_the_bad_one(client_as, csrf, world):
    page = client_as("officer")
    example = page.get("/items/import/example.csv")
    assert example.status_code == 200 and example.mimetype == "text/csv"
    response = page.post(
        "/items/import",
        data={
            "csrf_token": csrf(page, "/items/import"),
            "recipient": world["us"],
            "skip_invalid": "y",
            "file": (io.BytesIO(example.data), "example-import.csv"),
        },
        content_type="multipart/form-data",
    )
    done = finished(page, response.headers["Location"] + ".json")
    assert done["status"] == "done" and done["report"]["imported"] == 2
    assert [p["row"] for p in done["report"]["problems"]] == [4]
    listed = page.get("/items/import").get_data(as_text=True)
    assert 'id="import-jobs"' in listed and "imported 2 rows" in listed
