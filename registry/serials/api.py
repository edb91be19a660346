"""Serial checks over JSON: `POST /api/v1/serials/validate` and `GET /api/v1/serials/schemes`."""

from __future__ import annotations

from typing import Annotated, Literal

from flask import Blueprint, Flask
from pydantic import Field

from registry.auth.permissions import Permission, requires
from registry.contract import Answer, Body, FreeObject, Text, operation
from registry.errors import INVALID, DomainError
from registry.serials import SCHEMES, SerialsError, validate

bp = Blueprint("serials_api", __name__, url_prefix="/api/v1/serials")


class SerialRequestError(DomainError):
    """An option the scheme does not know or allow (the schema cannot say which options each takes)."""

    titles = {**DomainError.titles, INVALID: "Invalid serial check request"}


class SerialRequest(Body):
    scheme: Literal[tuple(SCHEMES)] = Field(description="the scheme (GET /api/v1/serials/schemes)")  # type: ignore
    value: Text = Field(description="the serial as marked (at most 1,000 characters are checked)")
    options: dict[str, Annotated[str, Field(max_length=100)]] = Field(
        default_factory=dict, description="the scheme's options, each a string"
    )


class SerialProblem(Answer):
    code: str
    message: str
    position: int | None = Field(description="the character it is about, from 1, in the normalised form")


class SerialResult(Answer):
    scheme: str
    valid: bool
    normalized: str
    errors: list[SerialProblem]
    warnings: list[SerialProblem]
    info: FreeObject = Field(description="decoded facts (model year, maker, check digit ...)")
    value: str
    options: dict[str, str]


class SchemeOption(Answer):
    name: str
    help: str
    default: str | None
    choices: list[str]
    pattern: str | None


class SchemeOut(Answer):
    name: str
    label: str
    description: str
    example: str
    options: list[SchemeOption]
    errors: dict[str, str]
    warnings: dict[str, str]


class SchemeList(Answer):
    schemes: list[SchemeOut]


def checked(scheme: str, value: str, options: dict) -> dict:
    try:
        result = validate(scheme, value, **options)
    except SerialsError as error:
        raise SerialRequestError(str(error), field=error.field, code=error.code) from None
    return {**result.to_dict(), "value": value, "options": options}


@bp.post("/validate")
@requires(Permission.SERIALS_CHECK)
@operation("Validate, normalise and decode a serial", response=SerialResult, body=SerialRequest)
def validate_serial(body: SerialRequest):
    return checked(body.scheme, body.value, body.options)


@bp.get("/schemes")
@requires(Permission.SERIALS_CHECK)
@operation("The serial schemes, their options and codes", response=SchemeList)
def schemes():
    return {"schemes": [scheme.to_dict() for scheme in SCHEMES.values()]}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
