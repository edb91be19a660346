"""Inventory audit pages: the audits and how to start one, and an audit's page where serials are
scanned (a barcode scanner types the serial and Enter), pasted or closed, with the counts and the
lists of what was found, what is missing and what the book does not expect."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user

from registry import clock
from registry.auth.guard import demand
from registry.auth.permissions import Permission, requires
from registry.custody.models import Party
from registry.custody.rules import THEFT_REPORT_HOURS
from registry.custody.runtime import reads as custody_reads
from registry.errors import RegistryError, show_on_form
from registry.inventory.forms import CloseForm, ListForm, ScanForm, StartForm
from registry.inventory.runtime import inventory, reads
from registry.labels import form_problem

bp = Blueprint("inventory", __name__, url_prefix="/inventory")


def _forms() -> dict:
    return {"scan": ScanForm(prefix="scan"), "list": ListForm(prefix="list"), "close": CloseForm(prefix="close")}


@bp.route("/", methods=["GET", "POST"])
@requires(Permission.ITEMS_READ)
def index():
    form = StartForm()
    form.licensee_party_id.choices = [("", "choose a licensee")] + [
        (p.id, f"{p.name} (FFL {p.ffl})") for p in custody_reads.licensees()
    ]
    if form.is_submitted():
        demand(Permission.ITEMS_WRITE)
        if form.validate():
            try:
                audit = inventory().start(
                    licensee_party_id=form.licensee_party_id.data,
                    kind=form.kind.data,
                    actor=current_user.actor,
                    now=clock.now(),
                )
            except RegistryError as error:
                if error.extra.get("audit_id"):
                    flash(f"{error.detail}.", "warning")
                    return redirect(url_for("inventory.audit", audit_id=error.extra["audit_id"]))
                show_on_form(form, error)
            else:
                return redirect(url_for("inventory.audit", audit_id=audit.id))
    listed = [(audit, custody_reads.get(Party, audit.licensee_party_id)) for audit in reads.audits()]
    return render_template(
        "inventory/index.html", form=form, audits=listed, can_write=current_user.can(Permission.ITEMS_WRITE)
    ), 400 if form.errors else 200


@bp.get("/<audit_id>")
@requires(Permission.ITEMS_READ)
def audit(audit_id: str, forms: dict | None = None, status: int = 200, result=None):
    found = reads.reconciliation(inventory().audit(audit_id))
    discovered = found.audit.closed_at or clock.now()
    return render_template(
        "inventory/audit.html",
        r=found,
        forms=forms or _forms(),
        result=result,
        can_write=current_user.can(Permission.ITEMS_WRITE),
        deadline=discovered + timedelta(hours=THEFT_REPORT_HOURS),
        can_issue=current_user.can(Permission.REPORTS_ISSUE),
        problem=form_problem((forms or {}).values()) if status >= 400 else None,
    ), status


@bp.get("/<audit_id>.json")
@requires(Permission.ITEMS_READ)
def counts(audit_id: str):
    """The audit's counts, for the page to follow what other officers scan."""
    found = reads.reconciliation(inventory().audit(audit_id))
    return jsonify({"status": found.audit.status, **found.counts, "done": found.done})


@bp.post("/<audit_id>/<action>")
@requires(Permission.ITEMS_WRITE)
def act(audit_id: str, action: str):
    forms = _forms()
    form = forms.get(action)
    if form is None:
        return audit(audit_id, status=404)
    if not form.validate_on_submit():
        return audit(audit_id, forms=forms, status=400)
    service, actor, now = inventory(), current_user.actor, clock.now()
    try:
        if action == "scan":
            result = service.scan(audit_id, form.serial.data, actor=actor, now=now)
            flash(result.message, "success" if result.outcome == "matched" else "warning")
            return redirect(url_for("inventory.audit", audit_id=audit_id, _anchor="scan"))
        if action == "list":
            counted = service.scan_list(audit_id, form.serials.data, actor=actor, now=now)
            flash(
                f"Read {sum(counted.values()):,} serials: {counted['matched']:,} found, {counted['elsewhere']:,} "
                f"booked elsewhere, {counted['unknown']:,} unknown, {counted['repeated']:,} scanned already.",
                "success",
            )
            return redirect(url_for("inventory.audit", audit_id=audit_id))
        index = service.close(audit_id, confirmed=form.confirm.data, actor=actor, now=now)
        flash(f"Audit closed and recorded in ledger entry {index}.", "success")
        return redirect(url_for("inventory.audit", audit_id=audit_id))
    except RegistryError as error:
        show_on_form(form, error, {"serials": "serials", "confirm": "confirm"})
        return audit(audit_id, forms=forms, status=error.status)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
