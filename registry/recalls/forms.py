"""Recall forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from registry.recalls.rules import UNIT_STATES


class CampaignForm(FlaskForm):
    number = StringField("Regulator's campaign number")
    title = StringField("Title")
    defect = TextAreaField("Defect")
    remedy = TextAreaField("Remedy")
    basis = SelectField(
        "Basis",
        choices=[
            SelectChoice("lots", "supplier lots"),
            SelectChoice("part", "a part made within dates"),
            SelectChoice("serials", "a list of serials"),
        ],
    )
    lots = StringField("Lot codes (internal or supplier's, comma-separated)")
    part = SelectField("Part", choices=[], validate_choice=False)
    made_from = DateField("Made from", validators=[Optional()])
    made_to = DateField("Made to", validators=[Optional()])
    serials = TextAreaField("Serials (one per line)")
    as_of = StringField("Population as of (blank: now)")
    submit = SubmitField("Open campaign")


class UnitForm(FlaskForm):
    state = SelectField("New state", choices=[SelectChoice(s) for s in UNIT_STATES if s != "identified"])
    date = DateField("Date", validators=[Optional()])
    note = StringField("Note")
    removed = StringField("Replaced component (serial)")
    installed = StringField("New component (serial)")
    submit = SubmitField("Update")


class BulkForm(FlaskForm):
    from_state = SelectField("Every unit now", choices=[SelectChoice(s) for s in UNIT_STATES])
    state = SelectField("becomes", choices=[SelectChoice(s) for s in UNIT_STATES if s != "identified"])
    date = DateField("Date", validators=[Optional()])
    note = StringField("Note")
    submit = SubmitField("Update all")


class CloseForm(FlaskForm):
    date = DateField("Closed on", validators=[Optional()])
    note = TextAreaField("Closing note")
    confirm = BooleanField("Close it: no unit can change afterwards")
    submit = SubmitField("Close campaign")
