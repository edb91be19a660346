"""Inventory audit forms (each carries the CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice


class StartForm(FlaskForm):
    licensee_party_id = SelectField("Licensee (premises to count)", choices=[], validate_choice=False)
    kind = SelectField(
        "What to count",
        choices=[
            SelectChoice("firearm", "Firearms (the bound book)"),
            SelectChoice("vehicle", "Vehicles"),
            SelectChoice("goods", "Goods"),
            SelectChoice("", "Everything"),
        ],
        validate_choice=False,
    )
    submit = SubmitField("Start an audit")


class ScanForm(FlaskForm):
    serial = StringField(
        "Serial", render_kw={"autocomplete": "off", "spellcheck": "false", "autofocus": True, "inputmode": "text"}
    )
    submit = SubmitField("Record")


class ListForm(FlaskForm):
    serials = TextAreaField(
        "A list of serials, one per line (or a CSV file's text: its first column is read)",
        render_kw={"rows": 5, "spellcheck": "false"},
    )
    submit = SubmitField("Record the list")


class CloseForm(FlaskForm):
    confirm = BooleanField("The count is complete: close the audit and record its result on the ledger")
    submit = SubmitField("Close the audit")
