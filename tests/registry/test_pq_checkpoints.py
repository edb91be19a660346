"""Post-quantum checkpoints: every checkpoint signed with Ed25519 and ML-DSA-44 (signed-note type
0x06, C2SP subtree/v1), both verifier keys published, both checked when both are given, and the key
added to a ledger made before it as a recorded ledger event."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import threading
import time
from concurrent.futures import CancelledError, ThreadPoolExecutor
from pathlib import Path

import pytest

from audit.checkpoint import Checkpoint, open_checkpoint
from audit.cosignature import ML_DSA_44, Cosigner
from audit.note import NoteError
from registry.extensions import db
from registry.ledger.runtime import log_key, reader, verifier_keys
from tests.registry.helpers import append_single_events
from tests.registry.test_cli import audit_cli


def _strip_pq(note: str, pq_vkey: str) -> str:
    """The note without its ML-DSA-44 line (the long one: 2,432 bytes of key id, time and signature)."""
    name = pq_vkey.split("+")[0]
    lines = note.rstrip("\n").split("\n")
    return "".join(line + "\n" for line in lines if not (line.startswith(f"— {name} ") and len(line) > 1000))


def test_a_new_ledger_signs_every_checkpoint_with_both_keys(ctx, clock):
    key = log_key()
    folder = Path(ctx.config["LEDGER_KEY_FILE"]).parent
    assert stat.S_IMODE(os.stat(folder / "ledger-pq.key").st_mode) == 0o600
    assert (folder / "ledger-pq.vkey").read_text().strip() == key.pq_vkey
    assert verifier_keys() == [key.vkey, key.pq_vkey]
    genesis = json.loads(reader().entry(0).body)
    assert genesis["payload"]["pq_vkey"] == key.pq_vkey
    append_single_events(3, clock)
    signed = reader().latest_checkpoint()
    assert signed.note.count("\n— ") == 2
    assert open_checkpoint(signed.note, [key.vkey, key.pq_vkey], all_keys=True).size == signed.tree_size
    # The ML-DSA-44 signature alone verifies too, and only with its own key.
    assert open_checkpoint(signed.note, [key.pq_vkey]).size == signed.tree_size
    with pytest.raises(NoteError, match="not signed by the ML-DSA-44 key"):
        open_checkpoint(_strip_pq(signed.note, key.pq_vkey), [key.vkey, key.pq_vkey], all_keys=True)


@pytest.mark.parametrize("hand_over", [False, True])
def test_a_checkpoint_signed_on_the_pool_is_the_note_sign_makes(ctx, clock, hand_over):
    """Both ways an append has its checkpoint signed on the signer's threads give a note of the same
    form as `LogKey.sign`: the same Ed25519 line (deterministic), and an ML-DSA-44 line that verifies
    with its own key and with no other."""
    key = log_key()
    checkpoint = Checkpoint(key.origin, 7, bytes(range(32)))
    with ThreadPoolExecutor(max_workers=1) as pool:
        note = key.sign_soon(checkpoint, clock.now(), pool, hand_over=hand_over)()
    reference = key.sign(checkpoint, clock.now())
    assert note.split("\n— ")[:2] == reference.split("\n— ")[:2]
    assert note.count("\n— ") == 2
    assert open_checkpoint(note, key.vkeys, all_keys=True) == checkpoint
    assert open_checkpoint(note, [key.pq_vkey]) == checkpoint
    other = Cosigner.generate(key.origin, ML_DSA_44).key.vkey
    with pytest.raises(NoteError):
        open_checkpoint(note, [other])


def test_a_log_without_the_ml_dsa_key_signs_at_once_as_sign_does(ctx, clock):
    """A log made before ML-DSA-44 keys signs with Ed25519 alone, in the caller: no task is queued."""

    class NoThreads:
        def submit(self, *args, **kwargs):
            raise AssertionError("a task was queued")

    key = dataclasses.replace(log_key(), pq=None)
    checkpoint = Checkpoint(key.origin, 7, bytes(range(32)))
    note = key.sign_soon(checkpoint, clock.now(), NoThreads(), hand_over=False)()
    assert note == key.sign(checkpoint, clock.now()) and note.count("\n— ") == 1
    assert open_checkpoint(note, [key.vkey]) == checkpoint


def test_a_signature_cancelled_before_its_thread_took_it_does_not_hang_the_append(ctx, clock):
    """With `hand_over` the append waits until the pool's thread has taken the signature; a task the
    pool cancels instead (shut down while it queued) ends that wait with the cancellation."""
    key = log_key()
    pool, busy = ThreadPoolExecutor(max_workers=1), threading.Event()
    pool.submit(busy.wait)  # the only thread is taken: the signature queues behind it
    outcome: list = []

    def append_side() -> None:
        pending = key.sign_soon(Checkpoint(key.origin, 1, bytes(32)), clock.now(), pool, hand_over=True)
        try:
            outcome.append(pending())
        except CancelledError as error:
            outcome.append(error)

    waiting = threading.Thread(target=append_side)
    waiting.start()
    time.sleep(0.1)
    pool.shutdown(wait=False, cancel_futures=True)
    busy.set()
    waiting.join(timeout=10)
    assert not waiting.is_alive() and len(outcome) == 1 and isinstance(outcome[0], CancelledError)


def test_the_verifiers_check_both_keys_when_both_are_given(ctx, runner, clock, tmp_path):
    append_single_events(4, clock)
    key = log_key()
    receipt = runner.invoke(args=["ledger", "proof", "2"]).output
    (tmp_path / "good.tlog-proof").write_text(receipt)
    both = ["--vkey", key.vkey, "--vkey", key.pq_vkey]
    assert audit_cli("verify-proof", str(tmp_path / "good.tlog-proof"), *both).returncode == 0
    head, _, note = receipt.partition("\n\n")
    (tmp_path / "stripped.tlog-proof").write_text(head + "\n\n" + _strip_pq(note, key.pq_vkey))
    stripped = audit_cli("verify-proof", str(tmp_path / "stripped.tlog-proof"), *both)
    assert stripped.returncode == 1 and "not signed by the ML-DSA-44 key" in stripped.stdout
    # With the Ed25519 key alone (a verifier of today), the stripped receipt is still the log's word.
    assert audit_cli("verify-proof", str(tmp_path / "stripped.tlog-proof"), "--vkey", key.vkey).returncode == 0

    exported = runner.invoke(args=["ledger", "export", str(tmp_path / "out")])
    assert f"--vkey '{key.pq_vkey}'" in exported.output
    assert audit_cli("verify", str(tmp_path / "out"), *both).returncode == 0
    notes = (tmp_path / "out" / "checkpoints.jsonl").read_text().splitlines()
    notes[-1] = json.dumps(_strip_pq(json.loads(notes[-1]), key.pq_vkey))
    (tmp_path / "out" / "checkpoints.jsonl").write_text("\n".join(notes) + "\n")
    dropped = audit_cli("verify", str(tmp_path / "out"), *both)
    assert dropped.returncode == 1 and "lacks the signature of" in dropped.stdout and "[signature]" in dropped.stdout
    # A forger holding only the Ed25519 key rewrites every checkpoint without ML-DSA-44: the verifier
    # given both keys refuses, since the largest checkpoint must carry every key it was given.
    notes = [json.dumps(_strip_pq(json.loads(line), key.pq_vkey)) for line in notes]
    (tmp_path / "out" / "checkpoints.jsonl").write_text("\n".join(notes) + "\n")
    forged = audit_cli("verify", str(tmp_path / "out"), *both)
    assert forged.returncode == 1 and "lacks the signature of" in forged.stdout


def test_an_older_ledger_adds_the_key_as_a_recorded_event(ctx, runner, clock, tmp_path):
    """A ledger made before ML-DSA-44: its checkpoints carry Ed25519 only until `add-pq-key`, then both;
    the export verifies with both keys, and a later checkpoint without ML-DSA-44 does not."""
    folder = Path(ctx.config["LEDGER_KEY_FILE"]).parent
    (folder / "ledger-pq.key").unlink()
    (folder / "ledger-pq.vkey").unlink()
    ctx.extensions.pop("ledger_key", None)
    append_single_events(3, clock)
    assert reader().latest_checkpoint().note.count("\n— ") == 1
    stale = log_key()  # what a web process read before the key was added
    added = runner.invoke(args=["ledger", "add-pq-key"])
    assert added.exit_code == 0, added.output
    db.session.remove()
    ctx.extensions["ledger_key"] = stale  # the next append reads the new key all the same
    key = log_key()
    assert key.pq is not None and key.pq_vkey in added.output
    entry = json.loads(reader().entry(reader().size() - 1).body)
    assert entry["type"] == "ledger.key_added" and entry["payload"] == {"algorithm": "ML-DSA-44", "vkey": key.pq_vkey}
    assert reader().latest_checkpoint().note.count("\n— ") == 2
    again = runner.invoke(args=["ledger", "add-pq-key"])
    assert again.exit_code == 1 and "already has an ML-DSA-44 key" in again.output
    append_single_events(2, clock)
    runner.invoke(args=["ledger", "export", str(tmp_path / "out")])
    both = ["--vkey", key.vkey, "--vkey", key.pq_vkey]
    checked = audit_cli("verify", str(tmp_path / "out"), *both)
    assert checked.returncode == 0, checked.stdout
    verdict = runner.invoke(args=["ledger", "verify"])
    assert verdict.exit_code == 0, verdict.output
