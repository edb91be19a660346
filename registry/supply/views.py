"""Supply pages: parts, suppliers, lots and stock, replenishment and purchase orders, the where-used
trace, and the genealogy panel of the item page (drawn as a tree, with install and remove forms).
Views parse, call the service, render; refusals come back on the form field they name."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from registry import clock, fields
from registry.auth.guard import demand
from registry.auth.permissions import Permission, requires
from registry.custody.models import Item
from registry.custody.runtime import reads as custody_reads
from registry.errors import NOT_FOUND, RegistryError, show_on_form
from registry.supply import drawing, queries
from registry.supply.forms import (
    CountForm,
    DraftForm,
    InstallForm,
    LotForm,
    MakeItemForm,
    MoveForm,
    OfferForm,
    OrderStatusForm,
    PartForm,
    RemoveForm,
    ReorderForm,
    SupplierForm,
)
from registry.supply.models import Lot, Part, PurchaseOrder, Supplier
from registry.supply.quantities import show
from registry.supply.rules import SupplyError
from registry.supply.runtime import reads, supply

bp = Blueprint("supply", __name__, url_prefix="/supply")
items_bp = Blueprint("genealogy", __name__)


def _a() -> dict:
    return {"actor": current_user.actor, "now": clock.now()}


def _get(model, key: str, what: str):
    found = reads.get(model, key)
    if found is None:
        raise SupplyError(f"there is no {what} {key}", code=f"unknown_{what.replace(' ', '_')}", kind=NOT_FOUND)
    return found


def _supplier_choices(blank: str) -> list:
    return [("", blank)] + [(s.id, s.name) for s in reads.suppliers()]


# -- parts -------------------------------------------------------------------------------------------
@bp.route("/", methods=["GET", "POST"])
@requires(Permission.ITEMS_READ)
def index():
    form = PartForm()
    if request.method == "POST":
        demand(Permission.ITEMS_WRITE)
        if form.validate_on_submit():
            try:
                part = supply().register_part(
                    number=form.number.data,
                    description=form.description.data,
                    tracking=form.tracking.data,
                    unit=form.unit.data or "ea",
                    reorder_point=form.reorder_point.data,
                    reorder_quantity=form.reorder_quantity.data,
                    **_a(),
                )
            except RegistryError as error:
                show_on_form(form, error)
            else:
                flash(f"Registered part {part.number} (ledger entry {part.registered_entry}).", "success")
                return redirect(url_for("supply.part", part_id=part.id))
    levels = reads.on_hand()
    return render_template(
        "supply/index.html",
        parts=reads.parts(),
        levels=levels,
        show=show,
        form=form,
        proposals=len(reads.replenishment()),
    ), 200 if not form.errors else 400


def _part_forms(part: Part) -> dict:
    forms = {
        "reorder": ReorderForm(
            prefix="reorder", reorder_point=show(part.reorder_point), reorder_quantity=show(part.reorder_quantity)
        ),
        "offer": OfferForm(prefix="offer"),
        "make": MakeItemForm(prefix="make"),
    }
    forms["offer"].supplier_id.choices = _supplier_choices("choose a supplier")
    forms["make"].lot_id.choices = [("", "(none)")] + [
        (lot.id, f"{lot.internal_code} ({supplier.name if supplier else 'in-house'})")
        for lot, _, supplier in reads.lots()
    ]
    return forms


@bp.get("/parts/<part_id>")
@requires(Permission.ITEMS_READ)
def part(part_id: str, forms: dict | None = None, status: int = 200):
    found = _get(Part, part_id, "part")
    return render_template(
        "supply/part.html",
        part=found,
        forms=forms or _part_forms(found),
        show=show,
        offers=reads.offers(found.id),
        levels=reads.levels(part_id=found.id),
        on_hand=reads.on_hand().get(found.id, 0),
        lots=reads.lots(part_id=found.id, limit=50),
        can_write=current_user.can(Permission.ITEMS_WRITE),
    ), status


@bp.post("/parts/<part_id>/<action>")
@requires(Permission.ITEMS_WRITE)
def part_action(part_id: str, action: str):
    found = _get(Part, part_id, "part")
    forms = _part_forms(found)
    form = forms.get(action)
    if form is None:
        raise SupplyError(f"there is no action {action!r} on a part", code="not_found", kind=NOT_FOUND)
    if not form.validate_on_submit():
        return part(part_id, forms, 400)
    service = supply()
    try:
        if action == "reorder":
            service.set_reorder(
                found.id, reorder_point=form.reorder_point.data, reorder_quantity=form.reorder_quantity.data, **_a()
            )
            flash("Reorder levels set.", "success")
        elif action == "offer":
            service.register_supplier_part(
                supplier_id=form.supplier_id.data,
                part_id=found.id,
                supplier_part_number=form.supplier_part_number.data,
                pack_size=form.pack_size.data,
                lead_time_days=form.lead_time_days.data,
                unit_price=form.unit_price.data,
                preferred=form.preferred.data,
                **_a(),
            )
            flash("Offer recorded.", "success")
        else:
            lots = (
                [{"lot_id": form.lot_id.data, "quantity": form.quantity.data, "location": form.location.data}]
                if form.lot_id.data
                else []
            )
            item = service.make_item(
                part_id=found.id,
                scheme=form.scheme.data,
                serial=form.serial.data or "",
                at=form.at.data or clock.now(),
                lots=lots,
                **_a(),
            )
            flash(f"Made {item.serial}.", "success")
            return redirect(url_for("custody.item", item_id=item.id))
    except RegistryError as error:
        show_on_form(form, error, {"quantity_": "quantity", "lots[0]": "lot_id", "part_id": "serial"})
        return part(part_id, forms, 400 if error.status < 500 else error.status)
    return redirect(url_for("supply.part", part_id=found.id))


# -- suppliers -----------------------------------------------------------------------------------------
@bp.route("/suppliers", methods=["GET", "POST"])
@requires(Permission.ITEMS_READ)
def suppliers():
    form = SupplierForm()
    if request.method == "POST":
        demand(Permission.ITEMS_WRITE)
        if form.validate_on_submit():
            try:
                found = supply().register_supplier(name=form.name.data, address=form.address.data, **_a())
            except RegistryError as error:
                show_on_form(form, error)
            else:
                flash(f"Registered supplier {found.name}.", "success")
                return redirect(url_for("supply.suppliers"))
    return render_template(
        "supply/suppliers.html",
        suppliers=reads.suppliers(),
        form=form,
        can_write=current_user.can(Permission.ITEMS_WRITE),
    ), 200 if not form.errors else 400


# -- lots -------------------------------------------------------------------------------------------------
def _lot_form() -> LotForm:
    form = LotForm(prefix="lot")
    form.part_id.choices = [("", "choose a part")] + [
        (p.id, f"{p.number} · {p.description}") for p in reads.parts() if p.tracking != "serial"
    ]
    form.supplier_id.choices = _supplier_choices("(made in-house)")
    form.purchase_order_id.choices = [("", "(none)")] + [
        (o.id, f"{o.number} · {s.name}") for o, s in reads.purchase_orders() if o.status == "placed"
    ]
    return form


@bp.route("/lots", methods=["GET", "POST"])
@requires(Permission.ITEMS_READ)
def lots():
    form = _lot_form()
    if request.method == "POST":
        demand(Permission.ITEMS_WRITE)
        if form.validate_on_submit():
            try:
                lot = supply().receive_lot(
                    part_id=form.part_id.data,
                    supplier_id=form.supplier_id.data or None,
                    supplier_lot_code=form.supplier_lot_code.data,
                    lot_scheme=form.lot_scheme.data,
                    internal_code=form.internal_code.data,
                    quantity_=form.quantity.data,
                    on=fields.iso_day(form.date.data, clock.now().date()),
                    location=form.location.data,
                    purchase_order_id=form.purchase_order_id.data or None,
                    **_a(),
                )
            except RegistryError as error:
                show_on_form(form, error, {"quantity_": "quantity"})
            else:
                flash(f"Received lot {lot.internal_code}.", "success")
                return redirect(url_for("supply.lot", lot_id=lot.id))
    code = request.args.get("code")
    return render_template(
        "supply/lots.html",
        lots=reads.lots(code=code, supplier_id=request.args.get("supplier")),
        code=code or "",
        form=form,
        show=show,
        can_write=current_user.can(Permission.ITEMS_WRITE),
    ), 200 if not form.errors else 400


def _lot_forms() -> dict:
    return {"move": MoveForm(prefix="move"), "count": CountForm(prefix="count")}


@bp.get("/lots/<lot_id>")
@requires(Permission.ITEMS_READ)
def lot(lot_id: str, forms: dict | None = None, status: int = 200):
    found = _get(Lot, lot_id, "lot")
    return render_template(
        "supply/lot.html",
        lot=found,
        part=reads.get(Part, found.part_id),
        show=show,
        supplier=reads.get(Supplier, found.supplier_id) if found.supplier_id else None,
        levels=reads.levels(lot_id=found.id),
        held_by=reads.lot_hold(found.id),
        uses=reads.consumptions(found.id),
        forms=forms or _lot_forms(),
        can_write=current_user.can(Permission.ITEMS_WRITE),
    ), status


@bp.post("/lots/<lot_id>/<action>")
@requires(Permission.ITEMS_WRITE)
def lot_action(lot_id: str, action: str):
    found = _get(Lot, lot_id, "lot")
    forms = _lot_forms()
    form = forms.get(action)
    if form is None:
        raise SupplyError(f"there is no action {action!r} on a lot", code="not_found", kind=NOT_FOUND)
    if not form.validate_on_submit():
        return lot(lot_id, forms, 400)
    try:
        if action == "move":
            supply().move_stock(
                lot_id=found.id,
                quantity_=form.quantity.data,
                from_location=form.from_location.data,
                to_location=form.to_location.data,
                on=fields.iso_day(form.date.data, clock.now().date()),
                **_a(),
            )
        else:
            supply().adjust_stock(
                lot_id=found.id,
                location=form.location.data,
                counted=form.counted.data,
                reason=form.reason.data,
                on=fields.iso_day(form.date.data, clock.now().date()),
                **_a(),
            )
    except RegistryError as error:
        show_on_form(form, error, {"quantity_": "quantity"})
        return lot(lot_id, forms, 400)
    flash("Recorded.", "success")
    return redirect(url_for("supply.lot", lot_id=found.id))


# -- traces, replenishment, orders ------------------------------------------------------------------------
@bp.get("/where-used")
@requires(Permission.ITEMS_READ)
def where_used():
    args = request.args
    results, error, at = None, None, None
    if any(args.get(name) for name in ("lot", "serial", "part")):
        try:
            at = queries.when(args.get("at"))
            start = reads.trace_start(
                lot=args.get("lot"),
                serial=args.get("serial"),
                part=args.get("part"),
                made_from=args.get("from"),
                made_to=args.get("to"),
                at=at,
            )
            results = reads.affected_items(reads.where_used(start, at))
        except RegistryError as problem:
            error = problem
    personal = current_user.can(Permission.PERSONAL_DATA_READ)
    holders = {item.id: custody_reads.party_label(item.holder_party_id, personal=personal) for item in results or []}
    return render_template(
        "supply/where_used.html", args=args, results=results, error=error, at=at, holders=holders, parts=reads.parts()
    ), 400 if error else 200


@bp.route("/replenishment", methods=["GET", "POST"])
@requires(Permission.ITEMS_READ)
def replenishment():
    form, status, ticked = DraftForm(), 200, None
    if request.method == "POST":
        demand(Permission.ITEMS_WRITE)
        ticked = request.form.getlist("part_id")
        if form.validate_on_submit():
            try:
                orders = supply().draft_from_proposals(
                    on=clock.now().date(), part_ids=ticked, note=form.note.data, **_a()
                )
            except RegistryError as error:
                flash(error.detail, "danger")
                status = error.status
            else:
                flash(f"Drafted {', '.join(order.number for order in orders)}.", "success")
                return redirect(url_for("supply.orders"))
    return render_template(
        "supply/replenishment.html",
        proposals=reads.replenishment(),
        show=show,
        form=form,
        ticked=ticked,  # None: every proposal ticked, as first shown; else what the user ticked
        can_write=current_user.can(Permission.ITEMS_WRITE),
    ), status


@bp.get("/orders")
@requires(Permission.ITEMS_READ)
def orders():
    return render_template("supply/orders.html", orders=reads.purchase_orders())


@bp.route("/orders/<order_id>", methods=["GET", "POST"])
@requires(Permission.ITEMS_READ)
def order(order_id: str):
    found = _get(PurchaseOrder, order_id, "purchase order")
    form = OrderStatusForm()
    if request.method == "POST":
        demand(Permission.ITEMS_WRITE)
        if form.validate_on_submit():
            try:
                supply().change_purchase_order(found.id, status=form.status.data, **_a())
            except RegistryError as error:
                show_on_form(form, error)
            else:
                flash(f"{found.number} is {form.status.data}.", "success")
                return redirect(url_for("supply.order", order_id=found.id))
    return render_template(
        "supply/order.html",
        order=found,
        lines=reads.order_lines(found.id),
        show=show,
        supplier=reads.get(Supplier, found.supplier_id),
        received=reads.lots_of_order(found.id),
        form=form,
        can_write=current_user.can(Permission.ITEMS_WRITE),
    ), 200 if not form.errors else 400


# -- the genealogy panel on the item page, and its actions ------------------------------------------------
def _panel_forms(item_id: str) -> dict:
    remove = RemoveForm(prefix="remove")
    remove.child_item_id.choices = [(link.child_item_id, child.serial) for link, child in _installed(item_id)]
    return {"install": InstallForm(prefix="install"), "remove": remove}


def _installed(item_id: str):
    return reads.installed(item_id)


def genealogy_panel(item, forms: dict | None = None) -> Markup:
    """The item page's genealogy: the as-built tree at `?at=` (default now) drawn as SVG, the
    assemblies the item sits in, the install and removal history, and the install/remove forms.
    Later domains mark nodes through `app.extensions["genealogy_highlights"]` (the recalls mark
    what an open campaign names)."""
    try:
        at, problem = queries.when(request.args.get("at")), None
    except RegistryError as error:  # a bad ?at= must not take the item page down with it
        at, problem = clock.now(), error.detail
    tree = reads.as_built(item.id, at)
    hot: set[str] = set()
    for highlight in current_app.extensions.get("genealogy_highlights", ()):
        hot |= reads.bind(highlight)(tree)
    svg = drawing.tree_svg(tree, highlight=hot, link=lambda item_id: url_for("custody.item", item_id=item_id))
    parents = [reads.get(Item, item_id) for item_id in sorted(reads.ancestors(item.id, at))]
    return Markup(
        render_template(
            "supply/_genealogy.html",
            item=item,
            tree=tree,
            svg=svg,
            at=at,
            problem=problem,
            history=reads.link_history(item.id),
            parents=parents,
            made=reads.item_part(item.id),
            forms=forms or _panel_forms(item.id),
            can_write=current_user.can(Permission.ITEMS_WRITE),
        )
    )


@items_bp.post("/items/<item_id>/components/<action>")
@requires(Permission.ITEMS_WRITE)
def component_action(item_id: str, action: str):
    from registry.custody.runtime import custody
    from registry.custody.views import item as item_page

    found = custody(writing=False).item(item_id)
    forms = _panel_forms(found.id)
    form = forms.get(action)
    if form is None:
        raise SupplyError(f"there is no component action {action!r}", code="not_found", kind=NOT_FOUND)
    if not form.validate_on_submit():
        return item_page(item_id, panel_forms={"genealogy": forms}, status=400)
    try:
        if action == "install":
            child = _child_by_serial(form.child.data)
            supply().install(
                parent_item_id=found.id,
                child_item_id=child,
                at=form.at.data or clock.now(),
                position=form.position.data,
                **_a(),
            )
        else:
            supply().remove(
                parent_item_id=found.id,
                child_item_id=form.child_item_id.data,
                at=form.at.data or clock.now(),
                reason=form.reason.data,
                **_a(),
            )
    except RegistryError as error:
        show_on_form(form, error, {"child_item_id": "child" if action == "install" else "child_item_id"})
        return item_page(item_id, panel_forms={"genealogy": forms}, status=400)
    flash("Component installed." if action == "install" else "Component removed.", "success")
    return redirect(url_for("custody.item", item_id=found.id) + "#genealogy")


def _child_by_serial(text: str | None) -> str:
    value = (text or "").strip()
    if not value:
        raise SupplyError("name the component by its serial", code="missing_field", field="child_item_id")
    found = reads.items_by_serial(value)
    if len(found) != 1:
        raise SupplyError(
            f"no item has the serial {value!r}"
            if not found
            else f"{len(found)} items have the serial {value!r}: give the item id",
            code="unknown_item" if not found else "ambiguous_serial",
            field="child_item_id",
        )
    return found[0]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(items_bp)
    app.extensions.setdefault("item_panels", {})["genealogy"] = genealogy_panel
