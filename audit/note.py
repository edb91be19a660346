"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys in the Go sumdb text forms.

Keys travel as text: a signer key "PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 || seed)>" and a
verifier key "<name>+<key id hex>+<base64(0x01 || public key)>". Malformed keys are configuration
mistakes and raise ValueError; malformed or unverifiable notes raise NoteError.

A verifier key of type 0x06 is an ML-DSA-44 key (FIPS 204): it signs a checkpoint as C2SP
tlog-cosignature's timestamped `subtree/v1` message, the post-quantum signature C2SP tlog-checkpoint
recommends to logs (audit/cosignature.py). Such keys verify checkpoint notes only.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.errors import VerificationError

ED25519 = b"\x01"
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")


class NoteError(VerificationError):
    """A signed note is malformed, carries a bad signature from a known key, or no known key signed it."""


def decode_base64(text: str) -> bytes:
    """Decode standard base64 (RFC 4648 section 4), accepting only its canonical spelling.

    Refusing other spellings (stray padding bits, missing padding) gives each value exactly one
    text form, so two different texts never carry the same signature or hash. Raises ValueError.
    """
    try:
        data = base64.b64decode(text, validate=True)
    except ValueError as error:
        raise ValueError(f"not base64: {text[:48]!r}") from error
    if base64.b64encode(data).decode() != text:
        raise ValueError(f"not canonical base64: {text[:48]!r}")
    return data


def encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def check_name(name: str) -> None:
    """Require a valid key name: non-empty UTF-8, no '+', no Unicode space, no control character (ValueError)."""
    if not isinstance(name, str) or not name:
        raise ValueError("key name must be a non-empty string")
    if "+" in name or any(char.isspace() or char < " " for char in name):
        raise ValueError(f"key name {name!r} contains '+', a space or a control character")
    _require_utf8(name, f"key name {name!r}")


def _require_utf8(text: str, what: str) -> None:
    """Strings holding lone surrogates cannot be signed or sent (ValueError)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(f"{what} is not valid UTF-8") from error


def key_id(name: str, public_key: bytes) -> bytes:
    """The spec's recommended 4-byte Ed25519 key id: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public_key).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    name: str
    key_id: bytes
    private_key: Ed25519PrivateKey

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key_id, self.private_key.public_key())


def _split_key(text: str, parts: int) -> list[str]:
    # The base64 field comes last and may itself contain '+', so only the leading fields are split off.
    fields = text.split("+", parts - 1) if isinstance(text, str) else []
    if len(fields) != parts:
        raise ValueError(f"a key has {parts} '+'-separated fields")
    return fields


def _decode_key(name: str, id_hex: str, encoded: str) -> tuple[bytes, bytes]:
    check_name(name)
    if len(id_hex) != 8 or any(char not in "0123456789abcdefABCDEF" for char in id_hex):
        raise ValueError(f"key id {id_hex!r} is not 8 hex digits")
    material = decode_base64(encoded)
    if len(material) != 33 or material[:1] != ED25519:
        raise ValueError("key is not 0x01 followed by 32 bytes of Ed25519 key")
    return bytes.fromhex(id_hex), material[1:]


def parse_skey(skey: str) -> Signer:
    """Parse a signer key; raises ValueError if malformed or if its key id does not match the key."""
    marker_private, marker_key, name, id_hex, encoded = _split_key(skey, 5)
    if (marker_private, marker_key) != ("PRIVATE", "KEY"):
        raise ValueError("signer key does not start with PRIVATE+KEY+")
    claimed_id, seed = _decode_key(name, id_hex, encoded)
    private_key = Ed25519PrivateKey.from_private_bytes(seed)
    if key_id(name, private_key.public_key().public_bytes_raw()) != claimed_id:
        raise ValueError(f"signer key id {id_hex} does not match the key")
    return Signer(name, claimed_id, private_key)


# A log signs every checkpoint with the same key: parsing it checks its key id, which derives the
# public key, and that took half of each signature's time.
_signer = functools.lru_cache(maxsize=16)(parse_skey)


def parse_vkey(vkey: str) -> Verifier:
    """Parse a verifier key; raises ValueError if malformed or if its key id does not match the key."""
    name, id_hex, encoded = _split_key(vkey, 3)
    claimed_id, public_bytes = _decode_key(name, id_hex, encoded)
    if key_id(name, public_bytes) != claimed_id:
        raise ValueError(f"verifier key id {id_hex} does not match the key")
    return Verifier(name, claimed_id, Ed25519PublicKey.from_public_bytes(public_bytes))


def _format_vkey(verifier: Verifier) -> str:
    public_bytes = verifier.public_key.public_bytes_raw()
    return f"{verifier.name}+{verifier.key_id.hex()}+{encode_base64(ED25519 + public_bytes)}"


def generate_key(name: str) -> tuple[str, str]:
    """Return a new (signer key, verifier key) pair for name; ValueError if the name is invalid."""
    check_name(name)
    private_key = Ed25519PrivateKey.generate()
    signer = Signer(name, key_id(name, private_key.public_key().public_bytes_raw()), private_key)
    seed = private_key.private_bytes_raw()
    skey = f"PRIVATE+KEY+{name}+{signer.key_id.hex()}+{encode_base64(ED25519 + seed)}"
    return skey, _format_vkey(signer.verifier())


def vkey_from_skey(skey: str) -> str:
    """Return the verifier key matching a signer key; ValueError if the signer key is malformed."""
    return _format_vkey(parse_skey(skey).verifier())


@dataclass(frozen=True)
class _Signature:
    name: str
    key_id: bytes
    signature: bytes


def _check_text(text: str, what: str = "note text") -> None:
    if not isinstance(text, str) or not text.endswith("\n"):
        raise ValueError(f"{what} must be a string ending in a newline")
    if _CONTROL.search(text):
        raise ValueError(f"{what} must not contain control characters other than newline")
    _require_utf8(text, what)


def _signature_line(text: str, signer: Signer) -> str:
    signature = signer.key_id + signer.sign(text.encode())
    return f"{SIGNATURE_PREFIX}{signer.name} {encode_base64(signature)}\n"


def sign(text: str, skey: str) -> str:
    """Sign text and return the note: text, a blank line, one signature line.

    Requires text ending in a newline with no control characters but newlines (ValueError). Text may
    contain blank lines: readers split at the last blank line, which is always the one added here.
    """
    _check_text(text)
    return text + "\n" + _signature_line(text, _signer(skey))


def signature_identity(line: str) -> tuple[str, bytes] | None:
    """(key name, key id) of a signature line, or None when the line is not one."""
    try:
        signature = _parse_signature_line(line.rstrip("\n"))
    except NoteError:
        return None
    return signature.name, signature.key_id


def _parse_signature_line(line: str) -> _Signature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError(f"signature line does not start with an em dash and a space: {line!r}")
    name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    try:
        check_name(name)
        if not space:
            raise ValueError("no space between key name and signature")
        signature = decode_base64(encoded)
    except ValueError as error:
        raise NoteError(f"malformed signature line {line!r}: {error}") from error
    if len(signature) < 5:
        raise NoteError(f"signature by {name} is too short to hold a key id and a signature")
    return _Signature(name, signature[:4], signature[4:])


def _split(note: str) -> tuple[str, list[_Signature]]:
    """Separate a note into its text and parsed signature lines; NoteError if malformed."""
    try:
        _check_text(note, what="a note")
    except ValueError as error:
        raise NoteError(str(error)) from error
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("note has no blank line before its signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    if not block:
        raise NoteError("note has no signature lines")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    return text, [_parse_signature_line(line) for line in lines]


def add_signature(note: str, skey: str) -> str:
    """Cosign: append a signature by skey to an existing note, without checking the others.

    Raises NoteError if the note is malformed and ValueError if this key has already signed it.
    """
    text, signatures = _split(note)
    signer = parse_skey(skey)
    if any((sig.name, sig.key_id) == (signer.name, signer.key_id) for sig in signatures):
        raise ValueError(f"note is already signed by {signer.name}")
    return note + _signature_line(text, signer)


@dataclass(frozen=True)
class PostQuantumVerifier:
    """An ML-DSA-44 checkpoint key (signed-note type 0x06)."""

    name: str
    key_id: bytes
    public_bytes: bytes

    def verify(self, message: bytes, signature: bytes) -> bool:
        from audit.cosignature import ML_DSA_44, CosignatureError, CosignerKey

        try:
            CosignerKey(self.name, ML_DSA_44, self.key_id, self.public_bytes).verify(message.decode(), signature)
        except (CosignatureError, ValueError):
            return False
        return True


AnyVerifier = Verifier | PostQuantumVerifier


def parse_any_vkey(vkey: str) -> AnyVerifier:
    """An Ed25519 (0x01) or ML-DSA-44 (0x06) verifier key; ValueError if malformed."""
    fields = _split_key(vkey, 3)
    material = decode_base64(fields[2]) if fields[2] else b""
    if material[:1] != b"\x06":
        return parse_vkey(vkey)
    from audit.cosignature import parse_cosigner_vkey

    key = parse_cosigner_vkey(vkey)
    return PostQuantumVerifier(key.name, key.key_id, key.public_key)


def _public(verifier: AnyVerifier) -> bytes:
    if isinstance(verifier, PostQuantumVerifier):
        return verifier.public_bytes
    return verifier.public_key.public_bytes_raw()


def _verifiers(vkeys: Iterable[str]) -> dict[tuple[str, bytes], AnyVerifier]:
    if isinstance(vkeys, str):
        raise TypeError("vkeys must be a list of verifier keys, not one key")
    verifiers: dict[tuple[str, bytes], AnyVerifier] = {}
    for vkey in vkeys:
        verifier = parse_any_vkey(vkey)
        known = verifiers.setdefault((verifier.name, verifier.key_id), verifier)
        if _public(known) != _public(verifier):
            raise ValueError(f"two verifier keys share the name {verifier.name} and key id")
    return verifiers


def identities(vkeys: Iterable[str]) -> set[tuple[str, bytes]]:
    """The (name, key id) of each verifier key."""
    return set(_verifiers(vkeys))


def signed_by(note: str, vkeys: Iterable[str]) -> tuple[str, set[tuple[str, bytes]]]:
    """The text of note and the (name, key id) of every key in vkeys that signed it.

    Signatures from keys not in vkeys (matched by name and key id together) are ignored. Raises
    NoteError if the note is malformed, a known key signed twice or its signature fails, or no known
    key signed; ValueError if a verifier key is malformed.
    """
    verifiers = _verifiers(vkeys)
    text, signatures = _split(note)
    message = text.encode()
    verified: set[tuple[str, bytes]] = set()
    for signature in signatures:
        identity = (signature.name, signature.key_id)
        verifier = verifiers.get(identity)
        if verifier is None:
            continue
        if identity in verified:
            raise NoteError(f"note carries two signatures by {signature.name}")
        if not verifier.verify(message, signature.signature):
            raise NoteError(f"signature by {signature.name} does not verify")
        verified.add(identity)
    if not verified:
        raise NoteError("note is not signed by any known key")
    return text, verified


def verify(note: str, vkeys: Iterable[str], *, all_keys: bool = False) -> str:
    """Return the text of note once a key in vkeys has verified it (every key, with `all_keys`: a
    log that signs with Ed25519 and ML-DSA-44 is checked with both when both are given).

    Raises as `signed_by`, and NoteError naming a key of vkeys that did not sign when `all_keys`.
    To require several signers of different roles (a log and its witnesses), see audit.policy.
    """
    if isinstance(vkeys, str):
        raise TypeError("vkeys must be a list of verifier keys, not one key")
    keys = list(vkeys)
    text, verified = signed_by(note, keys)
    if all_keys:
        for identity, verifier in _verifiers(keys).items():
            if identity not in verified:
                kind = "ML-DSA-44" if isinstance(verifier, PostQuantumVerifier) else "Ed25519"
                raise NoteError(f"note is not signed by the {kind} key {verifier.name}+{identity[1].hex()}")
    return text
