"""Serial checks over JSON: `POST /api/v1/serials/validate` and `GET /api/v1/serials/schemes`."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request

from registry.auth.permissions import Permission, requires
from registry.errors import RegistryError
from registry.openapi import operation
from registry.serials import SCHEMES, SerialsError, validate

bp = Blueprint("serials_api", __name__, url_prefix="/api/v1/serials")


class SerialRequestError(RegistryError):
    title = "Invalid serial check request"

    def __init__(self, detail: str, *, field: str | None, code: str):
        super().__init__(detail, field=field)
        self.code = code


def parse_request(body: object) -> tuple[str, str, dict]:
    """The scheme, value and options of a request body; raises SerialRequestError naming the field."""
    if not isinstance(body, dict):
        raise SerialRequestError("the body must be a JSON object with 'scheme' and 'value'", field=None,
                                 code="invalid_body")
    for name in ("scheme", "value"):
        if name not in body:
            raise SerialRequestError(f"{name!r} is required", field=name, code="missing_field")
        if not isinstance(body[name], str):
            raise SerialRequestError(f"{name!r} must be a string", field=name, code="invalid_field")
    options = body.get("options")
    options = {} if options is None else options
    if not isinstance(options, dict):
        raise SerialRequestError("'options' must be an object of strings", field="options", code="invalid_field")
    unknown = sorted(set(body) - {"scheme", "value", "options"})
    if unknown:
        raise SerialRequestError(f"unknown field {unknown[0]!r}", field=unknown[0], code="unknown_field")
    return body["scheme"], body["value"], options


def checked(scheme: str, value: str, options: dict) -> dict:
    try:
        result = validate(scheme, value, **options)
    except SerialsError as error:
        raise SerialRequestError(str(error), field=error.field, code=error.code) from None
    return {**result.to_dict(), "value": value, "options": options}


@bp.post("/validate")
@requires(Permission.SERIALS_CHECK)
@operation("Validate, normalise and decode a serial", response="SerialResult", request="SerialRequest", errors=(400,))
def validate_serial():
    body = request.get_json(silent=True)
    if body is None:
        raise SerialRequestError("the body must be JSON (Content-Type: application/json)", field=None,
                                 code="invalid_json")
    return jsonify(checked(*parse_request(body)))


@bp.get("/schemes")
@requires(Permission.SERIALS_CHECK)
@operation("The serial schemes, their options and codes", response="SchemeList")
def schemes():
    return jsonify({"schemes": [scheme.to_dict() for scheme in SCHEMES.values()]})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
