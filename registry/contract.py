"""The API's contract: one pydantic model per payload, declared once on each JSON view.

`@operation(...)` names the view's query model, body model, answer model, success status and media
types. It parses and validates what comes in before the view runs, serialises what the view returns
through the answer model, and is what `registry.openapi` reads to write `/api/v1/openapi.json`; so the
document, the parsing and the answers cannot drift apart.

What no model could say is refused here for every body, before any model sees it: JSON that does not
parse (orjson: lone surrogates, 1e400, trailing commas), nesting deeper than MAX_DEPTH, a NUL
character in any string or key, and integers outside +/-2^53 (I-JSON, RFC 7493; the ledger's
canonical JSON, RFC 8785, cannot carry them). A body that breaks its model is 400 `invalid_body`, a
query parameter 400 `invalid_parameter`; the problem names the field, its JSON pointer, and every
error found. Rules of the domain (a missing date, a future date, an unknown party) stay in the
services, which answer with their own codes.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, Sequence

import orjson
from flask import Response, current_app, request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from registry.errors import InvalidBodyError, InvalidParameterError, RegistryError

MAX_DEPTH = 32
LARGEST_INT = 2**53 - 1


class Body(BaseModel):
    """A request body: no unknown members, no type coercion (`"5"` is not 5, `1` is not true)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """Query parameters: text on the wire, so numbers are read from text; others are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Answer(BaseModel):
    """An answer: every member declared, so the document says all a client will get."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def needed(description: str | None = None, **kwargs) -> Any:
    """A member a client must send, whose absence the service reports itself (422 `missing_field`,
    naming it), so that message stays the same on the API, the forms and the CLI. The document lists
    it as required."""
    return Field(None, description=description, json_schema_extra={"x-needed": True}, **kwargs)


Text = Annotated[str, Field(max_length=2000)]
LongText = Annotated[str, Field(max_length=20_000)]
Id = Annotated[str, Field(max_length=64)]
Day = Annotated[
    str, Field(max_length=40, description="a calendar date, YYYY-MM-DD", json_schema_extra={"format": "date"})
]
Moment = Annotated[
    str,
    Field(
        max_length=64,
        description="an ISO 8601 time (UTC unless it says otherwise) or a date",
        json_schema_extra={"format": "date-time"},
    ),
]
Count = Annotated[int, Field(ge=0, le=LARGEST_INT)]
FreeObject = dict[str, Any]


# -- pagination: one shape for every list ----------------------------------------------------------
MAX_PAGE = 500


class Page(Query):
    """`cursor` and `limit` in, `next_cursor` out (null on the last page), for every list."""

    cursor: str | None = Field(
        None, max_length=100, description="the next_cursor of the previous page; omit for the first page"
    )
    limit: int = Field(100, ge=1, le=MAX_PAGE, description=f"at most this many, 1-{MAX_PAGE}")


class CursorError(RegistryError):
    status = 422
    code = "invalid_cursor"
    title = "Unknown cursor"


def encode_cursor(position: int, kind: str = "o") -> str:
    """Opaque to clients: `kind` says what the number counts (an offset, a ledger index)."""
    return base64.urlsafe_b64encode(f"{kind}{position}".encode()).decode().rstrip("=")


def decode_cursor(raw: str | None, kind: str = "o") -> int:
    if not raw:
        return 0
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        if text[:1] == kind and text[1:].isascii() and text[1:].isdigit() and len(text) < 20:
            return int(text[1:])
    except (ValueError, UnicodeDecodeError):
        pass
    raise CursorError("'cursor' is not a cursor this API gave out", field="cursor")


def paged(fetch: Callable[[int, int], Sequence], params: Page) -> tuple[list, str | None]:
    """One page of a list: `fetch(offset, count)` reads rows from `offset`; one more than the page is
    read to know whether another page follows."""
    start = decode_cursor(params.cursor)
    rows = list(fetch(start, params.limit + 1))
    more = len(rows) > params.limit
    return rows[: params.limit], encode_cursor(start + params.limit) if more else None


class RequestShapeError(InvalidBodyError):
    """A body that breaks its declared model."""


class ParameterShapeError(InvalidParameterError):
    """A query parameter that breaks its declared model."""


# -- reading a body -----------------------------------------------------------------------------
def _pointer(path: tuple) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _refuse(detail: str, path: tuple) -> RegistryError:
    name = ".".join(str(p) for p in path) or None
    return RequestShapeError(detail, field=name, extra={"pointer": _pointer(path)})


def check_json(data: Any, path: tuple = ()) -> Any:
    """The parsed body, refused if it nests deeper than MAX_DEPTH, holds a NUL character or an
    integer JSON cannot carry exactly; a float with no fraction becomes an integer (JSON has one kind of
    number, and JSON Schema counts 404.0 as the integer 404)."""
    if isinstance(data, dict):
        if len(path) >= MAX_DEPTH:
            raise _refuse(f"the body nests deeper than {MAX_DEPTH} levels", path)
        for key in data:
            if "\x00" in key:
                raise _refuse("a member's name holds a NUL character", path)
        return {key: check_json(value, path + (key,)) for key, value in data.items()}
    if isinstance(data, list):
        if len(path) >= MAX_DEPTH:
            raise _refuse(f"the body nests deeper than {MAX_DEPTH} levels", path)
        return [check_json(value, path + (i,)) for i, value in enumerate(data)]
    if isinstance(data, str):
        if "\x00" in data:
            raise _refuse("the text holds a NUL character", path)
    elif isinstance(data, bool):
        pass
    elif isinstance(data, int):
        if not -LARGEST_INT <= data <= LARGEST_INT:
            raise _refuse("the number lies outside +/-2^53, which JSON cannot carry exactly", path)
    elif isinstance(data, float) and data.is_integer():
        if not -LARGEST_INT <= data <= LARGEST_INT:
            raise _refuse("the number lies outside +/-2^53, which JSON cannot carry exactly", path)
        return int(data)
    return data


def json_body() -> Any:
    """The request's JSON body, parsed strictly and checked by `check_json`."""
    if not request.is_json:
        raise InvalidBodyError("send the body as JSON (Content-Type: application/json)")
    raw = request.get_data(cache=True)
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise InvalidBodyError(f"the body is not valid JSON: {error}") from None
    return check_json(data)


def _located(loc: tuple, data: Any, missing: bool) -> tuple:
    """The part of pydantic's error location that lies in the input: a union adds the name of each
    member it tried (`serial.str`, `serial.int`), which no client sent."""
    path, value = [], data
    for part in loc:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            if missing and isinstance(value, dict) and isinstance(part, str):
                path.append(part)  # the member that should have been there
            break
        path.append(part)
    return tuple(path)


def _problems(error: ValidationError, data: Any) -> list[dict]:
    found, seen = [], set()
    for item in error.errors(include_url=False, include_input=False):
        loc = _located(tuple(item["loc"]), data, item["type"] == "missing")
        if loc in seen:
            continue
        seen.add(loc)
        found.append(
            {
                "pointer": _pointer(loc),
                "field": ".".join(str(p) for p in loc),
                "reason": item["type"],
                "detail": item["msg"],
            }
        )
    return found


def _shape_error(error: ValidationError, kind: type[RegistryError], where: str, data: Any) -> RegistryError:
    problems = _problems(error, data)
    first = problems[0]
    subject = f"{where} {first['field']!r}" if first["field"] else f"the {where}"
    return kind(
        f"{subject}: {first['detail'][:1].lower()}{first['detail'][1:]}",
        field=first["field"] or None,
        extra={"pointer": first["pointer"], "errors": problems},
    )


def parse_body(model: type[BaseModel]) -> BaseModel:
    data = json_body()
    if not isinstance(data, dict):
        raise InvalidBodyError("the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _shape_error(error, RequestShapeError, "member", data) from None


def parse_query(model: type[BaseModel]) -> BaseModel:
    data = request.args.to_dict(flat=True)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _shape_error(error, ParameterShapeError, "parameter", data) from None


# -- the declaration ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Operation:
    summary: str
    response: type[BaseModel] | None
    status: int = 200
    media_type: str = "application/json"
    body: type[BaseModel] | None = None
    body_media: str | None = None  # a body that is not JSON (text/csv, application/pdf)
    query: type[BaseModel] | None = None
    paths: dict = field(default_factory=dict)  # path parameter -> description, or (description, JSON schema)
    errors: tuple[int, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)  # answer header -> description
    other: dict = field(default_factory=dict)  # another success status -> (answer model, description)
    also: tuple[str, ...] = ()  # other media types the answer comes in when the query asks (format=csv)


def operation(
    summary: str,
    *,
    response: type[BaseModel] | None,
    status: int = 200,
    media_type: str = "application/json",
    body: type[BaseModel] | None = None,
    body_media: str | None = None,
    query: type[BaseModel] | None = None,
    paths: dict | None = None,
    errors: tuple[int, ...] = (),
    headers: dict[str, str] | None = None,
    other: dict | None = None,
    also: tuple[str, ...] = (),
) -> Callable:
    """Declare a JSON view. The view is called with `params=` (the query model) and `body=` (the body
    model) when declared; it returns a dict (or a model) for the answer model, optionally with a dict
    of headers as a tuple, or a finished Response (a file, a CSV, a problem)."""
    spec = Operation(
        summary,
        response,
        status,
        media_type,
        body,
        body_media,
        query,
        dict(paths or {}),
        tuple(errors),
        dict(headers or {}),
        dict(other or {}),
        tuple(also),
    )

    def mark(view: Callable) -> Callable:
        @functools.wraps(view)
        def run(*args, **kwargs):
            if spec.query is not None:
                kwargs["params"] = parse_query(spec.query)
            if spec.body is not None:
                kwargs["body"] = parse_body(spec.body)
            return answer(spec, view(*args, **kwargs))

        run.openapi = spec
        return run

    return mark


def answer(spec: Operation, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    headers = None
    if isinstance(result, tuple):
        result, headers = result
    if spec.response is None:
        raise TypeError(f"the operation {spec.summary!r} declares no answer model but returned data")
    if isinstance(result, spec.response):
        body = result.model_dump_json(by_alias=True)
    else:
        try:
            body = spec.response.model_validate(result).model_dump_json(by_alias=True)
        except ValidationError as error:
            # An answer that breaks its own declaration is a defect of ours: the suite fails on it; a
            # running registry logs it and still answers what it found, rather than nothing.
            if current_app.testing:
                raise
            current_app.logger.error("the answer of %s breaks %s: %s", request.path, spec.response.__name__, error)
            body = orjson.dumps(result)
    return Response(body, status=spec.status, mimetype=spec.media_type, headers=headers)
