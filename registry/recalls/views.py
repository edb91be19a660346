"""Recall pages: the campaigns, opening one, and the campaign page with its counts, completion
chart, Part 573 summary and holder list, where units move through their states."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user

from registry import clock, fields
from registry.auth.guard import demand
from registry.auth.permissions import Permission, requires
from registry.errors import RegistryError, show_on_form
from registry.recalls import drawing, queries
from registry.recalls.forms import BulkForm, CampaignForm, CloseForm, UnitForm
from registry.recalls.rules import RecallError
from registry.recalls.runtime import reads, recalls
from registry.supply.runtime import reads as supply_reads

bp = Blueprint("recalls", __name__, url_prefix="/recalls")
PAGE = 200


def _a() -> dict:
    return {"actor": current_user.actor, "now": clock.now()}


def _campaign_form() -> CampaignForm:
    form = CampaignForm()
    form.part.choices = [("", "choose a part")] + [
        (p.id, f"{p.number} · {p.description}") for p in supply_reads.parts()
    ]
    return form


def _basis(form: CampaignForm) -> dict:
    if form.basis.data == "lots":  # the service resolves the codes
        return {"type": "lots", "lot_ids": [code.strip() for code in (form.lots.data or "").split(",") if code.strip()]}
    if form.basis.data == "part":
        return {
            "type": "part",
            "part_id": form.part.data,
            "made_from": form.made_from.data.isoformat() if form.made_from.data else None,
            "made_to": form.made_to.data.isoformat() if form.made_to.data else None,
        }
    return {
        "type": "serials",
        "serials": [line.strip() for line in (form.serials.data or "").splitlines() if line.strip()],
    }


FORM_FIELDS = {
    "basis.lot_ids": "lots",
    "basis.part_id": "part",
    "basis.made_from": "made_from",
    "basis.made_to": "made_to",
    "basis.serials": "serials",
    "basis": "basis",
    "basis.type": "basis",
}


@bp.route("/", methods=["GET", "POST"])
@requires(Permission.ITEMS_READ)
def index():
    form = _campaign_form()
    if request.method == "POST":
        demand(Permission.ITEMS_WRITE)
        if form.validate_on_submit():
            try:
                campaign = recalls().open(
                    number=form.number.data,
                    title=form.title.data,
                    defect=form.defect.data,
                    remedy=form.remedy.data,
                    basis=_basis(form),
                    as_of=form.as_of.data or None,
                    on=clock.now().date(),
                    **_a(),
                )
            except RegistryError as error:
                if error.field and error.field.startswith(("basis.serials[", "basis.lot_ids[")):
                    error.field = error.field.split("[")[0]
                show_on_form(form, error, FORM_FIELDS)
            else:
                flash(f"Opened campaign {campaign.number}: {campaign.population_size} units.", "success")
                return redirect(url_for("recalls.campaign", campaign_id=campaign.id))
    campaigns = [(c, reads.counts(c.id)) for c in reads.campaigns()]
    return render_template(
        "recalls/index.html",
        campaigns=campaigns,
        completion=queries.completion,
        form=form,
        can_write=current_user.can(Permission.ITEMS_WRITE),
    ), 200 if not form.errors else 400


def _forms() -> dict:
    forms = {"unit": UnitForm(prefix="unit"), "bulk": BulkForm(prefix="bulk"), "close": CloseForm(prefix="close")}
    if request.method == "GET":  # today is offered, and shown; a form sent without a date is refused
        for form in forms.values():
            form.date.data = clock.now().date()
    return forms


@bp.get("/<campaign_id>")
@requires(Permission.ITEMS_READ)
def campaign(campaign_id: str, forms: dict | None = None, status: int = 200, posted: dict | None = None):
    found = recalls().campaign(campaign_id)
    page = fields.page_number(request.args.get("page"))
    state = request.args.get("state") or None
    counted = reads.counts(found.id)
    series = reads.history(found)
    until = found.closed_on or max(clock.now().date(), series[-1][0])
    units = reads.units(
        found.id,
        personal=current_user.can(Permission.PERSONAL_DATA_READ),
        state=state,
        limit=PAGE + 1,
        offset=page * PAGE,
    )
    return render_template(
        "recalls/campaign.html",
        campaign=found,
        counts=counted,
        summary=reads.part_573(found),
        completion=queries.completion(counted),
        chart=drawing.completion_svg(series, found.population_size, until=until),
        units=units[:PAGE],
        more=len(units) > PAGE,
        page=page,
        state=state,
        forms=forms or _forms(),
        can_write=current_user.can(Permission.ITEMS_WRITE) and found.status == "open",
        today=clock.now().date(),
        latest_day=clock.latest_day(clock.now()),
        posted=posted or {},  # the unit whose row was sent and refused: its values and the error's field
    ), status


@bp.post("/<campaign_id>/units/<item_id>")
@requires(Permission.ITEMS_WRITE)
def update_unit(campaign_id: str, item_id: str):
    forms = _forms()
    form = forms["unit"]
    if not form.validate_on_submit():
        return campaign(campaign_id, forms, 400)
    try:
        replacement = (
            {"removed": form.removed.data, "installed": form.installed.data}
            if (form.removed.data or form.installed.data)
            else None
        )
        recalls().update_unit(
            campaign_id,
            item_id,
            state=form.state.data,
            on=fields.iso_day(form.date.data),
            note=form.note.data,
            replacement=replacement,
            **_a(),
        )
    except RegistryError as error:
        # The row comes back as sent, with the message on the input at fault.
        where = {"replacement.removed": "removed", "replacement.installed": "installed", "replacement.at": "date"}
        field = where.get(error.field, error.field if error.field in ("state", "date", "note") else None)
        flash(error.detail, "danger")  # also at the top: a unit that is complete shows no row form
        posted = {"item_id": item_id, "field": field, "detail": error.detail}
        return campaign(campaign_id, forms, 409 if error.status == 409 else 400, posted)
    flash(f"Unit is {form.state.data}.", "success")
    return redirect(url_for("recalls.campaign", campaign_id=campaign_id, state=request.args.get("state")) + "#units")


@bp.post("/<campaign_id>/bulk")
@requires(Permission.ITEMS_WRITE)
def update_units(campaign_id: str):
    forms = _forms()
    form = forms["bulk"]
    if not form.validate_on_submit():
        return campaign(campaign_id, forms, 400)
    items = reads.unit_ids(campaign_id, form.from_state.data)
    try:
        if not items:
            raise RecallError(f"no unit is {form.from_state.data}", code="no_units", field="from_state")
        count = recalls().update_units(
            campaign_id, items, state=form.state.data, on=fields.iso_day(form.date.data), note=form.note.data, **_a()
        )
    except RegistryError as error:
        show_on_form(form, error, {"item_id": "state"})
        return campaign(campaign_id, forms, 409 if error.status == 409 else 400)
    flash(f"{count} units are {form.state.data}.", "success")
    return redirect(url_for("recalls.campaign", campaign_id=campaign_id))


@bp.post("/<campaign_id>/close")
@requires(Permission.ITEMS_WRITE)
def close(campaign_id: str):
    forms = _forms()
    form = forms["close"]
    if not form.validate_on_submit():
        return campaign(campaign_id, forms, 400)
    try:
        recalls().close(
            campaign_id, on=fields.iso_day(form.date.data), note=form.note.data, confirmed=form.confirm.data, **_a()
        )
    except RegistryError as error:
        show_on_form(form, error)
        return campaign(campaign_id, forms, 409 if error.status == 409 else 400)
    flash("Campaign closed.", "success")
    return redirect(url_for("recalls.campaign", campaign_id=campaign_id))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.extensions.setdefault("genealogy_highlights", []).append(queries.open_recall_marks)
