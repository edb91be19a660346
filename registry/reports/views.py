"""Report pages: the list of issued reports, a request form per report type, the job page with its
progress bar, a report's page and its PDF, and the verification of an uploaded PDF."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from registry import listing
from registry.auth.permissions import Permission, accepts_large_body, public, requires
from registry.contract import operation
from registry.custody.models import Item
from registry.custody.runtime import reads as custody_reads
from registry.errors import NotFoundError, RegistryError, show_on_form
from registry.labels import form_problem
from registry.reports import catalog, jobs, queries, verification
from registry.reports.forms import ReportForm, VerifyForm
from registry.reports.models import IssuedReport, ReportJob
from registry.reports.runtime import reads, reports, store
from registry.reports.store import StoredReportError

bp = Blueprint("reports", __name__, url_prefix="/reports")
pki = Blueprint("pki", __name__, url_prefix="/pki")
PAGE = 50


def _personal() -> bool:
    return current_user.can(Permission.PERSONAL_DATA_READ)


def issued_report(report_id: str) -> IssuedReport:
    found = reads.get(IssuedReport, report_id)
    if found is None:
        raise NotFoundError(f"no issued report {report_id}")
    return found


def own_job(job_id: str) -> ReportJob:
    found = reads.get(ReportJob, job_id)
    if found is None or found.requested_by != current_user.actor:
        raise NotFoundError(f"no report job {job_id} of yours")
    return jobs.settle(found)


def job_json(job: ReportJob) -> dict:
    return {
        "id": job.id,
        "report_type": job.report_type,
        "params": job.params,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
        "error": job.error,
        "report_id": job.report_id,
        "created_at": job.created_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
    }


def pdf_response(report: IssuedReport) -> Response:
    """The stored PDF, byte for byte. A report that shows private persons' data is handed only to a
    reader who may see personal data."""
    if report.params.get("personal_data") and not _personal():
        abort(403, "this report shows private persons' data, which your account may not read")
    try:
        data = store().get(report.sha256)
    except StoredReportError as error:
        current_app.logger.error("report %s (ledger entry %s): %s", report.id, report.entry_index, error)
        raise
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{report.report_type}-{report.entry_index}.pdf"',
            "ETag": f'"{report.sha256}"',
            # a copy of a report naming private persons must not stay in a cache; the others may
            "Cache-Control": "no-store" if report.params.get("personal_data") else "private, max-age=0",
        },
    )


def _choices(form: ReportForm) -> None:
    form.item_id.render_kw = dict(form.item_id.render_kw or {}, **{"data-lookup": url_for("custody.lookup_items")})
    form.licensee.choices = [SelectChoice("", "all licensees")] + [
        SelectChoice(p.id, f"{p.name} ({p.ffl})") for p in custody_reads.licensees()
    ]
    form.flag.choices = [
        SelectChoice(
            str(f.entry_index), f"entry {f.entry_index}: {len(f.item_ids)} handguns, {f.first_date} to {f.last_date}"
        )
        for f in reads.multiple_sale_flags()
    ]
    form.campaign_id.choices = [SelectChoice(c.id, f"{c.number}: {c.title}") for c in reads.campaigns()]
    form.audit_id.choices = [
        SelectChoice(a.id, f"{name}, closed {a.closed_at:%Y-%m-%d} (entry {a.closed_entry})")
        for a, name in reads.closed_audits()
    ]


@bp.get("/")
@requires(Permission.REPORTS_READ)
def index():
    page = listing.page_number(request.args)
    kind = request.args.get("type") if request.args.get("type") in catalog.TYPES else None
    order = request.args.get("order") if request.args.get("order") in queries.ISSUED_ORDERS else "newest"
    days = listing.days(request.args)
    filters = dict(report_type=kind, day_from=days["from"], day_to=days["to"])
    issued = reads.issued(**filters, order=order, offset=page * PAGE, limit=PAGE + 1)
    total = reads.issued_count(**filters)
    mine = (
        [jobs.settle(job) for job in reads.recent_jobs(current_user.actor)]
        if current_user.can(Permission.REPORTS_ISSUE)
        else []
    )
    return render_template(
        "reports/index.html",
        issued=issued[:PAGE],
        more=len(issued) > PAGE,
        page=page,
        kind=kind,
        order=order,
        orders=queries.ISSUED_ORDERS,
        total=total,
        page_size=PAGE,
        types=catalog.TYPES,
        jobs=mine,
        personal=_personal(),
    )


@bp.route("/new/<report_type>", methods=["GET", "POST"])
@requires(Permission.REPORTS_ISSUE)
def new(report_type: str):
    kind = catalog.TYPES.get(report_type)
    if kind is None:
        raise NotFoundError(f"no report type {report_type}")
    form = ReportForm(
        data={"withhold_personal": kind.withhold_by_default, **request.args.to_dict(), "report_type": report_type}
        if request.method == "GET"
        else None
    )
    _choices(form)
    if request.method == "GET" and "item_id" in kind.fields and form.item_id.data:
        shown = reads.get(Item, form.item_id.data)  # a link from an item's page names it by id
        form.item_id.data = shown.serial if shown is not None else form.item_id.data
    if form.validate_on_submit():
        params = {name: getattr(form, name).data for name in kind.fields}
        personal = _personal() and not form.withhold_personal.data
        try:
            if "item_id" in params:
                params["item_id"] = _item_named(params["item_id"])
            checked = reports().check(report_type, params)
            job = jobs.submit(report_type, checked, actor=current_user.actor, personal=personal)
        except RegistryError as error:  # a refused parameter, or signing unavailable (a flash)
            show_on_form(form, error)
        else:
            return redirect(url_for("reports.job", job_id=job.id))
    status = 400 if request.method == "POST" else 200
    return render_template("reports/new.html", form=form, kind=kind, problem=form_problem([form])), status


def _item_named(given) -> str:
    """The item a report form names by serial (any normal form, as the item list finds it) or by id.
    A serial that several items carry is refused on the field: the item's own page names it exactly."""
    given = (given or "").strip()
    if not given or reads.get(Item, given) is not None:
        return given
    found = custody_reads.search(serial=given, limit=3)
    if len(found) == 1:
        return found[0].id
    if len(found) > 1:
        raise catalog.ReportError(
            f"{len(found) if len(found) < 3 else 'several'} items carry the serial {given}: issue the report "
            "from the item's own page",
            code="ambiguous_serial",
            field="item_id",
        )
    return given


PARAM_WORDS = {
    "date_from": "From",
    "date_to": "To",
    "licensee": "Licensee",
    "view": "Corrections",
    "serial": "Serial",
    "manufacturer": "Manufacturer",
    "request_number": "Trace request",
    "flag": "Multiple-sale flag",
    "campaign_id": "Campaign",
    "audit_id": "Inventory audit",
    "item_id": "Item",
    "personal_data": "Private persons",
}


def shown_params(report: IssuedReport) -> list[tuple[str, str]]:
    """A report's parameters in words: parties, items and campaigns by name rather than id."""
    from registry.custody.models import Party
    from registry.recalls.models import RecallCampaign

    shown = []
    for key, value in sorted(report.params.items()):
        if key == "licensee" and value:
            party = reads.get(Party, value)
            value = f"{party.name} (FFL {party.ffl})" if party is not None and party.ffl else value
        elif key == "item_id" and value:
            item = reads.get(Item, value)
            value = item.serial if item is not None else value
        elif key == "campaign_id" and value:
            campaign = reads.get(RecallCampaign, value)
            value = f"{campaign.number}: {campaign.title}" if campaign is not None else value
        elif key == "personal_data":
            value = "shown" if value else "withheld"
        elif key == "flag":
            value = f"ledger entry {value}"
        if value in (None, ""):
            continue
        shown.append((PARAM_WORDS.get(key, key.replace("_", " ").capitalize()), str(value)))
    return shown


@bp.get("/jobs/<job_id>")
@requires(Permission.REPORTS_ISSUE)
def job(job_id: str):
    found = own_job(job_id)
    return render_template("reports/job.html", job=found, kind=catalog.TYPES[found.report_type])


@bp.get("/jobs/<job_id>.json")
@requires(Permission.REPORTS_ISSUE)
def job_status(job_id: str):
    return jsonify(job_json(own_job(job_id)))


@bp.get("/<report_id>")
@requires(Permission.REPORTS_READ)
def show(report_id: str):
    found = issued_report(report_id)
    return render_template(
        "reports/show.html",
        report=found,
        kind=None,
        params=shown_params(found),
        may_download=_personal() or not found.params.get("personal_data"),
    )


@bp.get("/<report_id>.pdf")
@requires(Permission.REPORTS_READ)
def download(report_id: str):
    return pdf_response(issued_report(report_id))


@bp.route("/verify", methods=["GET", "POST"])
@requires(Permission.REPORTS_READ)
@accepts_large_body("REPORT_UPLOAD_LIMIT")  # a long signed report is tens of MB
def verify():
    form = VerifyForm()
    verdict = issued = None
    if form.validate_on_submit():
        verdict, issued = verification.verify(form.pdf.data.read())
    status = 400 if request.method == "POST" and verdict is None else 200
    return render_template("reports/verify.html", form=form, verdict=verdict, issued=issued), status


def certificate_panel(item, forms: dict | None = None) -> Markup:
    """The item page's link to its signed custody certificate (and theft/loss report when it applies)."""
    if not current_user.can(Permission.REPORTS_ISSUE):
        return Markup("")
    return Markup(render_template("reports/_item_panel.html", item=item))


@pki.get("/report-ca.crl")
@public
@operation(
    "The development report CA's certificate revocation list (DER), named by its signing certificate",
    response=None,
    media_type="application/pkix-crl",
    errors=(404,),
)
def report_crl():
    crl = reports().signing.revocation_list()
    if crl is None:
        raise NotFoundError("this registry signs with an operator's certificate: its CA publishes the revocation data")
    return Response(crl, mimetype="application/pkix-crl", headers={"Cache-Control": "max-age=3600"})


@pki.get("/report-ca.pem")
@public
@operation(
    "The report signing CA's certificate (PEM): the trust root for report signatures",
    response=None,
    media_type="application/x-pem-file",
    errors=(404,),
)
def report_ca():
    roots = verification.trust_roots()
    if not roots:
        raise NotFoundError("no report trust root is configured")
    return Response(b"".join(roots), mimetype="application/x-pem-file", headers={"Cache-Control": "max-age=3600"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(pki)
    app.extensions.setdefault("item_panels", {})["reports"] = certificate_panel
