"""Sign in and sign out. Failures are logged; five in a minute for one account or one address are
answered 429 (Flask-Limiter, Redis storage when REDIS_URL is set) and the refusal is logged too."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from registry.accounts.runtime import accounts
from registry.auth.forms import LoginForm
from registry.auth.identity import CurrentUser
from registry.auth.permissions import Permission, public, requires
from registry.extensions import limiter

bp = Blueprint("auth", __name__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _posted_account() -> str:
    return "account:" + request.form.get("email", "").strip().lower()


def _failed(response) -> bool:
    return bool(g.get("login_failed"))


def _log_breach(limit) -> None:
    accounts(writing=False).log("login_throttled", now=_now(), email=request.form.get("email", "").strip().lower(),
                                address=request.remote_addr, user_agent=request.user_agent.string,
                                detail=f"over {limit.limit}")


def _failure_limit() -> str:
    return current_app.config["LOGIN_FAILURE_LIMIT"]


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute URL an attacker chose."""
    if not target:
        return url_for("main.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_failure_limit, methods=["POST"], deduct_when=_failed, on_breach=_log_breach)
@limiter.limit(_failure_limit, key_func=_posted_account, methods=["POST"], deduct_when=_failed,
               on_breach=_log_breach)
def login():
    form = LoginForm()
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")))
    if form.validate_on_submit():
        service = accounts(writing=False)
        email = form.email.data.strip().lower()
        account = service.authenticate(email, form.password.data)
        if account is not None:
            session.clear()
            login_user(CurrentUser(account))
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME without a request
            service.log("login", now=_now(), email=account.email, account_id=account.id,
                        address=request.remote_addr, user_agent=request.user_agent.string)
            return redirect(_safe_next(request.args.get("next")))
        g.login_failed = True
        service.log("login_failed", now=_now(), email=email, address=request.remote_addr,
                    user_agent=request.user_agent.string)
        form.password.errors.append("E-mail or password is wrong, or the account is inactive.")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@requires(Permission.DASHBOARD)
def logout():
    accounts(writing=False).log("logout", now=_now(), email=current_user.email, account_id=current_user.account_id,
                                address=request.remote_addr, user_agent=request.user_agent.string)
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
