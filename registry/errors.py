"""Domain errors mapped to HTTP once: RFC 9457 problem+json on the API, a friendly page elsewhere.

Every problem carries a stable snake_case `code`, and `type` is derived from it, so clients can
branch on either. No stack trace ever reaches a client: unexpected errors are logged and answered 500.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import Iterator

from flask import Flask, jsonify, make_response, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"


class RegistryError(Exception):
    """Base of every error the registry reports to its users."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra or {}  # members of the problem type beyond the standard ones


@contextmanager
def fields_of(names: dict[str | None, str] | None = None, *, prefix: str = "") -> Iterator[None]:
    """Inside, an error's field is named as the caller's request names it: a call made on behalf of
    a part of a bigger request (a remedy's replacement, a list's element) renames the fields of its
    errors (`names`, old to new; None stands for an error without a field), or puts `prefix` before
    them, so the problem points at what the client sent."""
    try:
        yield
    except RegistryError as error:
        names = names or {}
        if error.field in names:
            error.field = names[error.field]
        elif prefix:
            error.field = f"{prefix}.{error.field}" if error.field else prefix
        raise


@contextmanager
def named_in_path(*fields: str) -> Iterator[None]:
    """Inside, an unknown id the service names by one of `fields` came from the URL's path: the
    resource is not there, 404, rather than a member of the body to correct."""
    try:
        yield
    except DomainError as error:
        if error.field in fields and error.code.startswith("unknown_"):
            error.kind, error.status, error.field = NOT_FOUND, KIND_STATUS[NOT_FOUND], None
            error.title = error.titles[NOT_FOUND]
        raise


def path_ids(*fields: str):
    """A view whose path names resources by the service's `fields` (`named_in_path`)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            with named_in_path(*fields):
                return view(*args, **kwargs)

        return wrapped

    return decorate


# What kind of refusal a domain error is. Services say the kind; this module alone turns it into HTTP.
INVALID, CONFLICT, NOT_FOUND, FORBIDDEN = "invalid", "conflict", "not_found", "forbidden"
KIND_STATUS = {INVALID: 422, CONFLICT: 409, NOT_FOUND: 404, FORBIDDEN: 403}


class DomainError(RegistryError):
    """A request a domain's rules refuse, with a stable `code` and the field it concerns.

    `kind` says why: INVALID (the request breaks a rule by itself), CONFLICT (it clashes with what
    is recorded), NOT_FOUND (it names something that does not exist) or FORBIDDEN (the rules do not
    let this actor do it). Each domain subclasses it once, with its own wording in `titles`."""

    titles = {
        INVALID: "Refused by a rule",
        CONFLICT: "Conflict with the recorded state",
        NOT_FOUND: "Not found",
        FORBIDDEN: "Not permitted",
    }

    def __init__(
        self, detail: str, *, code: str, kind: str = INVALID, field: str | None = None, extra: dict | None = None
    ):
        super().__init__(detail, field=field, extra=extra)
        self.code, self.kind = code, kind
        self.status = KIND_STATUS[kind]
        self.title = self.titles[kind]


class InvalidParameterError(RegistryError):
    status = 400
    code = "invalid_parameter"
    title = "Invalid parameter"


class NotFoundError(RegistryError):
    status = 404
    code = "not_found"
    title = "Not found"


class ConflictError(RegistryError):
    status = 409
    code = "conflict"
    title = "Conflict"


class OutOfRangeError(RegistryError):
    """A well-formed parameter the registry's present state cannot answer (an index past the end)."""

    status = 422
    code = "out_of_range"
    title = "Out of range"


class InvalidBodyError(RegistryError):
    status = 400
    code = "invalid_body"
    title = "Bad request"


class EntryTooLargeError(RegistryError):
    """An event whose ledger entry would exceed what a C2SP tlog-tiles entry bundle can carry."""

    status = 413
    code = "entry_too_large"
    title = "Ledger entry too large"


class ServiceUnavailableError(RegistryError):
    status = 503
    code = "not_initialised"
    title = "Registry not initialised"


# Stable codes for errors whose generic name would be vague.
HTTP_CODES = {
    "CSRFError": "csrf_failed",
    "NotSignedIn": "not_signed_in",
    "NotPermitted": "forbidden",
    "RateLimitExceeded": "too_many_requests",
    "RequestEntityTooLarge": "payload_too_large",
}


def show_on_form(form, error: RegistryError, aliases: dict | None = None) -> None:
    """Put a refusal on the form field it names (`aliases` maps a service's field names to the
    form's), or in a flash message when no field of the form matches."""
    from flask import flash

    name = (aliases or {}).get(error.field, error.field)
    field = getattr(form, name, None) if name else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [error.detail]
    else:
        flash(error.detail, "danger")


def problem_type(code: str) -> str:
    return f"urn:serial-ledger:problem:{code}"


def problem_response(
    status: int, code: str, title: str, detail: str, field: str | None = None, extra: dict | None = None
):
    """An RFC 9457 answer; `extra` adds members of the problem type (e.g. a row-level report)."""
    body = {"type": problem_type(code), "title": title, "status": status, "detail": detail, "code": code}
    if field:
        body["field"] = field
    body.update(extra or {})
    body["instance"] = request.path
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


def wants_problem_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json", PROBLEM_JSON])
    return best in ("application/json", PROBLEM_JSON)


def _page(status: int, title: str, detail: str):
    return render_template("error.html", status=status, title=title, detail=detail), status


def init_app(app: Flask) -> None:
    @app.errorhandler(RegistryError)
    def _registry_error(error: RegistryError):
        if wants_problem_json():
            return problem_response(error.status, error.code, error.title, error.detail, error.field, error.extra)
        return _page(error.status, error.title, error.detail)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        code = HTTP_CODES.get(type(error).__name__) or (error.name or "error").lower().replace(" ", "_").replace(
            "'", ""
        )
        status = error.code or 500
        if status == 401 and not wants_problem_json() and "Authorization" not in request.headers:
            # to the sign-in page; a request that came with credentials of its own (a proxy's Basic
            # header, say) is answered 401 once, since the sign-in page would refuse them again
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if wants_problem_json():
            response = problem_response(status, code, error.name, error.description or error.name)
        else:
            response = make_response(_page(status, error.name, error.description or ""))
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="serial-ledger"'
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        detail = "The registry could not complete the request; the error has been logged."
        if wants_problem_json():
            return problem_response(500, "internal_error", "Internal server error", detail)
        return _page(500, "Internal server error", detail)
