"""Supply forms. The service validates; these carry the fields and the CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from registry.supply.rules import LOT_SCHEMES, TRACKING


class PartForm(FlaskForm):
    number = StringField("Part number")
    description = StringField("Description")
    tracking = SelectField("Tracked by", choices=[SelectChoice(t) for t in TRACKING])
    unit = StringField("Unit", default="ea")
    reorder_point = StringField("Reorder point")
    reorder_quantity = StringField("Reorder quantity")
    submit = SubmitField("Register part")


class ReorderForm(FlaskForm):
    reorder_point = StringField("Reorder point")
    reorder_quantity = StringField("Reorder quantity")
    submit = SubmitField("Set reorder levels")


class SupplierForm(FlaskForm):
    name = StringField("Name")
    address = StringField("Address")
    submit = SubmitField("Register supplier")


class OfferForm(FlaskForm):
    supplier_id = SelectField("Supplier", choices=[], validate_choice=False)
    supplier_part_number = StringField("Supplier's part number")
    pack_size = StringField("Pack size", default="1")
    lead_time_days = StringField("Lead time (days)")
    unit_price = StringField("Unit price")
    preferred = BooleanField("Preferred supplier for this part")
    submit = SubmitField("Add offer")


class LotForm(FlaskForm):
    part_id = SelectField("Part", choices=[], validate_choice=False)
    supplier_id = SelectField("Supplier", choices=[], validate_choice=False)
    supplier_lot_code = StringField("Supplier's lot code")
    lot_scheme = SelectField(
        "Lot code scheme", choices=[SelectChoice(s, "GS1 AI (10)" if s == "gs1" else s) for s in LOT_SCHEMES]
    )
    internal_code = StringField("Internal lot code (blank: assigned)")
    quantity = StringField("Quantity")
    date = DateField("Received on", validators=[Optional()])
    location = StringField("Location")
    purchase_order_id = SelectField("Against purchase order", choices=[], validate_choice=False)
    submit = SubmitField("Receive lot")


class MoveForm(FlaskForm):
    quantity = StringField("Quantity")
    from_location = StringField("From")
    to_location = StringField("To")
    date = DateField("Date", validators=[Optional()])
    submit = SubmitField("Move")


class CountForm(FlaskForm):
    location = StringField("Location")
    counted = StringField("Counted quantity")
    reason = StringField("Reason")
    date = DateField("Date", validators=[Optional()])
    submit = SubmitField("Record count")


class MakeItemForm(FlaskForm):
    serial = StringField("Serial", render_kw={"autocomplete": "off", "spellcheck": "false"})
    scheme = SelectField("Serial scheme", choices=[SelectChoice(s) for s in ("plain", "gs1", "imei", "hin", "iso6346")])
    at = StringField("Made at (date or ISO time)")
    lot_id = SelectField("Consumed lot", choices=[], validate_choice=False)
    quantity = StringField("Quantity consumed")
    location = StringField("From location")
    submit = SubmitField("Make item")


class InstallForm(FlaskForm):
    child = StringField("Component (serial or item id)")
    position = StringField("Position")
    at = StringField("Installed at (date or ISO time)")
    submit = SubmitField("Install")


class RemoveForm(FlaskForm):
    child_item_id = SelectField("Component", choices=[], validate_choice=False)
    at = StringField("Removed at (date or ISO time)")
    reason = StringField("Reason")
    submit = SubmitField("Remove")


class OrderStatusForm(FlaskForm):
    status = SelectField("Change to", choices=[SelectChoice("placed"), SelectChoice("cancelled")])
    submit = SubmitField("Change")


class DraftForm(FlaskForm):
    note = TextAreaField("Note")
    submit = SubmitField("Draft purchase orders from the proposals")
