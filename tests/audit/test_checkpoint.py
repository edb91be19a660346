"""Checkpoints: the C2SP example body, round trips, signing, and each way reading or opening one fails."""

import pytest

from audit import note
from audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    format_checkpoint,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from audit.errors import VerificationError
from audit.note import NoteError

ORIGIN = "example.com/log"
ROOT = bytes(range(32))
ROOT_B64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
# The note text of the C2SP tlog-checkpoint specification's example.
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


@pytest.fixture(scope="session")
def log_key():
    return note.generate_key(ORIGIN)


def test_checkpoint_error_is_a_verification_error():
    assert issubclass(CheckpointError, VerificationError)


def test_specification_example_parses():
    checkpoint = parse_checkpoint(SPEC_BODY)
    assert (checkpoint.origin, checkpoint.size, checkpoint.extensions) == ("example.com/behind-the-sofa", 20852163, ())
    assert checkpoint.root.hex().startswith("0ac5186a")


def test_format_writes_origin_size_and_base64_root():
    assert format_checkpoint(Checkpoint(ORIGIN, 5, ROOT)) == f"{ORIGIN}\n5\n{ROOT_B64}\n"


@pytest.mark.parametrize(
    "checkpoint",
    [
        Checkpoint(ORIGIN, 0, ROOT),
        Checkpoint(ORIGIN, 2**64 - 1, ROOT),
        Checkpoint("log with spaces+plus", 12, ROOT, ("ext one", "ext two")),
    ],
    ids=["empty-tree", "largest-size", "extensions"],
)
def test_format_then_parse_round_trips(checkpoint):
    assert parse_checkpoint(format_checkpoint(checkpoint)) == checkpoint


@pytest.mark.parametrize(
    "text, message",
    [
        (f"{ORIGIN}\n5\n{ROOT_B64}", "newline"),
        (f"{ORIGIN}\n5\n", "fewer than three lines"),
        (f"\n5\n{ROOT_B64}\n", "origin is empty"),
        (f"{ORIGIN}\r\n5\n{ROOT_B64}\n", "control character"),
        (f"{ORIGIN}\n05\n{ROOT_B64}\n", "leading zeroes"),
        (f"{ORIGIN}\n-1\n{ROOT_B64}\n", "decimal"),
        (f"{ORIGIN}\n+1\n{ROOT_B64}\n", "decimal"),
        (f"{ORIGIN}\n 5\n{ROOT_B64}\n", "decimal"),
        (f"{ORIGIN}\n\u0665\n{ROOT_B64}\n", "decimal"),
        (f"{ORIGIN}\n{2**64}\n{ROOT_B64}\n", "uint64"),
        (f"{ORIGIN}\n5\n{ROOT.hex()}\n", "root"),
        (f"{ORIGIN}\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n", "root"),
        (f"{ORIGIN}\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n", "31 bytes"),
        (f"{ORIGIN}\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n", "canonical"),
        (f"{ORIGIN}\n5\n{ROOT_B64}\n\n", "extension line is empty"),
    ],
    ids=[
        "no-final-newline",
        "two-lines",
        "empty-origin",
        "control-character",
        "leading-zero",
        "negative",
        "plus-sign",
        "space",
        "arabic-digit",
        "beyond-uint64",
        "hex-root",
        "unpadded-root",
        "short-root",
        "non-canonical-base64",
        "empty-extension",
    ],
)
def test_parse_rejects_malformed_checkpoint(text, message):
    with pytest.raises(CheckpointError, match=message):
        parse_checkpoint(text)


@pytest.mark.parametrize(
    "checkpoint",
    [
        Checkpoint("", 1, ROOT),
        Checkpoint("a\nb", 1, ROOT),
        Checkpoint(ORIGIN, -1, ROOT),
        Checkpoint(ORIGIN, 1, ROOT[:31]),
        Checkpoint(ORIGIN, 1, ROOT, ("",)),
    ],
    ids=["empty-origin", "newline-in-origin", "negative-size", "short-root", "empty-extension"],
)
def test_format_rejects_checkpoint_it_could_not_read_back(checkpoint):
    with pytest.raises(ValueError, match="checkpoint"):
        format_checkpoint(checkpoint)


def test_signed_checkpoint_opens_to_the_same_checkpoint(log_key):
    checkpoint = Checkpoint(ORIGIN, 42, ROOT)
    assert open_checkpoint(sign_checkpoint(checkpoint, log_key[0]), [log_key[1]], origin=ORIGIN) == checkpoint


def test_open_rejects_another_origin(log_key):
    signed = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), log_key[0])
    with pytest.raises(CheckpointError, match="expected 'example.com/other'"):
        open_checkpoint(signed, [log_key[1]], origin="example.com/other")


def test_open_rejects_unknown_signer(log_key):
    _, other_vkey = note.generate_key(ORIGIN)
    with pytest.raises(NoteError, match="not signed by any known key"):
        open_checkpoint(sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), log_key[0]), [other_vkey])


def test_open_rejects_altered_size(log_key):
    signed = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), log_key[0])
    with pytest.raises(NoteError, match="does not verify"):
        open_checkpoint(signed.replace("\n42\n", "\n43\n"), [log_key[1]])


def test_open_rejects_signed_text_that_is_not_a_checkpoint(log_key):
    with pytest.raises(CheckpointError, match="fewer than three lines"):
        open_checkpoint(note.sign("just a message\n", log_key[0]), [log_key[1]])
