"""tlog-proofs: the C2SP example, round trips, verification by leaf hash or by extra data, and each failure."""

import pytest

from audit import merkle, note
from audit.checkpoint import Checkpoint, CheckpointError, sign_checkpoint
from audit.errors import VerificationError
from audit.merkle import ProofError
from audit.note import NoteError
from audit.tlogproof import TlogProof, TlogProofError, format_tlog_proof, parse_tlog_proof, verify_tlog_proof

ORIGIN = "example.com/log"
BODIES = [b'{"event":"item.registered","serial":"%d"}' % i for i in range(7)]
LEAVES = [merkle.leaf_hash(body) for body in BODIES]

# The example of the C2SP tlog-proof specification; its signatures are elided there, so it only parses.
SPEC_EXAMPLE = """c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

\u2014 example.com/fancylog hI2DJw[...]1roloI=
"""


@pytest.fixture(scope="session")
def log_key():
    return note.generate_key(ORIGIN)


@pytest.fixture(scope="session")
def signed_checkpoint(log_key):
    return sign_checkpoint(Checkpoint(ORIGIN, len(LEAVES), merkle.root(LEAVES)), log_key[0])


def proof_text(signed_checkpoint, index, extra=None):
    hashes = merkle.inclusion_proof(index, LEAVES)
    return format_tlog_proof(TlogProof(index, hashes, signed_checkpoint, extra))


def test_tlog_proof_error_is_a_verification_error():
    assert issubclass(TlogProofError, VerificationError)


def test_specification_example_parses():
    proof = parse_tlog_proof(SPEC_EXAMPLE)
    assert (proof.index, len(proof.hashes)) == (73894, 5)
    assert proof.extra.startswith(b"age-v1.2.1-darwin-arm64.tar.gz")
    assert proof.checkpoint_note.startswith("example.com/fancylog\n109482\n")


def test_format_writes_header_extra_index_hashes_blank_line_then_checkpoint(signed_checkpoint):
    text = proof_text(signed_checkpoint, 6, extra=b"body")
    lines = text.split("\n")
    assert lines[:3] == ["c2sp.org/tlog-proof@v1", "extra Ym9keQ==", "index 6"]
    assert text.endswith("\n\n" + signed_checkpoint)


@pytest.mark.parametrize("extra", [None, b"", BODIES[3]], ids=["no-extra", "empty-extra", "body-extra"])
def test_format_then_parse_round_trips(signed_checkpoint, extra):
    proof = TlogProof(3, merkle.inclusion_proof(3, LEAVES), signed_checkpoint, extra)
    assert parse_tlog_proof(format_tlog_proof(proof)) == proof


@pytest.mark.parametrize("index", range(len(LEAVES)), ids=lambda index: f"index{index}")
def test_proof_verifies_with_the_leaf_hash(log_key, signed_checkpoint, index):
    checkpoint = verify_tlog_proof(proof_text(signed_checkpoint, index), LEAVES[index], [log_key[1]], origin=ORIGIN)
    assert checkpoint.size == len(LEAVES)


def test_proof_verifies_from_the_body_in_extra(log_key, signed_checkpoint):
    text = proof_text(signed_checkpoint, 4, extra=BODIES[4])
    assert verify_tlog_proof(text, None, [log_key[1]]).root == merkle.root(LEAVES)


# Verification, one test per way it fails.


def test_verify_rejects_another_leaf(log_key, signed_checkpoint):
    with pytest.raises(ProofError, match="expected root"):
        verify_tlog_proof(proof_text(signed_checkpoint, 4), LEAVES[5], [log_key[1]])


def test_verify_rejects_altered_extra(log_key, signed_checkpoint):
    with pytest.raises(ProofError, match="expected root"):
        verify_tlog_proof(proof_text(signed_checkpoint, 4, extra=BODIES[5]), None, [log_key[1]])


def test_verify_rejects_altered_index(log_key, signed_checkpoint):
    text = proof_text(signed_checkpoint, 4).replace("index 4\n", "index 5\n")
    with pytest.raises(ProofError):
        verify_tlog_proof(text, LEAVES[4], [log_key[1]])


def test_verify_needs_a_leaf_hash_or_extra(log_key, signed_checkpoint):
    with pytest.raises(TlogProofError, match="no extra data"):
        verify_tlog_proof(proof_text(signed_checkpoint, 4), None, [log_key[1]])


def test_verify_rejects_unknown_log_key(signed_checkpoint):
    _, stranger = note.generate_key(ORIGIN)
    with pytest.raises(NoteError, match="not signed by any known key"):
        verify_tlog_proof(proof_text(signed_checkpoint, 4), LEAVES[4], [stranger])


def test_verify_rejects_altered_checkpoint(log_key, signed_checkpoint):
    text = proof_text(signed_checkpoint, 4).replace(f"\n{len(LEAVES)}\n", f"\n{len(LEAVES) + 1}\n")
    with pytest.raises(NoteError, match="does not verify"):
        verify_tlog_proof(text, LEAVES[4], [log_key[1]])


def test_verify_rejects_another_origin(log_key, signed_checkpoint):
    with pytest.raises(CheckpointError, match="expected 'example.com/other'"):
        verify_tlog_proof(proof_text(signed_checkpoint, 4), LEAVES[4], [log_key[1]], origin="example.com/other")


HASH = "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ="
CHECKPOINT = "\nexample.com/log\n1\n" + HASH + "\n\n\u2014 example.com/log AAAAAAA=\n"


@pytest.mark.parametrize(
    "text, message",
    [
        ("c2sp.org/tlog-proof@v2\nindex 0\n" + CHECKPOINT, "does not start with"),
        ("c2sp.org/tlog-proof@v1\n" + HASH + "\n" + CHECKPOINT, "expected the 'index' line"),
        ("c2sp.org/tlog-proof@v1\nextra AA==\n" + CHECKPOINT, "no index line"),
        ("c2sp.org/tlog-proof@v1\nindex 07\n" + CHECKPOINT, "leading zeroes"),
        ("c2sp.org/tlog-proof@v1\nindex -1\n" + CHECKPOINT, "decimal"),
        ("c2sp.org/tlog-proof@v1\nindex 0\n" + HASH[:-2] + "\n" + CHECKPOINT, "proof hash 0"),
        ("c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n" + CHECKPOINT, "not 32 bytes"),
        ("c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n" + CHECKPOINT, "extra data"),
        ("c2sp.org/tlog-proof@v1\nindex 0\n" + (HASH + "\n") * 65 + CHECKPOINT, "more than 64 hashes"),
        ("c2sp.org/tlog-proof@v1\nindex 0\n" + HASH + "\n", "no empty line"),
    ],
    ids=[
        "wrong-header",
        "missing-index",
        "extra-without-index",
        "leading-zero-index",
        "negative-index",
        "bad-base64-hash",
        "short-hash",
        "bad-base64-extra",
        "too-many-hashes",
        "no-checkpoint",
    ],
)
def test_parse_rejects_malformed_proof(text, message):
    with pytest.raises(TlogProofError, match=message):
        parse_tlog_proof(text)
