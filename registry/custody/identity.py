"""One person, one party: the keys that recognise a private person registered again.

Two keys are kept in the vault beside the person's data, each an HMAC-SHA256 under the instance's
person-matching key (`person-match.key`, 0600), so the vault stays the only home of the data and a
copy of the keys alone reveals nothing that can be checked without the instance key:

- the identity document's key, over its type, issuing authority and number, normalised (case,
  accents, spaces and punctuation folded), which identifies a person: a second registration with it
  is refused;
- the name-and-address key, over the normalised name and address, which only suggests the same
  person: a second registration with it needs the officer's confirmation that it is someone else.

Erasing a person clears both keys with the data.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.custody.models import PersonalData
from registry.custody.rules import CustodyError
from registry.fields import text

ID_TYPES = ("driver licence", "state identity card", "passport", "military identity card", "other")
_NOT_WORD = re.compile(r"[\W_]+")

# Other names of the types, folded (see `fold`): the same document is one document however it is named.
_TYPE_NAMES = {
    **{
        name: "driver licence"
        for name in (
            "driver licence",
            "driver license",
            "drivers licence",
            "drivers license",
            "driver s licence",
            "driver s license",
            "driving licence",
            "driving license",
            "dl",
        )
    },
    **{
        name: "state identity card"
        for name in (
            "state identity card",
            "state id",
            "state id card",
            "state identification card",
            "identity card",
            "identification card",
            "id card",
        )
    },
    "passport": "passport",
    **{
        name: "military identity card"
        for name in (
            "military identity card",
            "military id",
            "military id card",
            "military identification card",
        )
    },
    "other": "other",
}
# The issuers of US documents by name, folded, and by code (USPS), for the key; other issuers are folded.
_US_ISSUERS = {
    "alabama": "AL",
    "alaska": "AK",
    "arizona": "AZ",
    "arkansas": "AR",
    "california": "CA",
    "colorado": "CO",
    "connecticut": "CT",
    "delaware": "DE",
    "district of columbia": "DC",
    "florida": "FL",
    "georgia": "GA",
    "hawaii": "HI",
    "idaho": "ID",
    "illinois": "IL",
    "indiana": "IN",
    "iowa": "IA",
    "kansas": "KS",
    "kentucky": "KY",
    "louisiana": "LA",
    "maine": "ME",
    "maryland": "MD",
    "massachusetts": "MA",
    "michigan": "MI",
    "minnesota": "MN",
    "mississippi": "MS",
    "missouri": "MO",
    "montana": "MT",
    "nebraska": "NE",
    "nevada": "NV",
    "new hampshire": "NH",
    "new jersey": "NJ",
    "new mexico": "NM",
    "new york": "NY",
    "north carolina": "NC",
    "north dakota": "ND",
    "ohio": "OH",
    "oklahoma": "OK",
    "oregon": "OR",
    "pennsylvania": "PA",
    "rhode island": "RI",
    "south carolina": "SC",
    "south dakota": "SD",
    "tennessee": "TN",
    "texas": "TX",
    "utah": "UT",
    "vermont": "VT",
    "virginia": "VA",
    "washington": "WA",
    "west virginia": "WV",
    "wisconsin": "WI",
    "wyoming": "WY",
    "puerto rico": "PR",
    "guam": "GU",
    "us virgin islands": "VI",
    "american samoa": "AS",
    "northern mariana islands": "MP",
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "u s a": "US",
    "u s": "US",
}
_ISSUER_CODES = {code.casefold(): code for code in _US_ISSUERS.values()}


def fold(text: str) -> str:
    """Case, accents, spacing and punctuation folded: 'Müller-Lüdenscheidt,  Jane ' -> 'muller ludenscheidt jane'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(_NOT_WORD.sub(" ", plain).split())


def document_number(number: str) -> str:
    """A document number as issued: letters and digits only, upper case."""
    return "".join(c for c in fold(number) if c.isalnum()).upper()


def document_text(id_type: str, issuer: str, number: str) -> str:
    """The document as pages and Form 3310.4 show it, and as the vault keeps it: a comma after the
    type and after the issuer, so a number with spaces ("123 456 789") reads back whole."""
    return f"{id_type}, {issuer}, {number}"


def type_named(value: str) -> str | None:
    """The type among ID_TYPES that `value` names (any of its usual names), or None."""
    return _TYPE_NAMES.get(fold(value))


def issuer_code(value: str) -> str:
    """An issuing authority as the key reads it: a US state or the US by its code ("Texas" is "TX"),
    any other folded."""
    folded = fold(value)
    return _US_ISSUERS.get(folded) or _ISSUER_CODES.get(folded) or folded


def _issuer_and_number(rest: str) -> tuple[str, str] | None:
    """Split "TX 40 123 456" or "New York 123456", the way older registrations wrote the issuer and
    the number after the type: at the longest run of leading words that names a known issuer, else
    at the only space there is; None when the split is a guess."""
    words = rest.split()
    for cut in range(len(words) - 1, 0, -1):
        if fold(" ".join(words[:cut])) in _US_ISSUERS or fold(" ".join(words[:cut])) in _ISSUER_CODES:
            return " ".join(words[:cut]), " ".join(words[cut:])
    return (words[0], words[1]) if len(words) == 2 else None


def parsed(document: tuple[str, str, str] | str | None) -> tuple[str, str, str] | None:
    """A document as (type, issuer, number) for the key, read from its three fields or from one line
    written the way `document_text` writes it ("driver licence, TX, 3805242", or by older
    registrations "driver licence, TX 3805242"); None for other text, or an older line whose issuer
    and number cannot be told apart for certain."""
    if isinstance(document, tuple):
        type_, issuer_, number = document
    else:
        type_text, _, rest = (document or "").partition(",")
        if not rest or type_named(type_text.strip()) is None:
            return None
        issuer_text, comma, number_text = rest.rpartition(",")  # an issuer may hold commas ("Korea, Republic of")
        parts = [type_text.strip(), *((issuer_text.strip(), number_text.strip()) if comma else (rest.strip(),))]
        split = (parts[1], parts[2]) if len(parts) == 3 else _issuer_and_number(parts[1])
        if split is None or not all(split):
            return None
        type_, (issuer_, number) = parts[0], split
    return type_named(type_) or fold(type_), issuer_code(issuer_), document_number(number)


def tells_apart(one: tuple[str, str, str] | str | None, other: tuple[str, str, str] | str | None) -> bool:
    """Whether two documents show two different people: documents of the same type from the same
    issuer with different numbers. A driver licence beside a passport may well be the same person's."""
    a, b = parsed(one), parsed(other)
    return a is not None and b is not None and a[:2] == b[:2] and a[2] != b[2]


@dataclass(frozen=True)
class PersonKeys:
    document: str | None
    name_address: str


def keys(secret: bytes, *, full_name: str, address: str, document: tuple[str, str, str] | str | None) -> PersonKeys:
    """The matching keys of a person. `document` is (type, issuer, number), or the free text of an
    older registration."""

    def keyed(purpose: str, value: str) -> str:
        return hmac.new(secret, f"{purpose}\x1f{value}".encode(), hashlib.sha256).hexdigest()

    structured = parsed(document)
    if structured is not None:
        folded = "\x1f".join((fold(structured[0]), fold(structured[1]), structured[2]))
    else:
        folded = fold(document) if isinstance(document, str) and document else None
    return PersonKeys(
        document=keyed("document", folded) if folded else None,
        name_address=keyed("name-address", f"{fold(full_name)}\x1f{fold(address)}"),
    )


def document(free_text, id_type, issuer, number) -> tuple[str, str, str] | str | None:
    """A person's identity document: (type, issuer, number), or the free text of a caller that keeps
    it as one line, or None."""
    parts = {
        "id_type": text(id_type, "id_type", limit=40),
        "id_issuer": text(issuer, "id_issuer", limit=80),
        "id_number": text(number, "id_number", limit=64),
    }
    if any(parts.values()):
        for name, value in parts.items():
            if not value:
                raise CustodyError(
                    f"an identity document needs its type, issuer and number: the "
                    f"{name.removeprefix('id_')} is missing",
                    code="missing_field",
                    field=name,
                )
        known = type_named(parts["id_type"])
        if known is None:
            raise CustodyError(
                f"the document type must be one of {', '.join(ID_TYPES)}", code="invalid_field", field="id_type"
            )
        if not document_number(parts["id_number"]):
            raise CustodyError("the document number holds no letter or digit", code="invalid_field", field="id_number")
        return known, parts["id_issuer"], parts["id_number"]
    return text(free_text, "id_document")


def key_persons(session: Session, person_key: bytes) -> int:
    """Bring every person's matching keys to the current rules (persons registered before the keys
    existed, or under older readings of a document: "driver license" is now a driver licence, and
    "Texas" TX), from their data in the vault; return how many changed. Erased persons keep none."""
    changed = 0
    rows = session.scalars(
        select(PersonalData).where(PersonalData.erased_at.is_(None)).execution_options(yield_per=1000)
    )
    for vault in rows:
        found = keys(
            person_key, full_name=vault.full_name or "", address=vault.address or "", document=vault.id_document
        )
        # A document line the current rules cannot read for certain keeps the key its registration
        # made from the document's three fields.
        document = found.document if vault.document_key is None or parsed(vault.id_document) else vault.document_key
        if (vault.document_key, vault.name_address_key) != (document, found.name_address):
            vault.document_key, vault.name_address_key = document, found.name_address
            changed += 1
    if changed:
        session.commit()
    else:
        session.rollback()
    return changed
