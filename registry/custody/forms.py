"""Custody forms. The service validates; these carry the fields and the CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from registry import labels, serials
from registry.custody import identity, rules


def _choices(values, blank: str | None = None, words: dict | None = None):
    """Select options whose values are the registry's codes and whose labels are words for people."""
    return ([SelectChoice("", blank)] if blank is not None else []) + [
        SelectChoice(v, (words or {}).get(v, v)) for v in values
    ]


class ItemForm(FlaskForm):
    kind = SelectField("Kind", choices=_choices(rules.KINDS, words=labels.KINDS))
    scheme = SelectField(
        "Serial scheme",
        choices=_choices(
            sorted({s for v in rules.SCHEMES_BY_KIND.values() for s in v}),
            words={name: scheme.label for name, scheme in serials.SCHEMES.items()},
        ),
    )
    serial = StringField("Serial as marked", render_kw={"autocomplete": "off", "spellcheck": "false"})
    date = DateField("Date", validators=[Optional()])
    manufacturer = StringField("Manufacturer")
    importer = StringField("Importer")
    model = StringField("Model")
    type = SelectField(
        "Type", choices=_choices(rules.FIREARM_TYPES, blank="choose (firearms only)"), validate_choice=False
    )
    caliber = StringField("Caliber or gauge")
    country = StringField("Country of manufacture (imports)")
    model_year = StringField("Model year")
    description = StringField("Description")
    override = BooleanField("Record it although the serial fails a rule")
    justification = TextAreaField("Justification for the override")
    submit = SubmitField("Register item")


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("choose the CSV file to import")])
    recipient = SelectField("Received by (licensee)", choices=[], validate_choice=False)
    skip_invalid = BooleanField("Import the good rows even if some rows are bad")
    submit = SubmitField("Import")


class PartyChoiceForm(FlaskForm):
    date = DateField("Date", validators=[Optional()])
    party = SelectField("Party", choices=[], validate_choice=False)
    second = SelectField("Party", choices=[], validate_choice=False)
    form_4473 = StringField("Form 4473 transaction number")
    reference = StringField("Invoice or reference")
    submit = SubmitField("Record")


class StatusForm(FlaskForm):
    status = SelectField(
        "New status", choices=_choices(rules.STATUS_CHANGES, words=labels.STATUS_CHANGES), validate_choice=False
    )
    date = DateField("Date", validators=[Optional()])
    discovered_at = StringField("Discovered at (theft or loss, e.g. 2026-11-04T08:00Z)")
    police_report = StringField("Police report number")
    atf_incident = StringField("ATF incident number")
    note = StringField("Note")
    submit = SubmitField("Record status")


class CorrectionForm(FlaskForm):
    corrects = SelectField("Entry to correct", choices=[], validate_choice=False)
    field = SelectField("Field", choices=[], validate_choice=False)
    value = StringField("Corrected value")
    party = SelectField("Corrected party (for a source, recipient or transferee)", choices=[], validate_choice=False)
    reason = StringField("Reason")
    submit = SubmitField("Record correction")


class PartyForm(FlaskForm):
    kind = SelectField("Kind", choices=_choices(("licensee", "organisation", "person")))
    ffl = StringField("Licence number (licensee)")
    name = StringField("Business or organisation name")
    full_name = StringField("Full name (private person)")
    address = StringField("Address (premises for a licensee)")
    id_type = SelectField(
        "Identity document (private person)", choices=_choices(identity.ID_TYPES, blank="(none)"), validate_choice=False
    )
    id_issuer = StringField("Issued by (state or country)")
    id_number = StringField("Document number", render_kw={"autocomplete": "off"})
    confirm_distinct = BooleanField("This is a different person from the one with the same name and address")
    submit = SubmitField("Register party")


class TraceForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only GET form

    serial = StringField("Serial")
    manufacturer = StringField("Manufacturer (optional)")
    submit = SubmitField("Trace")
