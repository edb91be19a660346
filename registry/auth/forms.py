"""Sign-in and account forms (Flask-WTF: each carries its CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from registry.accounts.service import MIN_PASSWORD_LENGTH
from registry.auth.permissions import Role

ROLE_CHOICES = [SelectChoice(r.value) for r in Role]


class LoginForm(FlaskForm):
    email = StringField("E-mail", validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "username"})
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=1024)], render_kw={"autocomplete": "current-password"}
    )
    submit = SubmitField("Sign in")


class CreateAccountForm(FlaskForm):
    email = StringField("E-mail", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    submit = SubmitField("Create account")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
    submit = SubmitField("Change role")


class ActiveForm(FlaskForm):
    active = BooleanField("Active")
    submit = SubmitField("Save")


class GrantForm(FlaskForm):
    granted = BooleanField("May read personal data of private persons")
    submit = SubmitField("Save")


class TokenForm(FlaskForm):
    name = StringField(
        "Token name",
        validators=[DataRequired(), Length(max=80)],
        render_kw={"placeholder": "e.g. dealer-system import"},
    )
    submit = SubmitField("Create token")


class PasswordForm(FlaskForm):
    # OWASP ASVS 4.0, 2.1.6: a password is changed only with the current one, so a session left
    # open or taken over cannot lock its owner out.
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Change password")


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token matters."""

    submit = SubmitField("Confirm")
