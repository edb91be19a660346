"""flask ledger proof / checkpoint / export / init, checked with the standalone auditor's tool."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from registry.extensions import db
from registry.instance import initialise
from registry.ledger.runtime import ledger, log_key
from tests.registry.helpers import append_single_events

ROOT = Path(__file__).resolve().parents[2]


def audit_cli(*args):
    return subprocess.run([sys.executable, "-m", "audit", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_proof_receipt_verifies_offline(ctx, runner, clock, tmp_path):
    append_single_events(9, clock)
    receipt = tmp_path / "entry.tlog-proof"
    result = runner.invoke(args=["ledger", "proof", "4"])
    assert result.exit_code == 0, result.output
    receipt.write_text(result.output)
    checked = audit_cli("verify-proof", str(receipt), "--vkey", log_key().vkey)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "OK: entry 4 (item.noted" in checked.stdout and "at size 10" in checked.stdout


def test_a_receipt_with_a_changed_body_is_invalid(ctx, runner, clock, tmp_path):
    append_single_events(5, clock)
    text_ = runner.invoke(args=["ledger", "proof", "2", "--size", "4"]).output
    lines = text_.split("\n")
    extra = [i for i, line in enumerate(lines) if line.startswith("extra ")][0]
    import base64

    body = base64.b64decode(lines[extra][6:]).replace(b"event 1", b"event 9")
    lines[extra] = "extra " + base64.b64encode(body).decode()
    receipt = tmp_path / "changed.tlog-proof"
    receipt.write_text("\n".join(lines))
    checked = audit_cli("verify-proof", str(receipt), "--vkey", log_key().vkey)
    assert checked.returncode == 1 and "INVALID" in checked.stdout


def test_proof_of_an_entry_beyond_the_checkpoint_is_refused(ctx, runner, clock):
    append_single_events(3, clock)
    result = runner.invoke(args=["ledger", "proof", "3", "--size", "2"])
    assert result.exit_code != 0 and "not in the checkpoint of size 2" in result.output


def test_checkpoint_command_prints_the_latest_note(ctx, runner, clock):
    append_single_events(2, clock)
    output = runner.invoke(args=["ledger", "checkpoint"]).output
    assert output.startswith(log_key().origin + "\n3\n")


def test_export_verifies_with_the_standalone_verifier(ctx, runner, clock, tmp_path):
    append_single_events(6, clock)
    result = runner.invoke(args=["ledger", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    checked = audit_cli("verify", str(tmp_path / "out"), "--vkey", log_key().vkey)
    assert checked.returncode == 0 and checked.stdout.startswith("OK: 7 entries, 7 checkpoints")


def test_export_verified_with_a_foreign_key_fails(ctx, runner, clock, tmp_path):
    from audit import note

    runner.invoke(args=["ledger", "export", str(tmp_path / "out")])
    _, other = note.generate_key(log_key().origin)
    checked = audit_cli("verify", str(tmp_path / "out"), "--vkey", other)
    assert checked.returncode == 1 and "[signature]" in checked.stdout


def test_audit_verify_on_a_folder_that_is_no_export_exits_2(tmp_path):
    checked = audit_cli("verify", str(tmp_path))
    assert checked.returncode == 2 and "not a ledger export" in checked.stderr


def test_init_writes_keys_0600_and_is_idempotent(ctx, clock):
    key_file = Path(ctx.config["LEDGER_KEY_FILE"])
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(ctx.config["SECRET_KEY_FILE"]).st_mode) == 0o600
    before = (key_file.read_bytes(), ledger().size())
    report = initialise(ctx, demo=False, now=clock)
    assert report.created == []
    assert (key_file.read_bytes(), ledger().size()) == before


def test_init_refuses_a_new_key_for_a_ledger_with_entries(ctx, clock):
    Path(ctx.config["LEDGER_KEY_FILE"]).unlink()
    ctx.extensions.pop("ledger_key", None)
    import click
    import pytest

    with pytest.raises(click.ClickException, match="restore the key"):
        initialise(ctx, demo=False, now=clock)
    assert not Path(ctx.config["LEDGER_KEY_FILE"]).exists()


def test_demo_data_loads_once_and_verifies(ctx, runner, clock):
    initialise(ctx, demo=True, now=clock)
    size = ledger().size()
    assert size > 5
    initialise(ctx, demo=True, now=clock)
    assert ledger().size() == size
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0


def test_sqlite_instance_runs_in_wal_mode(tmp_path, clock):
    from registry import create_app

    app = create_app(
        {
            "TESTING": True,
            "REGISTRY_INSTANCE": str(tmp_path / "wal"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'wal.sqlite3'}",
        }
    )
    with app.app_context():
        initialise(app, demo=False, now=clock)
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA synchronous")).scalar() == 2, "FULL: a commit is durable"
        db.session.remove()
        db.engine.dispose()


def test_verifying_an_export_without_a_trusted_key_says_it_proves_only_self_consistency(ctx, runner, tmp_path):
    runner.invoke(args=["ledger", "export", str(tmp_path / "out")])
    checked = audit_cli("verify", str(tmp_path / "out"))
    assert checked.returncode == 0 and "WARNING: no --vkey given" in checked.stdout


def test_two_inits_started_together_write_one_genesis_entry(tmp_path):
    import os

    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "REGISTRY_INSTANCE": str(tmp_path / "fresh"),
        "FLASK_APP": "wsgi",
    }
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "init", "--demo"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    verify = subprocess.run(
        [sys.executable, "-m", "flask", "ledger", "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    from registry import demo

    reference = {
        **env,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'one.sqlite3'}",
        "REGISTRY_INSTANCE": str(tmp_path / "one"),
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "init", "--demo"],
        cwd=ROOT,
        env=reference,
        check=True,
        capture_output=True,
        timeout=120,
    )
    single = subprocess.run(
        [sys.executable, "-m", "flask", "ledger", "verify"],
        cwd=ROOT,
        env=reference,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.split(" entries")[0]
    assert verify.returncode == 0 and verify.stdout.startswith(single + " entries"), verify.stdout + verify.stderr
    logins = tmp_path / "fresh" / demo.DEMO_LOGINS_FILE
    assert logins.stat().st_mode & 0o777 == 0o600 and len(logins.read_text().splitlines()) == len(demo.DEMO_ROLES)
