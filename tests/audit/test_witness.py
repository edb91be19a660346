"""The witness of `audit/` (C2SP tlog-witness), the cosignature formats and the policy language:
what a witness answers to each kind of request, that racing requests cannot roll it back, and how a
policy's quorum is met."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit import merkle
from audit.checkpoint import Checkpoint, sign_checkpoint
from audit.cosignature import ED25519_COSIGNATURE, ML_DSA_44, CosignatureError, Cosigner, parse_cosigner_vkey
from audit.note import decode_base64, encode_base64, generate_key
from audit.policy import PolicyError, QuorumError, check_quorum, parse_policy
from audit.witness import Witness, add_log, init, serve

ORIGIN = "log.example/test"


class Log:
    """A log of `size` leaves and its signed checkpoints, to feed a witness."""

    def __init__(self):
        self.skey, self.vkey = generate_key(ORIGIN)
        self.leaves = [merkle.leaf_hash(f"entry {n}".encode()) for n in range(64)]

    def checkpoint(self, size: int, skey: str | None = None) -> str:
        return sign_checkpoint(Checkpoint(ORIGIN, size, merkle.root(self.leaves[:size])), skey or self.skey)

    def request(self, old: int, size: int, proof: list[bytes] | None = None, note: str | None = None) -> bytes:
        if proof is None:
            proof = merkle.consistency_proof(old, self.leaves[:size]) if 0 < old < size else []
        lines = "".join(encode_base64(node) + "\n" for node in proof)
        return f"old {old}\n{lines}\n{note or self.checkpoint(size)}".encode()


@pytest.fixture
def log():
    return Log()


@pytest.fixture
def witness(tmp_path, log):
    state = tmp_path / "state"
    init(state, "witness.example/w1")
    add_log(state, log.vkey)
    return Witness(state)


def test_a_witness_cosigns_only_what_extends_what_it_cosigned(witness, log):
    first = witness.add_checkpoint(log.request(0, 3))
    assert first.status == 200 and first.body.startswith("— witness.example/w1 ")
    grown = witness.add_checkpoint(log.request(3, 10))
    assert grown.status == 200
    stale = witness.add_checkpoint(log.request(3, 12))
    assert (stale.status, stale.body, stale.content_type) == (409, "10\n", "text/x.tlog.size")
    forged = witness.add_checkpoint(log.request(10, 12, proof=[b"\x00" * 32] * 3))
    assert forged.status == 422 and "does not verify" in forged.body
    other_history = Checkpoint(ORIGIN, 10, merkle.root([merkle.leaf_hash(b"another")] * 10))
    split = witness.add_checkpoint(f"old 10\n\n{sign_checkpoint(other_history, log.skey)}".encode())
    assert split.status == 422 and "another root" in split.body
    impostor, _ = generate_key(ORIGIN)
    assert witness.add_checkpoint(log.request(10, 12, note=log.checkpoint(12, impostor))).status == 403
    unknown_skey, _ = generate_key("other.example/log")
    unknown = sign_checkpoint(Checkpoint("other.example/log", 1, b"\x01" * 32), unknown_skey)
    assert witness.add_checkpoint(f"old 0\n\n{unknown}".encode()).status == 404
    assert witness.add_checkpoint(b"garbage").status == 400
    assert witness.add_checkpoint(log.request(20, 12, proof=[])).status == 400
    assert witness.add_checkpoint(log.request(0, 12, proof=[b"\x00" * 32])).status == 409  # it holds 10


def test_the_cosignature_verifies_and_its_time_never_goes_back(witness, log, monkeypatch):
    import audit.witness as module

    line = witness.add_checkpoint(log.request(0, 5)).body
    key = parse_cosigner_vkey(witness.vkey)
    payload = decode_base64(line.split(" ")[2].strip())
    body = log.checkpoint(5)[: log.checkpoint(5).index("\n\n") + 1]
    first = key.verify(body, payload[4:])
    monkeypatch.setattr(module.time, "time", lambda: first - 3600.0)  # the clock set back an hour
    later = witness.add_checkpoint(log.request(5, 6)).body
    assert int.from_bytes(decode_base64(later.split(" ")[2].strip())[4:12], "big") >= first


def test_racing_requests_cannot_roll_the_witness_back(witness, log):
    """Two requests from the same old size: one is cosigned, the other learns the new size (409)."""
    witness.add_checkpoint(log.request(0, 4))
    barrier = threading.Barrier(8)

    def send(size: int):
        barrier.wait()
        return witness.add_checkpoint(log.request(4, size)).status

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(send, range(10, 18)))
    assert sorted(statuses) == [200] + [409] * 7
    held = int(witness.add_checkpoint(log.request(0, 20)).body)
    assert 10 <= held < 18


def test_a_witness_keeps_only_the_signatures_it_checked(witness, log):
    """Lines a requester adds (another witness's, a forged one) are neither stored nor served."""
    import hashlib

    junk = "— witness.example/other " + encode_base64(b"\x01\x02\x03\x04" + b"\x00" * 72) + "\n"
    assert witness.add_checkpoint(log.request(0, 3, note=log.checkpoint(3) + junk)).status == 200
    stored = witness.latest(hashlib.sha256(ORIGIN.encode()).hexdigest())
    assert "witness.example/other" not in stored
    assert stored.count("\n— ") == 2  # the log's signature and the witness's own


def test_the_state_survives_a_restart_and_is_served_for_monitors(tmp_path, witness, log):
    import hashlib

    witness.add_checkpoint(log.request(0, 7))
    again = Witness(witness.state)
    assert again.add_checkpoint(log.request(0, 9)).body == "7\n"
    server = serve(witness.state, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with urllib.request.urlopen(f"{base}/{hashlib.sha256(ORIGIN.encode()).hexdigest()}/checkpoint") as answer:
            stored = answer.read().decode()
        assert stored.startswith(f"{ORIGIN}\n7\n") and "— witness.example/w1 " in stored
        request = urllib.request.Request(f"{base}/add-checkpoint", data=log.request(7, 9), method="POST")
        with urllib.request.urlopen(request) as answer:
            assert answer.status == 200
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base}/{'0' * 64}/checkpoint")
        missing.value.close()
        assert missing.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("kind", [ED25519_COSIGNATURE, ML_DSA_44])
def test_both_cosignature_kinds_verify_and_a_changed_byte_does_not(kind, log):
    cosigner = Cosigner.generate("witness.example/pq", kind)
    note = log.checkpoint(5)
    body = note[: note.index("\n\n") + 1]
    line = cosigner.cosign(body, 1_700_000_000)
    key = parse_cosigner_vkey(cosigner.key.vkey)
    payload = decode_base64(line.split(" ")[2].strip())
    assert payload[:4] == key.key_id and key.verify(body, payload[4:]) == 1_700_000_000
    assert Cosigner.from_skey(cosigner.skey).key == cosigner.key
    with pytest.raises(CosignatureError):
        key.verify(body.replace("\n5\n", "\n6\n"), payload[4:])
    changed = bytearray(payload[4:])
    changed[3] ^= 1  # the timestamp is signed too
    with pytest.raises(CosignatureError):
        key.verify(body, bytes(changed))


SPEC_EXAMPLE = """
log {log}

witness X1 {x1}
witness X2 {x2}
witness X3 {x3}
group X-witnesses 2 X1 X2 X3

witness Y1 {y1}
witness Y2 {y2}
witness Y3 {y3}
group Y-witnesses any Y1 Y2 Y3

group X-and-Y all X-witnesses Y-witnesses
quorum X-and-Y
"""


@pytest.fixture
def cosigners_by_name():
    return {name: Cosigner.generate(f"witness.example/{name.lower()}") for name in ("X1", "X2", "X3", "Y1", "Y2", "Y3")}


@given(st.sets(st.sampled_from(["X1", "X2", "X3", "Y1", "Y2", "Y3"])))
def test_the_quorum_of_the_spec_example(cosigned):
    keys = {
        name: Cosigner.generate(f"w.example/{name.lower()}").key.vkey for name in ["X1", "X2", "X3", "Y1", "Y2", "Y3"]
    }
    policy = parse_policy(SPEC_EXAMPLE.format(log=generate_key(ORIGIN)[1], **{k.lower(): v for k, v in keys.items()}))
    xs, ys = len(cosigned & {"X1", "X2", "X3"}), len(cosigned & {"Y1", "Y2", "Y3"})
    assert policy.met(cosigned) == (xs >= 2 and ys >= 1)
    assert bool(policy.wanting(cosigned)) != policy.met(cosigned)


def test_check_quorum_names_the_missing_witnesses(log, cosigners_by_name):
    x1, x2, y1 = cosigners_by_name["X1"], cosigners_by_name["X2"], cosigners_by_name["Y1"]
    text = (
        f"witness X1 {x1.key.vkey}\nwitness X2 {x2.key.vkey}\nwitness Y1 {y1.key.vkey}\ngroup g 2 X1 X2 Y1\nquorum g\n"
    )
    policy = parse_policy(text)
    note = log.checkpoint(5)
    body = note[: note.index("\n\n") + 1]
    with pytest.raises(QuorumError, match=r"1 cosigned \(X1\), missing X2, Y1"):
        check_quorum(note + x1.cosign(body, 1_700_000_000), policy, [log.vkey])
    both = note + x1.cosign(body, 1_700_000_000) + y1.cosign(body, 1_700_000_001)
    assert check_quorum(both, policy, [log.vkey]).size == 5
    forged = note + x1.cosign(body, 1_700_000_000)[:-6] + "AAAA=\n"
    with pytest.raises(Exception, match="X1"):
        check_quorum(forged + y1.cosign(body, 1), policy, [log.vkey])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("quorum none\nquorum none\n", "exactly one quorum"),
        ("witness A {a}\n", "exactly one quorum"),
        ("group g any A\nquorum g\n", "not defined on an earlier line"),
        ("witness A {a}\ngroup g 2 A\nquorum g\n", "a number from 1 to 1"),
        ("witness A {a}\ngroup g ² A\nquorum g\n", "a number from 1 to 1"),  # int() refuses "²"
        ("witness A {a}\ngroup g ١ A\nquorum g\n", "a number from 1 to 1"),  # int() reads "١" as 1
        ("witness A {a}\ngroup g all A A\nquorum g\n", "more than once"),
        ("witness A {a}\nwitness B {a}\nquorum A\n", "same public key"),
        ("log notakey\nquorum none\n", "not a log verifier key"),
        ("witness none {a}\nquorum none\n", "taken"),
        ("witness A {a}\nquorum B\n", "not defined"),
        ("witness A notakey\nquorum none\n", "line 1"),
        ("frobnicate\nquorum none\n", "line 1: not a log, witness, group or quorum line"),
    ],
)
def test_a_policy_that_breaks_the_format_is_refused_with_its_line(text, problem):
    vkey = Cosigner.generate("w.example/a").key.vkey
    with pytest.raises(PolicyError, match=problem):
        parse_policy(text.format(a=vkey))


def test_comments_blanks_and_urls_are_read():
    vkey = Cosigner.generate("w.example/a").key.vkey
    policy = parse_policy(f"  # witnesses\n\n\twitness A {vkey} https://w.example/a  \nquorum A\n")
    assert policy.witnesses["A"].url == "https://w.example/a" and policy.quorum == "A"
