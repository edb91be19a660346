"""The guard in front of every route.

Before each request: identify the caller (an `Authorization: Bearer` token wins over a session),
find the permission the route declares, and refuse with 401 (nobody signed in) or 403 (the role
lacks it). A route that declares nothing is refused too, so forgetting a declaration fails closed.
Unsafe methods need a CSRF token unless the caller came with an API token (not an ambient
credential a browser would send on its own).
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_login import current_user
from werkzeug.exceptions import Forbidden, Unauthorized

from registry import clock
from registry.auth.identity import CurrentUser
from registry.auth.permissions import PUBLIC, Permission, declared_body_limit, declared_permission
from registry.errors import InvalidParameterError
from registry.extensions import csrf, login_manager

# Endpoints of extensions, which cannot carry a declaration themselves; public by nature.
PUBLIC_ENDPOINTS = frozenset({"static", "bootstrap.static"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class NotSignedIn(Unauthorized):
    description = "Sign in, or send an API token as 'Authorization: Bearer <token>'."


class NotPermitted(Forbidden):
    pass


def required_permission(app: Flask, endpoint: str | None):
    if endpoint is None:
        return PUBLIC  # no route matched: the 404 or 405 handler answers
    if endpoint in PUBLIC_ENDPOINTS:
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return declared_permission(view) if view is not None else None


def _token_user() -> CurrentUser | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        raise NotSignedIn(f"Only 'Authorization: Bearer <token>' is accepted here, not {scheme[:20]!r}.")
    from registry.accounts.runtime import accounts

    found = accounts(writing=False).token_account(token.strip())
    if found is None:
        raise NotSignedIn("The API token is unknown, revoked, or its account is inactive.")
    account, token_id = found
    return CurrentUser(account, token_id=token_id)


def refuse_nul_characters() -> None:
    """No text the registry takes may hold a NUL character (PostgreSQL cannot store one, and no
    serial, name or date has one): refused in the path, the query and a form, for every route. JSON
    bodies are checked where they are parsed (`registry.contract`)."""
    sources = (request.args, request.form) if request.mimetype in FORM_TYPES else (request.args,)
    for source in sources:
        for name, value in source.items(multi=True):
            if "\x00" in name or "\x00" in value:
                raise InvalidParameterError(
                    f"{name.replace(chr(0), '')!r} holds a NUL character", field=name.replace("\x00", "")
                )


def guard() -> None:
    if "\x00" in request.path:  # before routing's answer, too: no page or 404 echoes it
        raise InvalidParameterError("the path holds a NUL character", field="path")
    if request.routing_exception is not None:
        return  # no route matched: the 404 or 405 handler answers
    limit_key = declared_body_limit(current_app.view_functions.get(request.endpoint))
    if limit_key is not None:  # before the CSRF check, which reads a form body
        request.max_content_length = current_app.config[limit_key]
    refuse_nul_characters()
    permission = required_permission(current_app, request.endpoint)
    user = _token_user()
    if user is not None:
        g._login_user = user  # Flask-Login's current_user, for this request only
        g.via_token = True
    if permission is None:
        current_app.logger.error("route %s declares no permission: refused", request.endpoint)
        raise NotPermitted("This route declares no permission and is closed.")
    if permission != PUBLIC and not current_user.is_authenticated:
        raise NotSignedIn()  # before the CSRF check: nobody signed in is told so, not about a token
    if request.method not in SAFE_METHODS and not g.get("via_token"):
        csrf.protect()
    if permission != PUBLIC:
        demand(permission)


def demand(permission: Permission) -> None:
    """Refuse (403) unless the signed-in user has `permission`: for a route whose read and write share
    one URL (a page and its form), where the route declares the reading permission."""
    if not current_user.can(permission):
        raise NotPermitted(f"The {current_user.role} role does not have the {permission.value} permission.")


def _load_user(user_id: str) -> CurrentUser | None:
    from registry.accounts.runtime import accounts

    account_id, epoch, session_id = (user_id.split(":") + ["", ""])[:3]
    if not session_id:
        return None
    account = accounts(writing=False).session_account(
        account_id, session_id, now=clock.now(), idle=current_app.config["PERMANENT_SESSION_LIFETIME"]
    )
    if account is None or not account.active or str(account.session_epoch) != epoch:
        return None
    return CurrentUser(account, session_id=session_id)


def security_headers(response):
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):  # served over https: browsers stay on it
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint not in PUBLIC_ENDPOINTS:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _forget_previous_user() -> None:
    """Flask-Login keeps the signed-in user in `g`, which lives as long as the app context: where a
    request runs inside an app context that is already pushed (a CLI command, a test that holds one
    open), the previous request's user would answer for this one. Each request looks its user up."""
    g.pop("_login_user", None)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    app.before_request(_forget_previous_user)
    app.before_request(guard)
    app.after_request(security_headers)
