"""Sign in and sign out.

Every attempt is logged, and the throttle counts the failures in that log, so every worker and
host counts the same: LOGIN_FAILURES_PER_ACCOUNT failures within LOGIN_FAILURE_WINDOW seconds for one
e-mail from one address, or LOGIN_FAILURES_PER_ADDRESS from one address for any e-mails, and further
attempts from that address are answered 429 until the window has passed (also logged). The key is
the pair, so nobody can lock an account out from an address of their own. An unknown e-mail is
verified against a dummy hash, so it takes as long as a wrong password. Signing in starts a session
on the server; signing out ends it, so a copy of the cookie is worthless afterwards.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from registry import clock
from registry.accounts.runtime import accounts
from registry.auth.forms import LoginForm
from registry.auth.identity import CurrentUser
from registry.auth.permissions import Permission, public, requires
from registry.errors import problem_response, wants_problem_json

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute URL an attacker chose."""
    if not target:
        return url_for("main.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.home")
    return target


def throttled(service, email: str, now: datetime) -> bool:
    """Too many failed password checks for this account from this address, or from this address."""
    config = current_app.config
    pair, by_address = service.recent_failures(
        email=email, address=request.remote_addr, since=now - timedelta(seconds=config["LOGIN_FAILURE_WINDOW"])
    )
    return pair >= config["LOGIN_FAILURES_PER_ACCOUNT"] or by_address >= config["LOGIN_FAILURES_PER_ADDRESS"]


def log_sign_in(service, kind: str, email: str, now: datetime, **details) -> None:
    """A sign-in's outcome in the security log, with the request's address and user agent."""
    agent = request.user_agent.string
    service.log(kind, now=now, email=email, address=request.remote_addr, user_agent=agent, **details)


def throttled_detail(now: datetime) -> str:
    window = current_app.config["LOGIN_FAILURE_WINDOW"]
    again = (now + timedelta(seconds=window)).strftime("%H:%M UTC")
    return (
        f"Too many failed sign-ins from this address. Try again in {window} seconds (after {again}); "
        "an administrator can reset a forgotten password."
    )


def _refuse_throttled(form: LoginForm, service, email: str, now: datetime):
    window = current_app.config["LOGIN_FAILURE_WINDOW"]
    service.log(
        "login_throttled",
        now=now,
        email=email,
        address=request.remote_addr,
        user_agent=request.user_agent.string,
        detail=f"too many failures within {window} s",
    )
    detail = throttled_detail(now)
    if wants_problem_json():
        response = problem_response(429, "too_many_requests", "Too many requests", detail)
    else:
        form.password.errors.append(detail)
        response = current_app.make_response((render_template("auth/login.html", form=form), 429))
    response.headers["Retry-After"] = str(window)
    return response


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")))
    if form.validate_on_submit():
        service, now = accounts(writing=False), clock.now()
        email = form.email.data.strip().lower()
        if throttled(service, email, now):
            return _refuse_throttled(form, service, email, now)
        account = service.authenticate(email, form.password.data)
        if account is not None:
            session_id = service.start_session(account.id, now=now)
            session.clear()
            login_user(CurrentUser(account, session_id=session_id))
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME without a request
            log_sign_in(service, "login", account.email, now, account_id=account.id)
            return redirect(_safe_next(request.args.get("next")))
        log_sign_in(service, "login_failed", email, now)
        form.password.errors.append("E-mail or password is wrong, or the account is inactive.")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@requires(Permission.DASHBOARD)
def logout():
    service, now = accounts(writing=False), clock.now()
    if current_user.session_id:
        service.end_session(current_user.session_id, now=now)
    service.log(
        "logout",
        now=now,
        email=current_user.email,
        account_id=current_user.account_id,
        address=request.remote_addr,
        user_agent=request.user_agent.string,
    )
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
