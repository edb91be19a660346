"""Reports as users meet them: the pages, the API, the jobs (a thread, or RQ over the real Redis),
byte-identical downloads, the verification page and command, refusals and permissions."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from registry.custody.models import Item
from registry.extensions import db
from registry.ledger.models import LedgerEntry
from registry.ledger.runtime import reader
from registry.reports import jobs
from registry.reports.models import IssuedReport, ReportJob
from registry.reports.runtime import store
from tests.conftest import bearer_client, csrf_token, issue_token, make_account
from tests.reports.conftest import pdf_file, post_multipart, refusal_body


def wait_for(poll, timeout: float = 120.0) -> dict:
    """Poll a job's JSON until it is done or failed; returns the last answer and every progress seen."""
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # the test's own session would keep reading the snapshot it started with
        job = poll()
        seen.append(job["progress"])
        if job["status"] in ("done", "failed"):
            job["seen"] = seen
            return job
        time.sleep(0.1)
    raise AssertionError(f"the job did not finish in {timeout} s: {job}")


def item_id(serial: str) -> str:
    return db.session.scalar(select(Item.id).where(Item.serial == serial))


@pytest.fixture
def api(demo_app):
    return lambda role: bearer_client(demo_app, issue_token(demo_app, make_account(demo_app, role)))


def test_an_officer_issues_a_certificate_from_the_page_and_downloads_it(rctx, as_role, trust, vkey):
    officer = as_role("officer")
    pistol = item_id("BXR-4471")
    page = officer.get(f"/items/{pistol}").get_data(as_text=True)
    assert f"/reports/new/item_certificate?item_id={pistol}" in page
    form = officer.get(f"/reports/new/item_certificate?item_id={pistol}")
    assert form.status_code == 200 and 'value="BXR-4471"' in form.get_data(as_text=True)  # named by its serial
    response = officer.post(
        "/reports/new/item_certificate", data={"csrf_token": csrf_token(officer, "/reports/"), "item_id": "bxr-4471"}
    )
    assert response.status_code == 302 and "/reports/jobs/" in response.location
    job_page = officer.get(response.location).get_data(as_text=True)
    assert "<progress" in job_page and 'id="job-bar"' in job_page and "job.js" in job_page
    job = wait_for(lambda: officer.get(response.location + ".json").get_json())
    assert job["status"] == "done" and job["progress"] == 100, job
    assert job["seen"] == sorted(job["seen"])
    data = officer.get(f"/reports/{job['report_id']}.pdf").get_data()
    report = db.session.get(IssuedReport, job["report_id"])
    assert hashlib.sha256(data).hexdigest() == report.sha256
    from audit.report import verify_report

    assert verify_report(data, trust_roots=[trust], vkeys=[vkey]).ok
    listing = officer.get("/reports/").get_data(as_text=True)
    assert report.sha256[:16] in listing and "Custody certificate: BXR-4471" in listing


def test_the_api_runs_a_job_and_hands_back_the_pdf_byte_for_byte(rctx, api):
    client = api("auditor")
    response = client.post(
        "/api/v1/reports",
        json={
            "report_type": "bound_book",
            "params": {"date_from": "2026-11-01", "date_to": "2026-11-30", "view": "corrected"},
        },
    )
    assert response.status_code == 202, response.get_json()
    job = wait_for(lambda: client.get(response.headers["Location"]).get_json())
    assert job["status"] == "done", job
    report = client.get(f"/api/v1/reports/{job['report_id']}").get_json()
    first, second = client.get(report["pdf"]), client.get(report["pdf"])
    assert first.mimetype == "application/pdf" and first.get_data() == second.get_data()
    assert hashlib.sha256(first.get_data()).hexdigest() == report["sha256"]
    event = json.loads(db.session.get(LedgerEntry, report["entry_index"]).body)
    assert event["type"] == "report.issued" and event["payload"]["sha256"] == report["sha256"]
    assert event["payload"]["params"]["view"] == "corrected" and event["actor"].startswith("user:")
    assert report["evidence_entries"] > 0 and report["checkpoint_size"] < report["entry_index"] + 1


@pytest.mark.parametrize(
    "body, status, code, field",
    [
        ({"report_type": "sales_forecast"}, 400, "invalid_body", "report_type"),
        ({"params": {}}, 400, "invalid_body", "report_type"),
        ({"report_type": "item_certificate", "params": {}}, 422, "missing_field", "item_id"),
        ({"report_type": "item_certificate", "params": {"item_id": "nope"}}, 404, "not_found", "item_id"),
        (
            {"report_type": "bound_book", "params": {"date_from": "2026-13-01", "date_to": "2026-11-30"}},
            422,
            "invalid_date",
            "date_from",
        ),
        (
            {"report_type": "bound_book", "params": {"date_from": "2026-12-01", "date_to": "2026-11-30"}},
            422,
            "invalid_report_parameter",
            "date_from",
        ),
        (
            {
                "report_type": "bound_book",
                "params": {"date_from": "2026-11-01", "date_to": "2026-11-30", "view": "all"},
            },
            422,
            "invalid_report_parameter",
            "view",
        ),
        ({"report_type": "multiple_sale", "params": {"flag": "abc"}}, 422, "invalid_report_parameter", "flag"),
        (
            {
                "report_type": "bound_book",
                "params": {"date_from": "2026-11-01", "date_to": "2026-11-30", "licensee_id": "x"},
            },
            422,
            "unknown_parameter",
            "licensee_id",
        ),
        ({"report_type": "ledger_verification", "params": {"since": "2026-11-01"}}, 422, "unknown_parameter", "since"),
        ({"report_type": "recall_campaign", "params": {"campaign_id": "none"}}, 404, "not_found", "campaign_id"),
        ({"report_type": "trace_response", "params": {"serial": ["x"]}}, 400, "invalid_body", "params.serial"),
        ({"report_type": "item_certificate", "params": [1]}, 400, "invalid_body", "params"),
        (
            {"report_type": "trace_response", "params": {"serial": "X"}, "personal_data": "yes"},
            400,
            "invalid_body",
            "personal_data",
        ),
        ({"report_type": "multiple_sale", "params": {"flag": "9" * 20}}, 422, "invalid_report_parameter", "flag"),
        ({"report_type": "multiple_sale", "params": {"flag": "\u00b2"}}, 422, "invalid_report_parameter", "flag"),
    ],
)
def test_bad_requests_are_refused_naming_the_field_and_change_nothing(rctx, api, body, status, code, field):
    client = api("officer")
    size, jobs_before = reader().size(), db.session.scalar(select(db.func.count()).select_from(ReportJob))
    response = client.post("/api/v1/reports", json=body)
    problem = refusal_body(response)
    assert (problem.status, problem.code, problem.field) == (status, code, field), problem
    assert problem.content_type == "application/problem+json"
    db.session.rollback()
    assert reader().size() == size
    assert db.session.scalar(select(db.func.count()).select_from(ReportJob)) == jobs_before


def test_a_theft_report_is_only_for_a_stolen_or_lost_firearm(rctx, api):
    client = api("officer")
    phone = client.post(
        "/api/v1/reports", json={"report_type": "theft_loss", "params": {"item_id": item_id("49-015420-323751-8")}}
    )
    assert (phone.status_code, phone.get_json()["code"]) == (409, "not_a_firearm")
    held = client.post(
        "/api/v1/reports", json={"report_type": "theft_loss", "params": {"item_id": item_id("BXR-4471")}}
    )
    assert (held.status_code, held.get_json()["code"]) == (409, "no_theft")


def test_the_form_shows_a_refusal_on_its_field(rctx, as_role):
    officer = as_role("officer")
    response = officer.post(
        "/reports/new/bound_book",
        data={
            "csrf_token": csrf_token(officer, "/reports/"),
            "date_from": "yesterday",
            "date_to": "2026-11-30",
            "view": "both",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="date_from-error"' in html and "must be a date" in html
    assert officer.post(
        "/reports/new/bound_book", data={"date_from": "2026-11-01", "date_to": "2026-11-30"}
    ).status_code in (400, 403)  # no CSRF token


def test_regulators_read_and_verify_but_do_not_issue(rctx, as_role, api, issued):
    regulator = as_role("regulator")
    assert regulator.get("/reports/").status_code == 200
    assert regulator.get("/reports/new/item_certificate").status_code == 403
    assert api("regulator").post("/api/v1/reports", json={"report_type": "ledger_verification"}).status_code == 403
    personal, _ = issued("item_certificate")  # shows Jane Doe's name: personal data
    assert personal.params["personal_data"] is True
    denied = regulator.get(f"/reports/{personal.id}.pdf")
    assert denied.status_code == 403
    assert regulator.get(f"/reports/{personal.id}").status_code == 200
    officer = api("officer")
    response = officer.post(
        "/api/v1/reports",
        json={"report_type": "trace_response", "personal_data": False, "params": {"serial": "BXR-4471"}},
    )
    job = wait_for(lambda: officer.get(response.headers["Location"]).get_json())
    withheld = regulator.get(f"/reports/{job['report_id']}.pdf")
    assert withheld.status_code == 200
    from tests.reports.conftest import pdf_text

    text = pdf_text(withheld.get_data())
    assert "(private person)" in text and "Jane Doe" not in text


@pytest.mark.parametrize("report_type", ["ledger_verification", "theft_loss", "recall_campaign"])
def test_a_report_naming_no_private_person_is_for_regulators_too(rctx, as_role, api, issued, report_type):
    report, data = issued(report_type)  # issued with private persons allowed, but it names none
    assert report.params["personal_data"] is False
    regulator = as_role("regulator")
    download = regulator.get(f"/reports/{report.id}.pdf")
    assert download.status_code == 200 and download.get_data() == data
    listed = {r["id"]: r for r in api("regulator").get("/api/v1/reports").get_json()["reports"]}
    assert listed[report.id]["downloadable"] is True and listed[report.id]["personal_data"] is False


def test_the_list_offers_a_regulator_only_what_they_may_download(rctx, as_role, issued):
    personal, _ = issued("item_certificate")
    plain, _ = issued("ledger_verification")
    certificates = as_role("regulator").get("/reports/?type=item_certificate").get_data(as_text=True)
    verifications = as_role("regulator").get("/reports/?type=ledger_verification").get_data(as_text=True)
    assert f"/reports/{plain.id}.pdf" in verifications
    assert f"/reports/{personal.id}.pdf" not in certificates and "private persons" in certificates
    page = as_role("regulator").get(f"/reports/{personal.id}").get_data(as_text=True)
    assert 'id="withheld"' in page and 'id="download"' not in page
    assert f"/reports/{personal.id}.pdf" in as_role("officer").get("/reports/?type=item_certificate").get_data(
        as_text=True
    )


def test_the_request_form_withholds_private_persons_by_default_except_on_form_3310_4(rctx, as_role):
    officer = as_role("officer")
    book = officer.get("/reports/new/bound_book").get_data(as_text=True)
    sale = officer.get("/reports/new/multiple_sale").get_data(as_text=True)
    assert re.search(
        r'<input[^>]*checked[^>]*id="withhold_personal"|<input[^>]*id="withhold_personal"[^>]*checked', book
    )
    assert not re.search(r'<input[^>]*id="withhold_personal"[^>]*checked', sale)


def test_someone_elses_job_is_not_found(rctx, api):
    officer, other = api("officer"), api("officer")
    response = officer.post("/api/v1/reports", json={"report_type": "trace_response", "params": {"serial": "NONE-1"}})
    job = wait_for(lambda: officer.get(response.headers["Location"]).get_json())
    assert other.get(f"/api/v1/reports/jobs/{job['id']}").status_code == 404


def test_the_verify_page_gives_the_verdict_and_its_reason(rctx, as_role, issued):
    auditor = as_role("regulator")
    report, data = issued("theft_loss")
    token = csrf_token(auditor, "/reports/verify")
    good = auditor.post(
        "/reports/verify",
        data={"csrf_token": token, "pdf": (io.BytesIO(data), "report.pdf")},
        content_type="multipart/form-data",
    )
    html = good.get_data(as_text=True)
    assert good.status_code == 200 and "<strong>Valid.</strong>" in html
    assert f"report.issued at ledger entry {report.entry_index} records this file" in html
    flipped = bytearray(data)
    offset = data.index(b"stream\n", len(data) // 3) + 40
    flipped[offset] ^= 0x01
    bad = auditor.post(
        "/reports/verify",
        data={"csrf_token": token, "pdf": (io.BytesIO(bytes(flipped)), "r.pdf")},
        content_type="multipart/form-data",
    )
    html = bad.get_data(as_text=True)
    assert "<strong>Invalid.</strong>" in html and "the signed bytes were changed" in html
    empty = auditor.post("/reports/verify", data={"csrf_token": token}, content_type="multipart/form-data")
    assert empty.status_code == 400 and "choose a PDF file" in empty.get_data(as_text=True)
    # A form upload over the 16 MiB other requests may send: read (CSRF check included) and verified.
    big = post_multipart(auditor, "/reports/verify", {"csrf_token": token, "pdf": pdf_file(padded(data))})
    html = big.get_data(as_text=True)
    assert big.status_code == 200 and "<strong>Invalid.</strong>" in html
    assert "the file was changed after signing (an incremental update or appended bytes)" in html
    forged = post_multipart(auditor, "/reports/verify", {"pdf": pdf_file(padded(data))})
    assert forged.status_code == 400  # the large limit does not lift the CSRF check


def padded(data: bytes) -> bytes:
    """`data` with a 17 MiB comment appended and the trailer repeated after it, so it still reads as a PDF."""
    return data + b"%" + b" " * (17 * 2**20) + b"\n" + data[data.rindex(b"startxref") :]


def test_the_api_verifies_a_pdf_body(rctx, api, issued):
    client = api("regulator")
    report, data = issued("multiple_sale")
    answer = client.post("/api/v1/reports/verify", data=data, content_type="application/pdf").get_json()
    assert answer["valid"] and answer["report_id"] == report.id
    assert [c["name"] for c in answer["checks"]][-1] == "issued"
    junk = client.post("/api/v1/reports/verify", data=b"hello", content_type="application/pdf")
    assert (junk.status_code, junk.get_json()["code"]) == (422, "not_a_pdf")
    # Larger than the 16 MiB every other request may send: verified, and found changed after signing
    # (a comment of 17 MiB appended, then the trailer again so that the file still reads as a PDF).
    large = client.post("/api/v1/reports/verify", data=padded(data), content_type="application/pdf")
    assert large.status_code == 200 and large.get_json()["checks"][-1]["name"] == "coverage"
    officer = api("officer")  # any other body over 16 MiB is still refused
    assert officer.post("/api/v1/reports", data=b" " * (17 * 2**20), content_type="application/json").status_code == 413


def test_flask_reports_verify_and_issue(rctx, issued, tmp_path):
    runner = rctx.test_cli_runner()
    report, data = issued("recall_campaign")
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    good = runner.invoke(args=["reports", "verify", str(path)])
    assert good.exit_code == 0, good.output
    assert f"ok   issued     report.issued at ledger entry {report.entry_index}" in good.output
    path.write_bytes(data + b"\n")
    bad = runner.invoke(args=["reports", "verify", str(path)])
    assert bad.exit_code == 1 and "INVALID: coverage" in bad.output
    out = tmp_path / "cert.pdf"
    made = runner.invoke(
        args=["reports", "issue", "item_certificate", "-p", f"item_id={item_id('BXR-4472')}", "--out", str(out)]
    )
    assert made.exit_code == 0, made.output
    sha = hashlib.sha256(out.read_bytes()).hexdigest()
    assert f"sha256 {sha}" in made.output
    assert db.session.scalar(select(IssuedReport).where(IssuedReport.sha256 == sha)).issued_by.startswith("cli:")
    refused = runner.invoke(args=["reports", "issue", "item_certificate", "-p", "item_id=missing"])
    assert refused.exit_code == 1 and "no item 'missing'" in refused.output


def test_a_failed_job_says_why_without_a_stack_trace(rctx):
    now = datetime.now(timezone.utc)
    job = ReportJob(
        id=str(uuid.uuid4()),
        report_type="item_certificate",
        params={"item_id": "gone"},
        requested_by="user:test",
        personal=False,
        status="queued",
        progress=0,
        message="",
        created_at=now,
        updated_at=now,
    )
    job_id = job.id
    db.session.add(job)
    db.session.commit()
    jobs.run(job_id)
    failed = db.session.get(ReportJob, job_id)
    assert failed.status == "failed" and failed.error == "no item 'gone'"


def test_with_redis_a_worker_runs_the_job(rctx, api, trust, vkey):
    """Against the real Redis (127.0.0.1:6379, a database of its own): the request is queued, and
    `flask reports worker --burst` (an RQ worker in the app) runs it to 100%."""
    from redis import Redis
    from rq import Queue

    url = "redis://127.0.0.1:6379/13"
    Redis.from_url(url).flushdb()
    rctx.config["REDIS_URL"] = url
    try:
        client = api("officer")
        response = client.post("/api/v1/reports", json={"report_type": "ledger_verification"})
        job_id = response.get_json()["id"]
        assert client.get(f"/api/v1/reports/jobs/{job_id}").get_json()["status"] == "queued"
        assert Queue(jobs.QUEUE, connection=Redis.from_url(url)).job_ids == [f"report-{job_id}"]
        ran = rctx.test_cli_runner().invoke(args=["reports", "worker", "--burst"])
        assert ran.exit_code == 0, ran.output
        job = client.get(f"/api/v1/reports/jobs/{job_id}").get_json()
        assert (job["status"], job["progress"]) == ("done", 100), job
        data = client.get(f"/api/v1/reports/{job['report_id']}/pdf").get_data()
        from audit.report import verify_report

        assert verify_report(data, trust_roots=[trust], vkeys=[vkey]).ok
    finally:
        rctx.config["REDIS_URL"] = ""
        Redis.from_url(url).flushdb()


def test_an_unreachable_queue_fails_the_request_and_its_job(rctx, api, monkeypatch):
    officer = api("officer")
    monkeypatch.setitem(rctx.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    response = officer.post("/api/v1/reports", json={"report_type": "trace_response", "params": {"serial": "Q-1"}})
    assert (response.status_code, response.get_json()["code"]) == (503, "queue_unavailable")
    db.session.rollback()
    job = db.session.scalars(select(ReportJob).where(ReportJob.params["serial"].as_string() == "Q-1")).one()
    assert (job.status, job.error) == ("failed", "the job queue (Redis) was unreachable")


def test_a_job_whose_worker_died_is_shown_as_failed(rctx, api):
    officer = api("officer")
    response = officer.post("/api/v1/reports", json={"report_type": "trace_response", "params": {"serial": "D-1"}})
    done = wait_for(lambda: officer.get(response.headers["Location"]).get_json())
    actor = db.session.get(ReportJob, done["id"]).requested_by
    now = datetime.now(timezone.utc)
    for name, age in (("fresh", timedelta(minutes=5)), ("stalled", timedelta(minutes=20))):
        db.session.add(
            ReportJob(
                id=str(uuid.uuid4()),
                report_type="trace_response",
                params={"serial": name},
                requested_by=actor,
                personal=False,
                status="running",
                progress=40,
                message="rendered part 2 of 5",
                created_at=now - age,
                updated_at=now - age,
            )
        )
    db.session.commit()
    listed = {
        job.params["serial"]: job.id
        for job in db.session.scalars(select(ReportJob).where(ReportJob.requested_by == actor))
    }
    fresh = officer.get(f"/api/v1/reports/jobs/{listed['fresh']}").get_json()
    assert (fresh["status"], fresh["progress"]) == ("running", 40)
    stalled = officer.get(f"/api/v1/reports/jobs/{listed['stalled']}").get_json()
    assert (stalled["status"], stalled["message"]) == ("failed", "stalled")
    assert stalled["error"].startswith("the worker stopped without finishing (no progress since ")
    page = officer.get(f"/reports/jobs/{listed['stalled']}")
    assert "the worker stopped without finishing" in page.get_data(as_text=True)


def test_replay_rebuilds_the_issued_report_list(rctx):
    from registry.replay import replay

    result = replay(db.session())
    assert result.identical, result.differences
    assert result.tables["issued_report"] >= 7


def test_a_stored_pdf_changed_on_disk_is_refused(rctx, as_role, api, issued):
    report, data = issued("ledger_verification")
    path = store().path(report.sha256)
    try:
        path.write_bytes(data + b"x")
        response = as_role("auditor").get(f"/reports/{report.id}.pdf")
        assert response.status_code == 500 and b"changed on disk" in response.get_data()
        assert response.mimetype == "text/html"
        problem = api("auditor").get(f"/api/v1/reports/{report.id}/pdf")
        assert (problem.status_code, problem.get_json()["code"]) == (500, "stored_report_damaged")
        assert "was changed on disk" in problem.get_json()["detail"]
    finally:
        path.write_bytes(data)


def test_a_report_request_without_a_usable_signing_key_is_503(rctx, api, as_role, tmp_path, monkeypatch):
    monkeypatch.delenv("REPORT_SIGNING_PASSWORD", raising=False)
    officer, page = api("officer"), as_role("officer")
    token = csrf_token(page, "/reports/")
    before = db.session.scalar(select(func.count()).select_from(ReportJob))
    monkeypatch.setitem(rctx.config, "REPORT_SIGNING_P12", str(tmp_path / "signing.p12"))  # no password beside it
    response = officer.post("/api/v1/reports", json={"report_type": "trace_response", "params": {"serial": "X-1"}})
    problem = response.get_json()
    assert (response.status_code, problem["code"]) == (503, "signing_unavailable")
    assert "REPORT_SIGNING_PASSWORD is not set" in problem["detail"]
    form = page.post("/reports/new/trace_response", data={"csrf_token": token, "serial": "X-1"})
    assert form.status_code == 400 and "REPORT_SIGNING_PASSWORD is not set" in form.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ReportJob)) == before


def test_the_issued_list_counts_sorts_and_filters_by_day(rctx, as_role):
    from registry.reports.models import IssuedReport

    rows = db.session.scalars(select(IssuedReport).order_by(IssuedReport.entry_index)).all()
    assert len(rows) >= 3
    auditor = as_role("auditor")

    def listed(query: str) -> tuple[str, list[int]]:
        page = auditor.get(f"/reports/{query}").get_data(as_text=True)
        table = page.split('id="issued"')[1].split("</table>")[0]
        return page, [int(i) for i in re.findall(r'<a href="/ledger/entries/(\d+)">', table)]

    page, newest = listed("")
    assert f'id="issued-count"><strong>{len(rows)}</strong>' in page
    assert newest == [r.entry_index for r in reversed(rows)]
    assert listed("?order=oldest")[1] == [r.entry_index for r in rows]
    by_type = listed("?order=type")[1]
    assert by_type == [r.entry_index for r in sorted(rows, key=lambda r: (r.report_type, -r.entry_index))]
    day = rows[0].issued_at.date()
    assert listed(f"?from={day}&to={day}")[1] == [r.entry_index for r in reversed(rows) if r.issued_at.date() == day]
    page, none = listed(f"?to={day.replace(year=day.year - 1)}")
    assert none == [] and "No report matches." in page and 'id="issued-count"><strong>0</strong>' in page
    page, unfiltered = listed("?from=yesterday")
    assert unfiltered == newest and "The first day must be a date (YYYY-MM-DD)" in page
