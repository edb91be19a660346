"""The "Check a serial" page. It works as a plain form; `static/serials.js` re-checks as one types,
through the JSON endpoint, and marks the character a problem points at."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request

from registry.auth.permissions import Permission, requires
from registry.serials import SCHEMES
from registry.serials.api import SerialRequestError, checked

bp = Blueprint("serials", __name__, url_prefix="/serials")

EXAMPLES = [
    ("vin", "1M8GDM9AXKP042788", "a valid VIN (check digit X)"),
    ("vin", "1M8GDM9A0KP042788", "the same VIN with a wrong check digit"),
    ("firearm", "BXR-4471", "a US firearm serial"),
    ("firearm", "BXR-447\u0421", "a Cyrillic look-alike at the end"),
    ("gs1", "(01)09506000134352(17)201225(10)ABC123(21)12345", "a GS1 / UDI element string"),
    ("ffl", "8-23-091-01-7F-14245", "a licence number"),
    ("imei", "490154203237518", "an IMEI"),
    ("hin", "ABC12345L495", "a boat hull number"),
]


@bp.get("/check")
@requires(Permission.SERIALS_CHECK)
def check():
    scheme = request.args.get("scheme", "vin")
    value = request.args.get("value")
    chosen = (
        {option.name: request.args.get(option.name) or None for option in SCHEMES[scheme].options}
        if scheme in SCHEMES
        else {}
    )
    result, problem = None, None
    if value is not None:
        try:
            result = checked(scheme, value, {k: v for k, v in chosen.items() if v is not None})
        except SerialRequestError as error:
            problem = error
    return render_template(
        "serials/check.html",
        schemes=SCHEMES,
        scheme=scheme,
        value=value or "",
        chosen=chosen,
        result=result,
        problem=problem,
        examples=EXAMPLES,
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
