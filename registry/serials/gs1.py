"""GS1 element strings (GS1 General Specifications): GTIN with serial, lot, dates; UDI labels.

People paste them in three forms, all accepted: human-readable with parentheses
"(01)09506000134352(21)12345"; raw scanner data, optionally behind a symbology identifier such as
"]d2", with FNC1 as ASCII 29 (GS) ending a variable-length field; and GS1 Digital Link URIs. Parsing
is biip's; the normalised form is the parenthesised one. A wrong check digit in a GTIN, SSCC or GLN
inside the string is an error.
"""

from __future__ import annotations

import re

from biip import ParseError
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_messages import GS1Message

from registry.serials.result import Problem, Result, Scheme

_SYMBOLOGY = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
GROUP_SEPARATOR = "\x1d"
_VISIBLE_SEPARATORS = str.maketrans({"\u241d": GROUP_SEPARATOR})  # the ␝ symbol some tools display
_CHECKED = (("gtin_error", "GTIN"), ("sscc_error", "SSCC"), ("gln_error", "GLN"))
NAMED = {"01": "gtin", "21": "serial", "10": "lot", "11": "production_date", "17": "expiry_date"}


def _parse(value: str) -> tuple[GS1Message | GS1DigitalLinkURI, str, str | None]:
    if value.startswith("("):
        return GS1Message.parse_hri(value), "human_readable", None
    if value.lower().startswith(("http://", "https://")):
        return GS1DigitalLinkURI.parse(value), "digital_link", None
    symbology = None
    if _SYMBOLOGY.match(value):
        symbology, value = value[:3], value[3:]
    return GS1Message.parse(value.lstrip(GROUP_SEPARATOR)), "raw", symbology


def check(value: str) -> Result:
    text = value.strip().translate(_VISIBLE_SEPARATORS)
    result = Result("gs1", text)
    if not text:
        result.errors.append(Problem("empty", "nothing was given"))
        return result
    try:
        parsed, form, symbology = _parse(text)
    except ParseError as error:
        result.errors.append(Problem("syntax", f"not a GS1 element string: {error}"))
        return result
    elements = parsed.element_strings
    if not elements:
        result.errors.append(Problem("syntax", "no GS1 application identifier was found"))
        return result
    message = parsed if isinstance(parsed, GS1Message) else parsed.as_gs1_message()
    result.normalized = message.as_hri()
    ai: dict[str, str] = {}
    for element in elements:
        code = element.ai.ai
        if code in ai:
            result.errors.append(Problem("duplicate_ai", f"AI ({code}) occurs twice"))
        ai[code] = element.date.isoformat() if element.date is not None else element.value
        for attribute, name in _CHECKED:
            problem = getattr(element, attribute)
            if problem:
                result.errors.append(
                    Problem(
                        "check_digit",
                        f"AI ({code}): the {name} {element.value} has a wrong "
                        f"check digit ({problem.split(': ', 1)[-1]})",
                    )
                )
    result.info = {
        "form": form,
        "symbology": symbology,
        "ai": ai,
        "elements": [
            {"ai": e.ai.ai, "title": e.ai.data_title, "description": e.ai.description, "value": ai[e.ai.ai]}
            for e in elements
        ],
        **{name: ai[code] for code, name in NAMED.items() if code in ai},
    }
    return result


SCHEME = Scheme(
    name="gs1",
    label="GS1 element string (GTIN + serial, UDI)",
    description="GS1 application identifiers in parentheses, raw scanner data (FNC1 as ASCII 29) or a "
    "GS1 Digital Link URI; decodes every AI, dates as ISO dates.",
    check=check,
    example="(01)09506000134352(17)201225(10)ABC123(21)12345",
    errors={
        "empty": "nothing was given",
        "syntax": "not a GS1 element string (unknown AI, wrong length or date)",
        "check_digit": "a GTIN, SSCC or GLN inside has a wrong check digit",
        "duplicate_ai": "an application identifier occurs twice",
    },
)
