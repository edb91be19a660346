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


def fold(text: str) -> str:
    """Case, accents, spacing and punctuation folded: 'Müller-Lüdenscheidt,  Jane ' -> 'muller ludenscheidt jane'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(_NOT_WORD.sub(" ", plain).split())


def document_number(number: str) -> str:
    """A document number as issued: letters and digits only, upper case."""
    return "".join(c for c in fold(number) if c.isalnum()).upper()


def document_text(id_type: str, issuer: str, number: str) -> str:
    """The document as pages and Form 3310.4 show it."""
    return f"{id_type}, {issuer} {number}"


@dataclass(frozen=True)
class PersonKeys:
    document: str | None
    name_address: str


def keys(secret: bytes, *, full_name: str, address: str, document: tuple[str, str, str] | str | None) -> PersonKeys:
    """The matching keys of a person. `document` is (type, issuer, number), or the free text of an
    older registration."""

    def keyed(purpose: str, value: str) -> str:
        return hmac.new(secret, f"{purpose}\x1f{value}".encode(), hashlib.sha256).hexdigest()

    if isinstance(document, tuple):
        id_type, issuer, number = document
        folded = "\x1f".join((fold(id_type), fold(issuer), document_number(number)))
    else:
        folded = fold(document) if document else None
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
        if not document_number(parts["id_number"]):
            raise CustodyError("the document number holds no letter or digit", code="invalid_field", field="id_number")
        return parts["id_type"], parts["id_issuer"], parts["id_number"]
    return text(free_text, "id_document")


def key_unmatched_persons(session: Session, person_key: bytes) -> int:
    """Give the persons registered before matching keys existed their keys (their data are in the
    vault); return how many. Erased persons keep none."""
    rows = list(
        session.scalars(
            select(PersonalData).where(PersonalData.name_address_key.is_(None), PersonalData.erased_at.is_(None))
        )
    )
    for vault in rows:
        found = keys(
            person_key, full_name=vault.full_name or "", address=vault.address or "", document=vault.id_document
        )
        vault.document_key, vault.name_address_key = found.document, found.name_address
    if rows:
        session.commit()
    return len(rows)
