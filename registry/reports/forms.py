"""Report forms: the request for one report type (the service checks the values) and the upload of
a PDF to verify. Both carry the CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

FIELDS = {
    "item_id": "Item (its serial)",
    "date_from": "From",
    "date_to": "To",
    "licensee": "Licensee",
    "view": "Corrections",
    "serial": "Serial",
    "manufacturer": "Manufacturer (optional)",
    "request_number": "Trace request number (optional)",
    "flag": "Multiple-sale flag",
    "campaign_id": "Campaign",
    "audit_id": "Inventory audit",
}


class ReportForm(FlaskForm):
    report_type = HiddenField()
    item_id = StringField(FIELDS["item_id"], render_kw={"autocomplete": "off", "spellcheck": "false"})
    date_from = StringField(FIELDS["date_from"], render_kw={"type": "date"})
    date_to = StringField(FIELDS["date_to"], render_kw={"type": "date"})
    licensee = SelectField(FIELDS["licensee"], choices=[], validate_choice=False)
    view = SelectField(
        FIELDS["view"],
        validate_choice=False,
        choices=[
            SelectChoice("both", "originals and corrected"),
            SelectChoice("originals", "originals only"),
            SelectChoice("corrected", "corrected only"),
        ],
    )
    serial = StringField(FIELDS["serial"])
    manufacturer = StringField(FIELDS["manufacturer"])
    request_number = StringField(FIELDS["request_number"])
    flag = SelectField(FIELDS["flag"], choices=[], validate_choice=False)
    campaign_id = SelectField(FIELDS["campaign_id"], choices=[], validate_choice=False)
    audit_id = SelectField(FIELDS["audit_id"], choices=[], validate_choice=False)
    withhold_personal = BooleanField("Withhold private persons' names and addresses (a report any regulator may read)")
    submit = SubmitField("Issue signed PDF")


class VerifyForm(FlaskForm):
    pdf = FileField("Report PDF", validators=[FileRequired("choose a PDF file")])
    submit = SubmitField("Verify")
