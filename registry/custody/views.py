"""Custody pages: search, register, the item page with its actions, parties, the bound book, trace
requests and compliance signals. Views parse, call the service, render; refusals come back as form
errors on the field they name, and nothing is appended."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from registry import clock, fields, labels, listing, serials
from registry.auth.guard import demand
from registry.auth.permissions import Permission, requires
from registry.custody import projection, queries, rules, states
from registry.custody.api import book_rows, to_csv
from registry.custody.forms import (
    CorrectionForm,
    ImportForm,
    ItemForm,
    PartyChoiceForm,
    PartyForm,
    StatusForm,
    TraceForm,
)
from registry.custody.models import Party
from registry.custody.runtime import custody, reads
from registry.errors import NotFoundError, RegistryError, show_on_form
from registry.labels import form_problem
from registry.ledger.runtime import reader, verifier_key

bp = Blueprint("custody", __name__)
PARTY_PAGE = 50
RECORDED = {
    "acquire": "Acquisition",
    "dispose": "Disposition",
    "transfer": "Transfer",
    "status": "Status change",
    "correct": "Correction",
}


def _personal() -> bool:
    return current_user.can(Permission.PERSONAL_DATA_READ)


def _party_words(party_id: str) -> str:
    label = reads.party_label(party_id, personal=_personal())
    return f"{label['name']} ({labels.party_kind(label['kind']).lower()}{', ' + label['ffl'] if label['ffl'] else ''})"


def party_choices(blank: str = "choose a party") -> list:
    """The options of a party select: every party while there are few (the page works without
    scripts), else only the ones the request names, and the picker searches the rest as you type."""
    if reads.party_count() <= queries.PICKER_ALL:
        shown = reads.parties()
    else:
        shown = reads.parties_by_id(value for value in request.values.values())
    return [("", blank)] + [(party.id, _party_words(party.id)) for party in shown]


@bp.get("/lookup/parties")
@requires(Permission.ITEMS_READ)
def lookup_parties():
    """Parties for a picker: name or licence number starting with `q` (of `kind`, if given)."""
    kind = request.args.get("kind") if request.args.get("kind") in labels.PARTY_KINDS else None
    found = reads.party_suggestions(request.args.get("q", "")[:200], personal=_personal(), kind=kind)
    return jsonify(results=[{"value": party.id, "label": _party_words(party.id)} for party in found])


@bp.get("/lookup/items")
@requires(Permission.ITEMS_READ)
def lookup_items():
    """Items for a picker: serial starting with `q`, in any spacing or case."""
    found = reads.item_suggestions(request.args.get("q", "")[:200])
    return jsonify(
        results=[
            {
                "value": item.id,
                "serial": item.serial,
                "label": item.serial,
                "hint": " · ".join(
                    part
                    for part in (labels.kind(item.kind), item.manufacturer, item.model, labels.status(item.status))
                    if part
                ),
            }
            for item in found
        ]
    )


@bp.get("/items/")
@requires(Permission.ITEMS_READ)
def search():
    args = request.args
    filters = {name: (args.get(name) or None) for name in ("serial", "kind", "status", "holder", "manufacturer")}
    days = listing.days(args)
    date_from, date_to = days["from"], days["to"]
    sort = args.get("sort") if args.get("sort") in queries.ITEM_SORTS else "recent"
    if filters["serial"]:  # an exact serial, in every scheme's normal form: a handful of rows
        items = reads.search(**filters, date_from=date_from, date_to=date_to, limit=200)
        listed = queries.ItemPage(items=items, total=len(items), next_after=None)
    else:
        del filters["serial"]
        listed = reads.item_page(**filters, date_from=date_from, date_to=date_to, sort=sort, after=args.get("after"))
        items = listed.items
    holders = {
        i.holder_party_id: reads.party_label(i.holder_party_id, personal=_personal())
        for i in items
        if i.holder_party_id
    }
    return render_template(
        "custody/search.html",
        items=items,
        listed=listed,
        sort=sort,
        sorts=queries.ITEM_SORTS,
        holders=holders,
        args=args,
        kinds=rules.KINDS,
        statuses=rules.STATUSES,
        parties=party_choices("any holder"),
    )


@bp.route("/items/import", methods=["GET", "POST"])
@requires(Permission.ITEMS_WRITE)
def import_file():
    """Upload a CSV of acquisitions: it is imported in the background, the job page shows how far."""
    from registry.custody import bulk, imports

    form = ImportForm()
    form.recipient.choices = [(p.id, f"{p.name} ({p.ffl})") for p in reads.licensees()]
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            form.file.errors.append("the file is not UTF-8 text: save it as CSV (UTF-8)")
        else:
            try:
                job = imports.submit(
                    text,
                    recipient_party_id=form.recipient.data,
                    skip_invalid=form.skip_invalid.data,
                    actor=current_user.actor,
                )
            except RegistryError as error:
                show_on_form(form, error)
            else:
                return redirect(url_for("custody.import_job", job_id=job.id))
    return render_template(
        "custody/import.html",
        form=form,
        columns=bulk.COLUMNS,
        required=bulk.REQUIRED,
        jobs=imports.recent_jobs(current_user.actor),
    ), 400 if form.errors else 200


EXAMPLE_IMPORT = (
    "kind,scheme,serial,description,acquired_on,source_ffl,reference,import_key\n"
    "goods,plain,SPR-{day}-001,Spare slide assembly,{day},9-87-654-07-8A-00001,INV-{day},spare-{day}-1\n"
    "goods,plain,SPR-{day}-002,Spare slide assembly,{day},9-87-654-07-8A-00001,INV-{day},spare-{day}-2\n"
    "firearm,firearm,EXM-{day},,{day},9-87-654-07-8A-00001,INV-{day},pistol-{day}\n"
)


@bp.get("/items/import/example.csv")
@requires(Permission.ITEMS_WRITE)
def import_example():
    """A small file in the import's format, dated today, to try the import with (its firearm row lacks
    the maker, model, type and caliber, so it shows how a bad row is reported)."""
    from flask import Response

    return Response(
        EXAMPLE_IMPORT.format(day=clock.now().date().isoformat()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=example-import.csv"},
    )


@bp.get("/items/imports/<job_id>")
@requires(Permission.ITEMS_WRITE)
def import_job(job_id: str):
    from registry.custody import imports

    return render_template("custody/import_job.html", job=imports.own_job(job_id, current_user.actor))


@bp.get("/items/imports/<job_id>.json")
@requires(Permission.ITEMS_WRITE)
def import_job_status(job_id: str):
    from registry.custody import imports

    return jsonify(imports.job_json(imports.own_job(job_id, current_user.actor)))


@bp.route("/items/new", methods=["GET", "POST"])
@requires(Permission.ITEMS_WRITE)
def register():
    form = ItemForm()
    if form.validate_on_submit():
        facts = {name: getattr(form, name).data or None for name in projection.ITEM_FIELDS}
        try:
            item = custody().register_item(
                kind=form.kind.data,
                scheme=form.scheme.data,
                serial=form.serial.data or "",
                on=fields.iso_day(form.date.data) or clock.now().date().isoformat(),
                actor=current_user.actor,
                now=clock.now(),
                override_justification=(form.justification.data if form.override.data else None),
                **facts,
            )
        except RegistryError as error:
            show_on_form(form, error, {"override_justification": "justification"})
        else:
            flash(f"Registered {item.serial} (ledger entry {item.registered_entry}).", "success")
            return redirect(url_for("custody.item", item_id=item.id))
    return render_template(
        "custody/register.html", form=form, schemes=rules.SCHEMES_BY_KIND, problem=form_problem([form])
    ), 400 if form.errors else 200


def _action_forms(item):
    holder_choices = party_choices()
    acquire = PartyChoiceForm(prefix="acquire")
    dispose = PartyChoiceForm(prefix="dispose")
    transfer = PartyChoiceForm(prefix="transfer")
    picker = {"data-picker": url_for("custody.lookup_parties")}
    for form in (acquire, dispose, transfer):
        form.party.choices = holder_choices
        form.second.choices = holder_choices
        form.party.render_kw = form.second.render_kw = picker
    status = StatusForm(prefix="status")
    allowed = allowed_events(item)
    status.status.choices = [
        choice for choice in status.status.choices if choice.value in allowed
    ] or status.status.choices
    correction = CorrectionForm(prefix="correct")
    records = [r for r in reads.timeline(item.id) if r.type in projection.CORRECTABLE]
    correction.corrects.choices = [
        (str(r.entry_index), f"entry {r.entry_index}: {labels.record(r.type, r.details).lower()} on {r.on}")
        for r in records
    ]
    correction.party.choices = holder_choices
    correction.party.render_kw = picker
    correction.field.choices = [
        (f, labels.detail(f)) for f in sorted({f for r in records for f in projection.CORRECTABLE[r.type]})
    ]
    return {"acquire": acquire, "dispose": dispose, "transfer": transfer, "status": status, "correct": correction}


def _all_forms(forms: dict | None, panel_forms: dict | None) -> list:
    """The page's own forms and those of the panels other domains add (a dict of forms each)."""
    found = list((forms or {}).values())
    for panel in (panel_forms or {}).values():
        found += list(panel.values()) if isinstance(panel, dict) else [panel]
    return found


def allowed_events(item) -> frozenset[str]:
    """The events the state machine allows the item next, which decide the forms its page offers."""
    return states.ALLOWED[item.kind][reads.custody_state(item)]


@bp.get("/items/<item_id>")
@requires(Permission.ITEMS_READ)
def item(
    item_id: str,
    forms: dict | None = None,
    status: int = 200,
    panel_forms: dict | None = None,
    posted: str | None = None,
):
    found = custody(writing=False).item(item_id)
    records = reads.timeline(found.id)
    service, vkey = reader(), verifier_key()
    proofs = {r.entry_index: service.proven_entry(r.entry_index, vkey) for r in records}
    party_of_entry = {r.entry_index: reads.party_label(r.party_id, personal=_personal()) for r in records}
    named = {
        pid
        for r in records
        if r.type == "corrected"
        for k, pid in r.details["fields"].items()
        if k.endswith("_party_id")
    }
    parties = {pid: reads.party_label(pid, personal=_personal()) for pid in named}
    return render_template(
        "custody/item.html",
        item=found,
        records=records,
        proofs=proofs,
        labels=party_of_entry,
        parties=parties,
        holder=reads.party_label(found.holder_party_id, personal=_personal()),
        forms=forms or _action_forms(found),
        can_write=current_user.can(Permission.ITEMS_WRITE),
        allowed=allowed_events(found),
        posted=posted,
        problem=form_problem(_all_forms(forms, panel_forms)) if status >= 400 else None,
        scheme_label=serials.SCHEMES[found.scheme].label if found.scheme in serials.SCHEMES else found.scheme,
        state=states.STATE_LABELS[reads.custody_state(found)],
        panels=[
            panel(found, (panel_forms or {}).get(name))
            for name, panel in current_app.extensions.get("item_panels", {}).items()
        ],
    ), status


@bp.post("/items/<item_id>/<action>")
@requires(Permission.ITEMS_WRITE)
def act(item_id: str, action: str):
    found = custody(writing=False).item(item_id)
    forms = _action_forms(found)
    form = forms.get(action)
    if form is None:
        raise NotFoundError(f"there is no action {action!r} on an item", field="action")
    if not form.validate_on_submit():
        return item(item_id, forms=forms, status=400, posted=action)
    service, actor, now = custody(), current_user.actor, clock.now()
    on = fields.iso_day(form.date.data) if hasattr(form, "date") else None
    try:
        if action == "acquire":
            index = service.acquire(
                item_id,
                on=on or now.date().isoformat(),
                source_party_id=form.party.data,
                recipient_party_id=form.second.data,
                reference=form.reference.data,
                actor=actor,
                now=now,
            )
        elif action == "dispose":
            index = service.dispose(
                item_id,
                on=on or now.date().isoformat(),
                from_party_id=found.holder_party_id,
                transferee_party_id=form.party.data,
                form_4473=form.form_4473.data,
                actor=actor,
                now=now,
            )
        elif action == "transfer":
            index = service.transfer(
                item_id, on=on or now.date().isoformat(), to_party_id=form.party.data, actor=actor, now=now
            )
        elif action == "status":
            index = service.change_status(
                item_id,
                status=form.status.data,
                on=on or now.date().isoformat(),
                discovered_at=form.discovered_at.data,
                police_report=form.police_report.data,
                atf_incident=form.atf_incident.data,
                note=form.note.data,
                actor=actor,
                now=now,
            )
        else:
            given = (form.corrects.data or "").strip()
            corrects = int(given) if given.isascii() and given.isdigit() else None
            value = form.party.data if (form.field.data or "").endswith("_party_id") else form.value.data
            index = service.correct(
                item_id,
                corrects=corrects,
                fields={form.field.data: value},
                reason=form.reason.data,
                actor=actor,
                now=now,
            )
    except RegistryError as error:
        show_on_form(
            form,
            error,
            {
                "source_party_id": "party",
                "transferee_party_id": "party",
                "to_party_id": "party",
                "recipient_party_id": "second",
                "from_party_id": "party",
            },
        )
        if error.field and error.field.startswith("fields."):
            target = form.party if error.field.endswith("_party_id") else form.value
            target.errors = list(target.errors) + [error.detail]
        return item(item_id, forms=forms, status=error.status, posted=action)
    flash(f"{RECORDED[action]} recorded in ledger entry {index}.", "success")
    return redirect(url_for("custody.item", item_id=item_id))


@bp.route("/parties/", methods=["GET", "POST"])
@requires(Permission.ITEMS_READ)
def parties():
    form = PartyForm()
    if request.method == "POST":
        demand(Permission.ITEMS_WRITE)
        if form.validate_on_submit():
            service, actor, now = custody(), current_user.actor, clock.now()
            try:
                if form.kind.data == "licensee":
                    party = service.register_licensee(
                        ffl=form.ffl.data, name=form.name.data, address=form.address.data, actor=actor, now=now
                    )
                elif form.kind.data == "organisation":
                    party = service.register_organisation(
                        name=form.name.data, address=form.address.data, actor=actor, now=now
                    )
                else:
                    party = service.register_person(
                        full_name=form.full_name.data,
                        address=form.address.data,
                        id_type=form.id_type.data,
                        id_issuer=form.id_issuer.data,
                        id_number=form.id_number.data,
                        confirm_distinct=form.confirm_distinct.data,
                        actor=actor,
                        now=now,
                    )
            except RegistryError as error:
                show_on_form(form, error)
            else:
                flash(f"Registered the party (ledger entry {party.registered_entry}).", "success")
                return redirect(url_for("custody.parties"))
    page = fields.page_number(request.args.get("page"))
    kind = request.args.get("kind") if request.args.get("kind") in ("licensee", "organisation", "person") else None
    rows, total = reads.party_page(kind=kind, offset=page * PARTY_PAGE, limit=PARTY_PAGE)
    labels = [reads.party_label(p.id, personal=_personal()) | {"entry": p.registered_entry} for p in rows]
    return render_template(
        "custody/parties.html",
        form=form,
        parties=labels,
        total=total,
        page=page,
        pages=(total + PARTY_PAGE - 1) // PARTY_PAGE,
        kind=kind,
        can_write=current_user.can(Permission.ITEMS_WRITE),
    ), 400 if form.errors else 200


@bp.get("/parties/<party_id>")
@requires(Permission.ITEMS_READ)
def party(party_id: str):
    """A party: who it is, the items it holds (paged, newest event first) and the records naming it."""
    found = reads.get(Party, party_id)
    if found is None:
        raise NotFoundError(f"there is no party {party_id}", field="party_id")
    label = reads.party_label(found.id, personal=_personal())
    held = reads.item_page(holder=found.id, after=request.args.get("after"))
    records = reads.party_records(found.id)
    items = reads.items_by_id(r.item_id for r in records)
    return render_template(
        "custody/party.html", party=found, label=label, held=held, records=records, items=items, args=request.args
    )


@bp.get("/bound-book")
@requires(Permission.ITEMS_READ)
def bound_book():
    if not request.args.get("from"):
        today = clock.now().date()
        return redirect(
            url_for(
                "custody.bound_book",
                **{"from": today.replace(day=1).isoformat(), "to": today.isoformat(), "view": "both"},
            )
        )
    args = request.args
    view = args.get("view") or "both"
    try:
        rows = book_rows(args.get("from"), args.get("to"), args.get("licensee"), view)
    except RegistryError as error:
        flash(error.detail, "danger")
        rows = []
    if request.args.get("format") == "csv":
        from flask import Response

        return Response(
            to_csv([queries.book_row_dict(r) for r in rows]),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=bound-book.csv"},
        )
    return render_template(
        "custody/bound_book.html",
        rows=rows,
        view=view,
        args=request.args,
        licensees=reads.licensees(),
        views=queries.CORRECTION_VIEWS,
    )


@bp.get("/trace")
@requires(Permission.ITEMS_READ)
def trace():
    form = TraceForm(request.args)
    answer = None
    if form.serial.data:
        answer = reads.trace(form.serial.data, form.manufacturer.data, now=clock.now(), personal=_personal())
    return render_template("custody/trace.html", form=form, answer=answer)


@bp.get("/signals")
@requires(Permission.ITEMS_READ)
def signals():
    """The three signals, each a list with its own pages (`sales`, `thefts`, `open` name the page of
    each); open acquisitions may be narrowed to one kind and put newest first."""
    now, args, size = clock.now(), request.args, queries.SIGNAL_ROWS
    pages = {name: listing.page_number(args, name) for name in ("sales", "thefts", "open")}
    kind = args.get("kind") if args.get("kind") in rules.KINDS else None
    order = args.get("order") if args.get("order") in queries.OPEN_ORDERS else "oldest"
    flags = reads.multiple_sales(offset=pages["sales"] * size)
    return render_template(
        "custody/signals.html",
        can_issue=current_user.can(Permission.REPORTS_ISSUE),
        flags=flags,
        thefts=reads.thefts(now=now, offset=pages["thefts"] * size),
        open_items=reads.open_acquisitions(today=now.date(), kind=kind, order=order, offset=pages["open"] * size),
        pages=pages,
        page_size=size,
        kind=kind,
        kinds=rules.KINDS,
        order=order,
        orders=queries.OPEN_ORDERS,
        now=now,
        serials=reads.serials_of({i for flag in flags.rows for i in flag.item_ids}),
        flag_party={f.entry_index: reads.party_label(f.party_id, personal=_personal()) for f in flags.rows},
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
