"""The log and two independent witnesses: ours (`python -m audit witness`, in a process of its own)
and aics-witness from PyPI (Python 3.12, its own venv), over HTTP on loopback.

First only our witness runs: the instance's round gets its cosignature, the other witness is
recorded unreachable and appends go on. A policy of 2 of 3 then fails in all three verifiers
(export, tlog-proof receipt, signed report), naming the missing witnesses. Once aics-witness runs,
the next round gets both cosignatures (ours from a consistency proof), and a policy of 2 of 2
passes in all three."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.ledger.models import LedgerCosignature, WitnessState
from registry.ledger.runtime import reader
from tests.conftest import ENGINES, FIXED_NOW, TEST_ORIGIN, make_account, module_database, module_registry, signed_in

PROJECT = Path(__file__).resolve().parents[2]
AICS = PROJECT / ".venv-aics" / "bin"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen) -> None:
    for _ in range(100):
        if process.poll() is not None:
            raise AssertionError(f"the witness exited: {process.stderr.read() if process.stderr else ''}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError as answered:  # it answers (404 for a path it does not know)
            answered.close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"no witness answered at {url}")


def _audit(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "audit", *args], capture_output=True, text=True, timeout=120, cwd=PROJECT, **kwargs
    )


@pytest.fixture(scope="module", params=ENGINES)
def log_app(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("witnessed")
    with module_database(request.param, folder) as url:
        made = module_registry(url, folder, DEMO_REPORTS=False)
        yield next(made)
        next(made, None)


@pytest.fixture(scope="module")
def log_vkey(log_app) -> str:
    return (Path(log_app.instance_path) / "ledger.vkey").read_text().strip()


@pytest.fixture(scope="module")
def ours(log_vkey, tmp_path_factory):
    """Our witness, as a regulator would run it: init, add the log, serve."""
    state = tmp_path_factory.mktemp("ours") / "state"
    made = _audit("witness", "init", str(state), "--name", "witness.test/ours")
    assert made.returncode == 0, made.stderr
    vkey = made.stdout.strip()
    assert (state / "witness.key").stat().st_mode & 0o777 == 0o600
    assert _audit("witness", "add-log", str(state), "--vkey", log_vkey).returncode == 0
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "audit", "witness", "serve", str(state), "--listen", f"127.0.0.1:{port}"],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_for(url + "/healthz", process)
    yield vkey, url
    process.terminate()
    process.communicate(timeout=10)  # reads and closes its pipes


@pytest.fixture(scope="module")
def aics(log_vkey, tmp_path_factory):
    """aics-witness from PyPI, configured for the log; started later by the test (`start()`)."""
    binary = AICS / "aics-witness"
    assert binary.exists(), "`make aics` installs aics-witness in .venv-aics (Python 3.12)"
    folder = tmp_path_factory.mktemp("aics")
    port = _free_port()
    config = str(folder / "witness.json")
    made = subprocess.run(
        [str(binary), "init", "-c", config, "--name", "witness.test/aics", "--listen", f"127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    vkey = made.stdout.strip().splitlines()[-1]
    added = subprocess.run(
        [str(binary), "add-log", "-c", config, "--origin", TEST_ORIGIN, "--vkey", log_vkey],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    processes = []

    def start() -> None:
        process = subprocess.Popen(
            [str(binary), "serve", "-c", config], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        processes.append(process)
        _wait_for(f"http://127.0.0.1:{port}/healthz", process)

    yield vkey, f"http://127.0.0.1:{port}", start
    for process in processes:
        process.terminate()
        process.communicate(timeout=10)


def _write_policy(path: Path, log_vkey: str, witnesses: list[tuple[str, str, str]], groups: list[str]) -> Path:
    lines = [f"log {log_vkey}"] + [f"witness {name} {vkey} {url}".rstrip() for name, vkey, url in witnesses]
    path.write_text("# who must cosign\n" + "\n".join(lines + groups) + "\n")
    return path


def _round(app) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["ledger", "witness", "--once"])
    return result.exit_code, result.output


def _issue_report(app) -> bytes:
    from registry.reports.runtime import reports

    with app.app_context():
        service = reports()
        report = service.issue(
            "trace_response", {"serial": "BXR-4471"}, actor="test:witness", personal=False, now=FIXED_NOW
        )
        data = service.pdf(report)
        db.session.remove()
    return data


def _three_verifiers(
    app, tmp_path: Path, policy: Path, log_vkey: str, name: str
) -> dict[str, subprocess.CompletedProcess]:
    """Export, a receipt and a fresh report, each checked by the standalone verifier with the policy."""
    folder = tmp_path / f"export-{name}"
    exported = app.test_cli_runner().invoke(args=["ledger", "export", str(folder)])
    assert exported.exit_code == 0, exported.output
    # The genesis entry: its receipt is proved against the largest checkpoint a witness cosigned.
    receipt = app.test_cli_runner().invoke(args=["ledger", "proof", "0"])
    (tmp_path / f"{name}.tlog-proof").write_text(receipt.output)
    (tmp_path / f"{name}.pdf").write_bytes(_issue_report(app))
    trust = str(Path(app.instance_path) / "report-ca.pem")
    keys = ["--vkey", log_vkey, "--policy", str(policy)]
    return {
        "export": _audit("verify", str(folder), *keys),
        "receipt": _audit("verify-proof", str(tmp_path / f"{name}.tlog-proof"), *keys),
        "report": _audit("verify-report", str(tmp_path / f"{name}.pdf"), "--trust", trust, *keys),
    }


def test_the_demo_names_a_witness_of_its_own_that_cosigns_the_log(log_app, log_vkey):
    """`flask init --demo` sets up a witness on this machine and a policy naming it (`make run`
    starts both), unless the instance has a policy already. First in the module: the tests after it
    replace the demo's policy with their own."""
    from audit.policy import parse_policy
    from audit.witness import Witness
    from registry.instance import DEMO_WITNESS, DEMO_WITNESS_URL, demo_data_witness
    from registry.ledger.witnesses import request_body

    instance = Path(log_app.instance_path)
    state = instance / DEMO_WITNESS
    assert (state / "witness.key").stat().st_mode & 0o777 == 0o600
    assert (state / "logs").read_text().split() == [log_vkey]
    policy_file = instance / "witness.policy"
    policy = parse_policy(policy_file.read_text())
    assert policy.quorum == "demo" and policy.witnesses["demo"].url == DEMO_WITNESS_URL
    with log_app.app_context():
        note = reader().latest_checkpoint().note
        db.session.remove()
    answer = Witness(state).add_checkpoint(request_body(0, [], note))
    assert answer.status in (200, 409)  # 409: the witness already holds a size of this log
    assert not demo_data_witness(instance, policy_file, log_vkey)  # never twice, never over a policy


def test_two_witnesses_cosign_and_the_verifiers_hold_the_log_to_its_policy(log_app, log_vkey, ours, aics, tmp_path):
    (ours_vkey, ours_url), (aics_vkey, aics_url, start_aics) = ours, aics
    _, absent_vkey = _cosigner_vkey("witness.test/absent")
    instance = Path(log_app.instance_path)
    _write_policy(
        instance / "witness.policy",
        log_vkey,
        [("ours", ours_vkey, ours_url), ("aics", aics_vkey, aics_url)],
        ["group both all ours aics", "quorum both"],
    )
    two_of_three = _write_policy(
        tmp_path / "two-of-three.policy",
        log_vkey,
        [("ours", ours_vkey, ""), ("aics", aics_vkey, ""), ("absent", absent_vkey, "")],
        ["group two 2 ours aics absent", "quorum two"],
    )
    two_of_two = _write_policy(
        tmp_path / "two-of-two.policy",
        log_vkey,
        [("ours", ours_vkey, ""), ("aics", aics_vkey, "")],
        ["group both all ours aics", "quorum both"],
    )

    # Only our witness runs: it cosigns; aics-witness is unreachable, and appends go on regardless.
    officer = signed_in(log_app, make_account(log_app, "officer"))
    code, output = _round(log_app)
    assert code == 1 and "ok   ours: cosigned size" in output and "FAIL aics: unreachable" in output
    page = officer.get("/").get_data(as_text=True)
    assert "Quorum: <strong>2 of (ours, aics)</strong>" in page and "No checkpoint is cosigned by the quorum" in page
    assert re.search(r"<td>aics</td>\s*<td>—</td>\s*<td>never</td>\s*<td><span class=\"text-danger\">unreachable", page)
    checks = _three_verifiers(log_app, tmp_path, two_of_three, log_vkey, "one")
    for name, done in checks.items():
        assert done.returncode == 1, (name, done.stdout, done.stderr)
        assert "missing aics, absent" in done.stdout, (name, done.stdout)

    # aics-witness starts; the next round gets both cosignatures of the newest checkpoint.
    start_aics()
    code, output = _round(log_app)
    assert code == 0, output
    with log_app.app_context():
        size = reader().size()
        cosigned = db.session.scalars(
            select(LedgerCosignature.witness).where(LedgerCosignature.tree_size == size)
        ).all()
        states = {row.witness: row for row in db.session.scalars(select(WitnessState))}
        total = db.session.scalar(select(func.count()).select_from(LedgerCosignature))
        db.session.remove()
    assert sorted(cosigned) == ["aics", "ours"] and total == 3
    assert states["ours"].cosigned_size == size and states["aics"].last_error is None

    page = officer.get("/").get_data(as_text=True)
    assert f"Checkpoints up to size {size:,} are cosigned by the quorum" in page
    assert page.count('<span class="text-success">answering</span>') == 2
    checkpoint = log_app.test_client().get("/checkpoint").get_data(as_text=True)
    assert checkpoint.count("— witness.test/ours ") == 1 and checkpoint.count("— witness.test/aics ") == 1
    # aics-tlog, which we did not write, accepts the cosigned checkpoint with both witness keys.
    (tmp_path / "cosigned.note").write_text(checkpoint)
    accepted = subprocess.run(
        [str(AICS / "aics-tlog"), "verify-checkpoint", "--note", str(tmp_path / "cosigned.note")]
        + ["--origin", TEST_ORIGIN, "--log-key", log_vkey, "--witness-key", ours_vkey, "--witness-key", aics_vkey]
        + ["--quorum", "2", "--max-age", "86400"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr

    for policy in (two_of_two, two_of_three):
        assert _round(log_app)[0] == 0  # the export's latest checkpoint is the one the witnesses cosign
        checks = _three_verifiers(log_app, tmp_path, policy, log_vkey, policy.stem)
        for name, done in checks.items():
            assert done.returncode == 0, (policy.name, name, done.stdout, done.stderr)


def _cosigner_vkey(name: str) -> tuple[str, str]:
    from audit.cosignature import Cosigner

    cosigner = Cosigner.generate(name)
    return cosigner.skey, cosigner.key.vkey


def test_a_policy_that_cannot_be_read_is_named(log_app, tmp_path):
    (Path(log_app.instance_path) / "witness.policy").write_text("witness only-a-name\nquorum none\n")
    try:
        result = log_app.test_cli_runner().invoke(args=["ledger", "witness", "--once"])
    finally:
        (Path(log_app.instance_path) / "witness.policy").unlink()
    assert result.exit_code == 1 and "witness.policy: line 1: not a log, witness, group or quorum line" in result.output
    missing = log_app.test_cli_runner().invoke(args=["ledger", "witness", "--once"])
    assert missing.exit_code == 1 and "no witness to ask" in missing.output


@pytest.mark.parametrize("held", ["²", "", "soon"])
def test_a_witness_answering_409_without_a_plain_size_is_named_not_a_failure(log_app, monkeypatch, held):
    """A witness's 409 names the size it holds; an answer that is no plain decimal ("²" is a digit to
    Python's str.isdigit but not to int, which raised) is that witness's outcome, not an error."""
    from registry.ledger import witnesses

    monkeypatch.setattr(witnesses, "post", lambda url, body: (409, held))
    with log_app.app_context():
        latest = reader().latest_checkpoint()
        outcome = witnesses._ask(db.session, None, "W", "http://w.invalid/add-checkpoint", 0, latest, retry=True)
        db.session.remove()
    assert not outcome.ok and "409 without a size" in outcome.detail
