"""Reports over JSON: request a report (a background job), follow the job, read and download what
was issued, and verify a PDF."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import select

from registry.auth.permissions import Permission, accepts_large_body, requires
from registry.errors import InvalidBodyError, json_object
from registry.extensions import db
from registry.openapi import SCHEMAS, operation, path, query
from registry.reports import catalog, jobs, verification
from registry.reports.models import IssuedReport
from registry.reports.runtime import reports
from registry.reports.views import issued_report, job_json, own_job, pdf_response

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1")

SCHEMAS["IssuedReport"] = {"type": "object", "required": ["id", "report_type", "sha256", "entry_index"], "properties": {
    "id": {"type": "string"}, "report_type": {"enum": sorted(catalog.TYPES)}, "title": {"type": "string"},
    "params": {"type": "object"}, "sha256": {"type": "string"}, "size": {"type": "integer"},
    "pages": {"type": "integer"}, "checkpoint_size": {"type": "integer"}, "evidence_entries": {"type": "integer"},
    "template_revision": {"type": "string"}, "issued_by": {"type": "string"}, "issued_at": {"type": "string"},
    "entry_index": {"type": "integer"}, "pdf": {"type": "string"},
    "personal_data": {"type": "boolean", "description": "the report shows private persons' names and addresses"},
    "downloadable": {"type": "boolean", "description": "the reader may download the PDF"}}}
SCHEMAS["IssuedReports"] = {"type": "object", "required": ["reports"], "properties": {
    "reports": {"type": "array", "items": {"$ref": "#/components/schemas/IssuedReport"}}}}
SCHEMAS["ReportRequest"] = {"type": "object", "required": ["report_type"], "properties": {
    "report_type": {"enum": sorted(catalog.TYPES)},
    "params": {"type": "object", "description": "; ".join(f"{t.name}: {', '.join(t.fields) or 'none'}"
                                                        for t in catalog.TYPES.values())},
    "personal_data": {"type": "boolean", "description": "show private persons' names (default: when you may)"}}}
SCHEMAS["ReportJob"] = {"type": "object", "required": ["id", "status", "progress"], "properties": {
    "id": {"type": "string"}, "report_type": {"type": "string"}, "params": {"type": "object"},
    "status": {"enum": ["queued", "running", "done", "failed"]}, "progress": {"type": "integer"},
    "message": {"type": "string"}, "error": {"type": ["string", "null"]}, "report_id": {"type": ["string", "null"]},
    "created_at": {"type": "string"}, "updated_at": {"type": "string"}}}
SCHEMAS["ReportVerdict"] = {"type": "object", "required": ["valid", "checks", "sha256"], "properties": {
    "valid": {"type": "boolean"}, "summary": {"type": "string"}, "sha256": {"type": "string"},
    "checks": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "passed": {"type": "boolean"}, "detail": {"type": "string"}}}},
    "report_id": {"type": ["string", "null"]}}}


def report_json(report: IssuedReport) -> dict:
    return {"id": report.id, "report_type": report.report_type, "title": report.title, "params": report.params,
            "sha256": report.sha256, "size": report.size, "pages": report.pages,
            "checkpoint_size": report.checkpoint_size, "evidence_entries": report.evidence_entries,
            "template_revision": report.template_revision, "issued_by": report.issued_by,
            "issued_at": report.issued_at.isoformat(), "entry_index": report.entry_index,
            "pdf": url_for("reports_api.get_pdf", report_id=report.id),
            "personal_data": bool(report.params.get("personal_data")),
            "downloadable": not report.params.get("personal_data") or current_user.can(Permission.PERSONAL_DATA_READ)}


@bp.get("/reports")
@requires(Permission.REPORTS_READ)
@operation("Issued reports, newest first", response="IssuedReports", parameters=(
    query("type", "only this report type", kind="string"), query("limit", "at most this many (default 100)")),
    errors=(400,))
def list_reports():
    try:
        limit = max(1, min(int(request.args.get("limit", 100)), 1000))
    except ValueError:
        raise catalog.ReportError("'limit' is a whole number", status=400, field="limit") from None
    statement = select(IssuedReport).order_by(IssuedReport.entry_index.desc()).limit(limit)
    if request.args.get("type"):
        statement = statement.where(IssuedReport.report_type == request.args["type"])
    return jsonify({"reports": [report_json(r) for r in db.session.scalars(statement)]})


@bp.post("/reports")
@requires(Permission.REPORTS_ISSUE)
@operation("Request a report: it is made in the background; follow the job", response="ReportJob",
           request="ReportRequest", errors=(400, 404, 409, 422, 503))
def request_report():
    data = json_object()
    report_type = data.get("report_type")
    if not isinstance(report_type, str):
        raise catalog.ReportError("'report_type' is required", code="missing_field", field="report_type")
    personal = data.get("personal_data", True)
    if not isinstance(personal, bool):
        raise catalog.ReportError("'personal_data' must be true or false", field="personal_data")
    checked = reports().check(report_type, data.get("params", {}))
    job = jobs.submit(report_type, checked, actor=current_user.actor,
                      personal=personal and current_user.can(Permission.PERSONAL_DATA_READ))
    return jsonify(job_json(job)), 202, {"Location": url_for("reports_api.get_job", job_id=job.id)}


@bp.get("/reports/jobs/<job_id>")
@requires(Permission.REPORTS_ISSUE)
@operation("A report job of yours: status, progress in percent, and the report when done", response="ReportJob",
           parameters=(path("job_id", "job id", "string"),), errors=(404,))
def get_job(job_id: str):
    return jsonify(job_json(own_job(job_id)))


@bp.get("/reports/<report_id>")
@requires(Permission.REPORTS_READ)
@operation("An issued report", response="IssuedReport", parameters=(path("report_id", "report id", "string"),),
           errors=(404,))
def get_report(report_id: str):
    return jsonify(report_json(issued_report(report_id)))


@bp.get("/reports/<report_id>/pdf")
@requires(Permission.REPORTS_READ)
@operation("The signed PDF, byte for byte as issued", response=None, media_type="application/pdf",
           parameters=(path("report_id", "report id", "string"),), errors=(404,))
def get_pdf(report_id: str):
    return pdf_response(issued_report(report_id))


@bp.post("/reports/verify")
@requires(Permission.REPORTS_READ)
@accepts_large_body("REPORT_UPLOAD_LIMIT")  # a long signed report is tens of MB
@operation("Verify a report PDF sent as the request body (Content-Type: application/pdf)", response="ReportVerdict",
           errors=(400,))
def verify_pdf():
    data = request.get_data()
    if not data.startswith(b"%PDF-"):
        raise InvalidBodyError("the body must be a PDF file (it does not start with %PDF-)")
    verdict, issued = verification.verify(data)
    return jsonify({"valid": verdict.ok, "summary": verdict.summary(), "sha256": verdict.sha256,
                    "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in verdict.checks],
                    "report_id": issued.id if issued else None})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
