"""Account pages: accounts for admins, "My tokens" for everyone, the security log for admins and
auditors. Each change goes through the account service, so it lands on the ledger."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, url_for
from flask_login import current_user

from registry import clock
from registry.accounts.runtime import accounts
from registry.accounts.service import AccountError, generate_password
from registry.auth.forms import ActiveForm, ConfirmForm, CreateAccountForm, GrantForm, PasswordForm, RoleForm, TokenForm
from registry.auth.permissions import Permission, requires
from registry.auth.views import log_sign_in, throttled, throttled_detail
from registry.errors import RegistryError, show_on_form

bp = Blueprint("accounts", __name__)
GRANT = Permission.PERSONAL_DATA_READ.value


@bp.route("/accounts/", methods=["GET", "POST"])
@requires(Permission.ACCOUNTS_MANAGE)
def index():
    form = CreateAccountForm()
    if form.validate_on_submit():
        password = generate_password()
        try:
            account = accounts().create(
                email=form.email.data, role=form.role.data, password=password, actor=current_user.actor, now=clock.now()
            )
        except RegistryError as error:
            show_on_form(form, error)
        else:
            flash(f"Created {account.email} ({account.role}). Password, shown once: {password}", "success")
            return redirect(url_for("accounts.index"))
    status = 400 if form.errors else 200
    return render_template("accounts/index.html", form=form, accounts=accounts(writing=False).all()), status


@bp.route("/accounts/<account_id>", methods=["GET"])
@requires(Permission.ACCOUNTS_MANAGE)
def detail(account_id: str):
    service = accounts(writing=False)
    account = service.require(account_id)
    return render_template(
        "accounts/detail.html",
        account=account,
        tokens=service.tokens_of(account.id),
        role_form=RoleForm(role=account.role),
        active_form=ActiveForm(active=account.active),
        grant_form=GrantForm(granted=GRANT in account.grants),
        revoke_form=ConfirmForm(),
        grant=GRANT,
    )


@bp.post("/accounts/<account_id>/role")
@requires(Permission.ACCOUNTS_MANAGE)
def change_role(account_id: str):
    form = RoleForm()
    if form.validate_on_submit():
        account = accounts().change_role(account_id, form.role.data, actor=current_user.actor, now=clock.now())
        flash(f"{account.email} is now {account.role}.", "success")
    return redirect(url_for("accounts.detail", account_id=account_id))


@bp.post("/accounts/<account_id>/active")
@requires(Permission.ACCOUNTS_MANAGE)
def set_active(account_id: str):
    form = ActiveForm()
    if form.validate_on_submit():
        try:
            account = accounts().set_active(
                account_id,
                form.active.data,
                actor=current_user.actor,
                now=clock.now(),
                by_account_id=current_user.account_id,
            )
        except AccountError as error:
            flash(error.detail[0].upper() + error.detail[1:] + ".", "danger")
        else:
            flash(f"{account.email} is {'active' if account.active else 'inactive'}.", "success")
    return redirect(url_for("accounts.detail", account_id=account_id))


@bp.post("/accounts/<account_id>/grant")
@requires(Permission.ACCOUNTS_MANAGE)
def set_grant(account_id: str):
    form = GrantForm()
    if form.validate_on_submit():
        accounts().set_grant(account_id, GRANT, form.granted.data, actor=current_user.actor, now=clock.now())
        flash("Saved.", "success")
    return redirect(url_for("accounts.detail", account_id=account_id))


@bp.post("/accounts/<account_id>/tokens/<token_id>/revoke")
@requires(Permission.ACCOUNTS_MANAGE)
def revoke_any_token(account_id: str, token_id: str):
    if ConfirmForm().validate_on_submit():
        accounts().revoke_token(token_id, actor=current_user.actor, now=clock.now(), owner=account_id)
        flash("Token revoked; it no longer works.", "success")
    return redirect(url_for("accounts.detail", account_id=account_id))


@bp.route("/tokens/", methods=["GET", "POST"])
@requires(Permission.OWN_TOKENS)
def my_tokens():
    form, secret = TokenForm(), None
    if form.validate_on_submit():
        try:
            token, secret = accounts().issue_token(
                current_user.account_id, form.name.data, actor=current_user.actor, now=clock.now()
            )
        except RegistryError as error:
            show_on_form(form, error)
        else:
            form = TokenForm(formdata=None)
    return render_template(
        "accounts/tokens.html",
        form=form,
        secret=secret,
        revoke_form=ConfirmForm(),
        tokens=accounts(writing=False).tokens_of(current_user.account_id),
    )


@bp.post("/tokens/<token_id>/revoke")
@requires(Permission.OWN_TOKENS)
def revoke_my_token(token_id: str):
    if ConfirmForm().validate_on_submit():
        accounts().revoke_token(token_id, actor=current_user.actor, now=clock.now(), owner=current_user.account_id)
        flash("Token revoked; it no longer works.", "success")
    return redirect(url_for("accounts.my_tokens"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires(Permission.OWN_TOKENS)
def change_password():
    """A new password for the signed-in account, given with the current one. A wrong current
    password counts as a failed sign-in (logged, and throttled with them)."""
    form, status = PasswordForm(), 200
    if form.validate_on_submit():
        service, now = accounts(), clock.now()
        if throttled(service, current_user.email, now):
            form.current_password.errors.append(throttled_detail(now))
            status = 429
        elif service.authenticate(current_user.email, form.current_password.data) is None:
            log_sign_in(
                service,
                "login_failed",
                current_user.email,
                now,
                account_id=current_user.account_id,
                detail="wrong current password given to change it",
            )
            form.current_password.errors.append("That is not your current password.")
        else:
            try:
                service.set_password(current_user.account_id, form.password.data, actor=current_user.actor, now=now)
            except RegistryError as error:
                show_on_form(form, error)
            else:
                flash("Password changed. Sign in again with the new one.", "success")
                return redirect(url_for("auth.login"))
    if status == 200 and form.errors:
        status = 400
    return render_template("accounts/password.html", form=form), status


@bp.get("/security-log")
@requires(Permission.SECURITY_LOG_READ)
def security_log():
    return render_template("accounts/security_log.html", events=accounts(writing=False).security_log())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
