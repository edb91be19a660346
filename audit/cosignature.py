"""C2SP tlog-cosignature: a witness's statement that a checkpoint is consistent with every checkpoint
of the log it saw before (https://c2sp.org/tlog-cosignature).

Two kinds of key, both as signed-note signature lines `— <name> base64(key id || timestamp || sig)`:

- type 0x04, Ed25519, signing `cosignature/v1\\ntime <t>\\n` followed by the checkpoint body;
- type 0x06, ML-DSA-44 (FIPS 204, empty context), signing the binary `subtree/v1` message over the
  cosigner's name, the time, the origin, the range [0, size) and the root.

The key id is SHA-256(name || 0x0A || type || public key)[:4] for both; the timestamp is a big-endian
uint64 of POSIX seconds.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.checkpoint import Checkpoint, format_checkpoint, parse_checkpoint
from audit.note import check_name, decode_base64, encode_base64

ED25519_COSIGNATURE = 0x04
ML_DSA_44 = 0x06
SIZES = {ED25519_COSIGNATURE: (32, 64), ML_DSA_44: (1312, 2420)}  # public key, signature
NAMES = {ED25519_COSIGNATURE: "Ed25519 cosignature/v1", ML_DSA_44: "ML-DSA-44 subtree/v1"}
MAX_TIMESTAMP = 2**63 - 1


class CosignatureError(ValueError):
    """A cosigner key or cosignature that cannot be read."""


def key_id(name: str, kind: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public_key).digest()[:4]


def message(kind: int, name: str, timestamp: int, body: str) -> bytes:
    """The bytes a cosigner of `kind` signs for the checkpoint `body` (its text, final newline included)."""
    if kind == ED25519_COSIGNATURE:
        return f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode()
    checkpoint = parse_checkpoint(body)
    origin, named = checkpoint.origin.encode(), name.encode()
    if not (0 < len(origin) < 256 and 0 < len(named) < 256):
        raise CosignatureError("a subtree/v1 message holds names of 1 to 255 bytes")
    return (
        b"subtree/v1\n\x00"
        + bytes([len(named)])
        + named
        + struct.pack(">Q", timestamp)
        + bytes([len(origin)])
        + origin
        + struct.pack(">QQ", 0, checkpoint.size)
        + checkpoint.root
    )


@dataclass(frozen=True)
class CosignerKey:
    """A cosigner's verifier key: `<name>+<key id hex>+base64(type || public key)`."""

    name: str
    kind: int
    key_id: bytes
    public_key: bytes

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{encode_base64(bytes([self.kind]) + self.public_key)}"

    def verify(self, body: str, payload: bytes) -> int:
        """The timestamp of the cosignature `payload` (timestamp || signature) over checkpoint `body`;
        CosignatureError if it does not verify."""
        signature_size = SIZES[self.kind][1]
        if len(payload) != 8 + signature_size:
            raise CosignatureError(f"a {NAMES[self.kind]} cosignature is {8 + signature_size} bytes")
        timestamp: int = struct.unpack(">Q", payload[:8])[0]
        if timestamp > MAX_TIMESTAMP or timestamp == 0:
            raise CosignatureError("a checkpoint cosignature carries a timestamp from 1 to 2^63-1")
        signed = message(self.kind, self.name, timestamp, body)
        try:
            if self.kind == ED25519_COSIGNATURE:
                Ed25519PublicKey.from_public_bytes(self.public_key).verify(payload[8:], signed)
            else:
                from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA44PublicKey

                MLDSA44PublicKey.from_public_bytes(self.public_key).verify(payload[8:], signed)
        except InvalidSignature:
            raise CosignatureError(f"the cosignature by {self.name} does not verify") from None
        return timestamp


def parse_cosigner_vkey(vkey: str) -> CosignerKey:
    fields = vkey.split("+", 2)
    if len(fields) != 3:
        raise CosignerKeyError("a cosigner key is name+keyid+base64")
    name, id_hex, encoded = fields
    try:
        check_name(name)
        claimed = bytes.fromhex(id_hex) if len(id_hex) == 8 else b""
        material = decode_base64(encoded)
    except ValueError as error:
        raise CosignerKeyError(f"malformed cosigner key: {error}") from None
    kind = material[0] if material else -1
    if kind not in SIZES or len(material) != 1 + SIZES[kind][0]:
        raise CosignerKeyError(
            "a cosigner key is type 0x04 with a 32-byte Ed25519 key or type 0x06 with a 1312-byte ML-DSA-44 key"
        )
    key = CosignerKey(name, kind, key_id(name, kind, material[1:]), material[1:])
    if key.key_id != claimed:
        raise CosignerKeyError(f"cosigner key id {id_hex} does not match the key")
    return key


class CosignerKeyError(CosignatureError):
    """A cosigner verifier or signer key that cannot be read."""


@dataclass(frozen=True)
class Cosigner:
    """A cosigner's private key, in the form `PRIVATE+KEY+<name>+<key id>+base64(type || seed)`."""

    name: str
    kind: int
    private_key: Any

    @classmethod
    def generate(cls, name: str, kind: int = ED25519_COSIGNATURE) -> Cosigner:
        check_name(name)
        if kind == ED25519_COSIGNATURE:
            return cls(name, kind, Ed25519PrivateKey.generate())
        from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA44PrivateKey

        return cls(name, kind, MLDSA44PrivateKey.generate())

    @property
    def key(self) -> CosignerKey:
        public = self.private_key.public_key().public_bytes_raw()
        return CosignerKey(self.name, self.kind, key_id(self.name, self.kind, public), public)

    @property
    def skey(self) -> str:
        seed = self.private_key.private_bytes_raw()
        return f"PRIVATE+KEY+{self.name}+{self.key.key_id.hex()}+{encode_base64(bytes([self.kind]) + seed)}"

    @classmethod
    def from_skey(cls, skey: str) -> Cosigner:
        fields = skey.split("+", 4)
        if len(fields) != 5 or fields[:2] != ["PRIVATE", "KEY"]:
            raise CosignerKeyError("a cosigner signer key is PRIVATE+KEY+name+keyid+base64")
        material = decode_base64(fields[4])
        kind = material[0] if material else -1
        if kind == ED25519_COSIGNATURE and len(material) == 33:
            private: Any = Ed25519PrivateKey.from_private_bytes(material[1:])
        elif kind == ML_DSA_44 and len(material) == 33:
            from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA44PrivateKey

            private = MLDSA44PrivateKey.from_seed_bytes(material[1:])
        else:
            raise CosignerKeyError("a cosigner signer key is type 0x04 or 0x06 with a 32-byte seed")
        cosigner = cls(fields[2], kind, private)
        if cosigner.key.key_id.hex() != fields[3]:
            raise CosignerKeyError("cosigner signer key id does not match the key")
        return cosigner

    def cosign(self, checkpoint: Checkpoint | str, timestamp: int) -> str:
        """The signature line cosigning the checkpoint body at `timestamp`."""
        return self.line(timestamp, self.private_key.sign(self.to_sign(checkpoint, timestamp)))

    def to_sign(self, checkpoint: Checkpoint | str, timestamp: int) -> bytes:
        """The message this key signs to cosign the checkpoint at `timestamp` (for a caller that runs
        the signature itself, on another thread, and makes the line with `line`)."""
        body = checkpoint if isinstance(checkpoint, str) else format_checkpoint(checkpoint)
        return message(self.kind, self.name, timestamp, body)

    def line(self, timestamp: int, signature: bytes) -> str:
        """The signature line for a signature this key made over `to_sign(...)` at `timestamp`."""
        payload = self.key.key_id + struct.pack(">Q", timestamp) + signature
        return f"— {self.name} {encode_base64(payload)}\n"
