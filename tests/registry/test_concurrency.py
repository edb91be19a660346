"""Many processes append at once; a process killed mid-append leaves whole batches only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.ledger.models import LedgerEntry
from registry.ledger.runtime import ledger

WORKER = Path(__file__).with_name("append_worker.py")


def worker_env(app) -> dict:
    return {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REGISTRY_INSTANCE": app.instance_path}


def verify(app):
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_four_processes_appending_250_events_each_never_fork_the_chain(ctx):
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(n), "250", "1"],
            env=worker_env(ctx),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err
    indexes = list(db.session.scalars(select(LedgerEntry.entry_index).order_by(LedgerEntry.entry_index)))
    assert indexes == list(range(1001)), "genesis plus 1000 entries, numbered without gaps"
    per_worker = {}
    for entry in ledger().entries(1, 1001):
        per_worker.setdefault(entry.event["payload"]["worker"], []).append(int(entry.event["payload"]["n"]))
    assert {w: sorted(ns) for w, ns in per_worker.items()} == {str(n): list(range(250)) for n in range(4)}
    assert "OK: 1001 entries, 1001 checkpoints" in verify(ctx)


@pytest.mark.slow
def test_a_process_killed_mid_append_leaves_whole_batches_that_verify(ctx):
    batch = 40
    with subprocess.Popen(
        [sys.executable, str(WORKER), "k", "1000000", str(batch)],
        env=worker_env(ctx),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as worker:
        assert worker.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 120
        while ledger().size() < 1 + 5 * batch and time.monotonic() < deadline:
            db.session.rollback()
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    db.session.rollback()
    size = ledger().size()
    assert size > 5 * batch
    assert (size - 1) % batch == 0, f"{size - 1} entries is not a whole number of batches of {batch}"
    assert f"OK: {size} entries" in verify(ctx)
