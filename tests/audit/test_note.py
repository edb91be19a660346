"""Signed notes: the C2SP example, key forms, signing round trips, cosigning and each way verification fails."""

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import note
from audit.errors import VerificationError
from audit.note import NoteError

VECTORS = json.loads((Path(__file__).parent.parent / "vectors" / "note.json").read_text())
TEXT = "example.com/log\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"


@pytest.fixture(scope="session")
def log_key():
    return note.generate_key("example.com/log")


@pytest.fixture(scope="session")
def witness_key():
    return note.generate_key("witness.example/w1")


@pytest.fixture
def signed(log_key):
    return note.sign(TEXT, log_key[0])


def replace_signature(signed, transform):
    """Apply transform to the decoded bytes of the last signature line."""
    text, _, line = signed[:-1].rpartition("\n")
    prefix, _, encoded = line.rpartition(" ")
    return f"{text}\n{prefix} {base64.b64encode(transform(base64.b64decode(encoded))).decode()}\n"


@pytest.mark.parametrize("example", VECTORS["examples"], ids=lambda e: e["vkey"].split("+")[0])
def test_specification_example_verifies(example):
    assert note.verify(example["note"], [example["vkey"]]) == "This is an example message.\n"


def test_note_error_is_a_verification_error():
    assert issubclass(NoteError, VerificationError)


# Keys.


def test_generated_keys_use_the_go_sumdb_forms(log_key):
    skey, vkey = log_key
    verifier = note.parse_vkey(vkey)
    assert skey.startswith(f"PRIVATE+KEY+example.com/log+{verifier.key_id.hex()}+")
    assert vkey.startswith(f"example.com/log+{verifier.key_id.hex()}+")
    assert base64.b64decode(vkey.split("+", 2)[2])[:1] == b"\x01"


def test_key_id_is_the_recommended_hash(log_key):
    verifier = note.parse_vkey(log_key[1])
    assert verifier.key_id == note.key_id("example.com/log", verifier.public_key.public_bytes_raw())


def test_vkey_from_skey_gives_the_generated_vkey(log_key):
    assert note.vkey_from_skey(log_key[0]) == log_key[1]


def test_specification_vkey_parses():
    verifier = note.parse_vkey(VECTORS["examples"][0]["vkey"])
    assert (verifier.name, verifier.key_id.hex()) == ("example.com/foo", "530d903a")


@pytest.mark.parametrize(
    "name",
    ["", "a+b", "a b", "a\tb", "a\u00a0b", "a\u2003b", "a\x01b"],
    ids=["empty", "plus", "space", "tab", "nbsp", "em-space", "control"],
)
def test_generate_key_rejects_invalid_names(name):
    with pytest.raises(ValueError, match="key name"):
        note.generate_key(name)


def test_parse_vkey_rejects_key_id_not_matching_key():
    name, _, encoded = VECTORS["examples"][0]["vkey"].split("+")
    with pytest.raises(ValueError, match="does not match the key"):
        note.parse_vkey(f"{name}+00000000+{encoded}")


@pytest.mark.parametrize(
    "vkey, reason",
    [
        ("example.com/foo+530d903a", "fields"),
        ("example.com/foo+530d90+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "not 8 hex digits"),
        # well-formed base64 of 0x01 and 31 bytes, and of 0x01 and 33: the length check itself answers
        ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U0=", "0x01 followed by 32 bytes"),
        ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2kAA==", "0x01 followed by 32 bytes"),
        ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k=", "base64"),
        ("example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "0x01 followed by 32 bytes"),
    ],
    ids=["two-fields", "short-key-id", "short-key", "long-key", "bad-base64", "wrong-algorithm"],
)
def test_parse_vkey_rejects_malformed_keys(vkey, reason):
    with pytest.raises(ValueError, match=reason):
        note.parse_vkey(vkey)


def test_parse_skey_rejects_a_verifier_key(log_key):
    with pytest.raises(ValueError):
        note.parse_skey(log_key[1])


def test_keys_whose_base64_contains_plus_signs_work():
    # Seed 0x3e * 32 puts '+' in the base64 of both the seed and the public key.
    seed = b"\x3e" * 32
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    key_id = note.key_id("plus.example", public).hex()
    encoded = base64.b64encode(b"\x01" + seed).decode()
    skey = f"PRIVATE+KEY+plus.example+{key_id}+{encoded}"
    vkey = note.vkey_from_skey(skey)
    assert "+" in skey.split("+", 4)[4] and "+" in vkey.split("+", 2)[2]
    assert note.verify(note.sign(TEXT, skey), [vkey]) == TEXT


# Signing.


def test_sign_then_verify_returns_the_text(log_key, signed):
    assert note.verify(signed, [log_key[1]]) == TEXT


def test_signed_note_is_text_blank_line_and_em_dash_signature(signed):
    text, signature_line = signed.split("\n\n")
    assert text + "\n" == TEXT
    assert signature_line.startswith("\u2014 example.com/log ")
    assert len(base64.b64decode(signature_line.split(" ")[2])) == 4 + 64


def test_text_with_blank_lines_round_trips(log_key):
    text = "first\n\nsecond\n\n"
    assert note.verify(note.sign(text, log_key[0]), [log_key[1]]) == text


@pytest.mark.parametrize(
    "text", ["", "no newline", "tab\there\n", "cr\r\n"], ids=["empty", "no-final-newline", "tab", "carriage-return"]
)
def test_sign_rejects_unsignable_text(log_key, text):
    with pytest.raises(ValueError, match="note text"):
        note.sign(text, log_key[0])


def test_cosigned_note_verifies_with_either_key(log_key, witness_key, signed):
    cosigned = note.add_signature(signed, witness_key[0])
    assert note.verify(cosigned, [log_key[1]]) == TEXT
    assert note.verify(cosigned, [witness_key[1]]) == TEXT
    assert note.verify(cosigned, [log_key[1], witness_key[1]]) == TEXT


def test_add_signature_refuses_a_second_signature_by_the_same_key(log_key, signed):
    with pytest.raises(ValueError, match="already signed"):
        note.add_signature(signed, log_key[0])


# Verifying: one test per way it fails.


def test_verify_rejects_tampered_text(log_key, signed):
    with pytest.raises(NoteError, match="does not verify"):
        note.verify(signed.replace("\n7\n", "\n8\n"), [log_key[1]])


def test_verify_rejects_tampered_signature(log_key, signed):
    tampered = replace_signature(signed, lambda raw: raw[:-1] + bytes([raw[-1] ^ 1]))
    with pytest.raises(NoteError, match="does not verify"):
        note.verify(tampered, [log_key[1]])


def test_verify_ignores_a_signature_with_another_key_id(log_key, signed):
    tampered = replace_signature(signed, lambda raw: bytes([raw[0] ^ 1]) + raw[1:])
    with pytest.raises(NoteError, match="not signed by any known key"):
        note.verify(tampered, [log_key[1]])


def test_verify_ignores_a_signature_under_another_name(log_key, signed):
    renamed = signed.replace("\u2014 example.com/log ", "\u2014 example.com/other ")
    with pytest.raises(NoteError, match="not signed by any known key"):
        note.verify(renamed, [log_key[1]])


def test_verify_rejects_note_signed_only_by_unknown_keys(witness_key, signed):
    with pytest.raises(NoteError, match="not signed by any known key"):
        note.verify(signed, [witness_key[1]])


def test_verify_rejects_a_bad_known_signature_even_if_another_verifies(log_key, witness_key, signed):
    cosigned = replace_signature(
        note.add_signature(signed, witness_key[0]), lambda raw: raw[:-1] + bytes([raw[-1] ^ 1])
    )
    with pytest.raises(NoteError, match="witness.example/w1 does not verify"):
        note.verify(cosigned, [log_key[1], witness_key[1]])


def test_verify_rejects_two_signatures_by_one_key(log_key, signed):
    signature_line = signed.split("\n\n")[1]
    with pytest.raises(NoteError, match="two signatures"):
        note.verify(signed + signature_line, [log_key[1]])


def test_verify_rejects_missing_blank_line(log_key, signed):
    with pytest.raises(NoteError, match="no blank line"):
        note.verify(signed.replace("\n\n", "\n"), [log_key[1]])


def test_verify_rejects_note_without_signatures(log_key):
    with pytest.raises(NoteError, match="no signature lines"):
        note.verify(TEXT + "\n", [log_key[1]])


def test_verify_rejects_bad_base64(log_key, signed):
    with pytest.raises(NoteError, match="not base64"):
        note.verify(signed[:-3] + "*=\n", [log_key[1]])


def test_verify_rejects_signature_too_short_for_a_key_id(log_key, signed):
    with pytest.raises(NoteError, match="too short"):
        note.verify(signed + "\u2014 example.com/log AAAA\n", [log_key[1]])


@pytest.mark.parametrize(
    "garbage",
    ["junk", "junk\n", "\u2014 nameonly\n", "-- example.com/log AAAAAAAA\n"],
    ids=["unterminated", "plain-line", "no-signature", "ascii-dashes"],
)
def test_verify_rejects_trailing_garbage(log_key, signed, garbage):
    with pytest.raises(NoteError):
        note.verify(signed + garbage, [log_key[1]])


def test_verify_rejects_control_characters(log_key, signed):
    with pytest.raises(NoteError, match="control characters"):
        note.verify(signed.replace("example.com/log\n7", "example.com/log\r\n7", 1), [log_key[1]])


def test_verify_rejects_more_than_a_hundred_signatures(log_key, signed):
    unknown = "\u2014 someone.example AAAAAAAAAAAAAAAAAAAAAAAA\n" * note.MAX_SIGNATURES
    with pytest.raises(NoteError, match="more than 100 signatures"):
        note.verify(signed + unknown, [log_key[1]])


def test_verify_accepts_a_hundred_signatures(log_key, signed):
    unknown = "\u2014 someone.example AAAAAAAAAAAAAAAAAAAAAAAA\n" * (note.MAX_SIGNATURES - 1)
    assert note.verify(signed + unknown, [log_key[1]]) == TEXT


def test_verify_refuses_a_single_key_string_for_the_key_list(log_key, signed):
    with pytest.raises(TypeError, match="list of verifier keys"):
        note.verify(signed, log_key[1])
