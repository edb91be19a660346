"""Reports over JSON: request a report (a background job), follow the job, read and download what
was issued, and verify a PDF."""

from __future__ import annotations

from typing import Literal

from flask import Blueprint, Flask, request, url_for
from flask_login import current_user
from pydantic import Field

from registry.auth.permissions import Permission, accepts_large_body, requires
from registry.contract import Answer, Body, FreeObject, Page, Text, operation, paged
from registry.errors import RegistryError
from registry.reports import catalog, jobs, verification
from registry.reports.models import IssuedReport
from registry.reports.runtime import reads, reports
from registry.reports.views import issued_report, job_json, own_job, pdf_response

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1")
ReportType = Literal[tuple(sorted(catalog.TYPES))]  # type: ignore[valid-type]
REPORT = {"report_id": "report id"}


class NotAPdfError(RegistryError):
    status = 422
    code = "not_a_pdf"
    title = "Not a PDF"


class ReportRequest(Body):
    report_type: ReportType = Field(description="the kind of report")
    params: dict[str, Text | int | bool | None] = Field(
        default_factory=dict,
        description="; ".join(f"{t.name}: {', '.join(t.fields) or 'none'}" for t in catalog.TYPES.values()),
    )
    personal_data: bool = Field(
        True,
        description="show private persons' names (when your account may); false "
        "withholds them, for a copy meant for a regulator",
    )


class ReportsQuery(Page):
    type: ReportType | None = Field(None, description="only this report type")


class IssuedReportOut(Answer):
    id: str
    report_type: str
    title: str
    params: FreeObject
    sha256: str
    size: int
    pages: int
    checkpoint_size: int
    evidence_entries: int
    template_revision: str
    issued_by: str
    issued_at: str
    entry_index: int
    pdf: str = Field(description="where to download the PDF")
    personal_data: bool = Field(description="the report shows private persons' names and addresses")
    downloadable: bool = Field(description="the reader may download the PDF")


class IssuedReports(Answer):
    reports: list[IssuedReportOut]
    next_cursor: str | None


class ReportJob(Answer):
    id: str
    report_type: str
    params: FreeObject
    status: Literal["queued", "running", "done", "failed"]
    progress: int = Field(ge=0, le=100)
    message: str | None
    error: str | None
    report_id: str | None
    created_at: str
    updated_at: str


class VerdictCheck(Answer):
    name: str
    passed: bool
    detail: str


class ReportVerdict(Answer):
    valid: bool
    summary: str
    sha256: str
    level: str = Field(description="PAdES baseline level of the signature: B-B, B-T, B-LT or B-LTA; empty if unread")
    checks: list[VerdictCheck]
    report_id: str | None


def report_json(report: IssuedReport) -> dict:
    return {
        "id": report.id,
        "report_type": report.report_type,
        "title": report.title,
        "params": report.params,
        "sha256": report.sha256,
        "size": report.size,
        "pages": report.pages,
        "checkpoint_size": report.checkpoint_size,
        "evidence_entries": report.evidence_entries,
        "template_revision": report.template_revision,
        "issued_by": report.issued_by,
        "issued_at": report.issued_at.isoformat(),
        "entry_index": report.entry_index,
        "pdf": url_for("reports_api.get_pdf", report_id=report.id),
        "personal_data": bool(report.params.get("personal_data")),
        "downloadable": not report.params.get("personal_data") or current_user.can(Permission.PERSONAL_DATA_READ),
    }


@bp.get("/reports")
@requires(Permission.REPORTS_READ)
@operation("Issued reports, newest first", response=IssuedReports, query=ReportsQuery)
def list_reports(params: ReportsQuery):
    rows, next_cursor = paged(
        lambda start, count: reads.issued(report_type=params.type, offset=start, limit=count), params
    )
    return {"reports": [report_json(r) for r in rows], "next_cursor": next_cursor}


@bp.post("/reports")
@requires(Permission.REPORTS_ISSUE)
@operation(
    "Request a report: it is made in the background; follow the job",
    response=ReportJob,
    status=202,
    body=ReportRequest,
    errors=(404, 409, 422, 503),
    headers={"Location": "the job's URL"},
)
def request_report(body: ReportRequest):
    checked = reports().check(body.report_type, body.params)
    job = jobs.submit(
        body.report_type,
        checked,
        actor=current_user.actor,
        personal=body.personal_data and current_user.can(Permission.PERSONAL_DATA_READ),
    )
    return job_json(job), {"Location": url_for("reports_api.get_job", job_id=job.id)}


@bp.get("/reports/jobs/<job_id>")
@requires(Permission.REPORTS_ISSUE)
@operation(
    "A report job of yours: status, progress in percent, and the report when done",
    response=ReportJob,
    paths={"job_id": "job id"},
    errors=(404,),
)
def get_job(job_id: str):
    return job_json(own_job(job_id))


@bp.get("/reports/<report_id>")
@requires(Permission.REPORTS_READ)
@operation("An issued report", response=IssuedReportOut, paths=REPORT, errors=(404,))
def get_report(report_id: str):
    return report_json(issued_report(report_id))


@bp.get("/reports/<report_id>/pdf")
@requires(Permission.REPORTS_READ)
@operation(
    "The signed PDF, byte for byte as issued",
    response=None,
    media_type="application/pdf",
    paths=REPORT,
    errors=(404, 500),
)
def get_pdf(report_id: str):
    return pdf_response(issued_report(report_id))


@bp.post("/reports/verify")
@requires(Permission.REPORTS_READ)
@accepts_large_body("REPORT_UPLOAD_LIMIT")  # a long signed report is tens of MB
@operation(
    "Verify a report PDF sent as the request body (Content-Type: application/pdf)",
    response=ReportVerdict,
    body_media="application/pdf",
    errors=(422,),
)
def verify_pdf():
    data = request.get_data()
    if not data.startswith(b"%PDF-"):
        raise NotAPdfError("the body must be a PDF file (it does not start with %PDF-)")
    verdict, issued = verification.verify(data)
    return {
        "valid": verdict.ok,
        "summary": verdict.summary(),
        "sha256": verdict.sha256,
        "level": verdict.level,
        "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in verdict.checks],
        "report_id": issued.id if issued else None,
    }


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
