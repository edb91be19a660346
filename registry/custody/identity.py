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
    return PersonKeys(document=keyed("document", folded) if folded else None,
                      name_address=keyed("name-address", f"{fold(full_name)}\x1f{fold(address)}"))
