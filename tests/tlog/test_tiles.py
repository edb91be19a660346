"""The ledger as C2SP tlog-tiles, read by tools we did not write: Go's golang.org/x/mod/sumdb
(`note` opens the checkpoint, `tlog` reads the tiles through a path adapter and proves entries) and
aics-tlog from PyPI, over HTTP from the registry and from a folder written by `flask ledger
export-tiles`. A ledger of more than two full tiles has level-0 tiles full and partial, a level-1
tile, and entry bundles of both widths."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from audit import merkle, tiles
from registry.extensions import db
from registry.ledger.models import LedgerEntry
from registry.ledger.runtime import reader
from tests.conftest import ENGINES, FIXED_NOW, TEST_ORIGIN, module_database, module_registry, serving

PROJECT = Path(__file__).resolve().parents[2]
AICS = PROJECT / ".venv-aics" / "bin"
EXTRA_ITEMS = 330  # with the demo history: more than two full level-0 tiles

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def tilecheck(tmp_path_factory) -> Path:
    """tests/tlog/tilecheck built offline against Debian's golang.org/x/mod."""
    binary = tmp_path_factory.mktemp("go") / "tilecheck"
    environment = {
        **os.environ,
        "GOPROXY": "off",
        "GOFLAGS": "-mod=mod",
        "GOCACHE": str(binary.parent / "cache"),
        "GOPATH": str(binary.parent / "path"),
    }
    built = subprocess.run(
        ["go", "build", "-o", str(binary), "."],
        cwd=PROJECT / "tests" / "tlog" / "tilecheck",
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, f"`make gotools` installs Go and x/mod: {built.stderr}"
    return binary


@pytest.fixture(scope="module", params=ENGINES)
def log_app(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiles")
    with module_database(request.param, folder) as url:
        made = module_registry(url, folder, DEMO_REPORTS=False)
        app = next(made)
        with app.app_context():
            _register_rifles(EXTRA_ITEMS)
            db.session.remove()
        yield app
        next(made, None)


def _register_rifles(count: int) -> None:
    from registry.custody import bulk
    from registry.custody.models import Party
    from registry.custody.runtime import custody

    maker = db.session.scalar(select(Party).where(Party.name == "Demo Arms Co."))
    rows = [
        {
            "kind": "firearm",
            "scheme": "firearm",
            "serial": f"TL-{n:04d}",
            "manufacturer": "Demo Arms Co.",
            "model": "DA-R",
            "type": "rifle",
            "caliber": ".308 Win",
            "source_ffl": maker.ffl,
            "acquired_on": "2026-01-05",
        }
        for n in range(count)
    ]
    bulk.import_rows(custody(), rows, recipient_party_id=maker.id, actor="test:tiles", now=FIXED_NOW)
    db.session.commit()


@pytest.fixture(scope="module")
def served(log_app):
    with serving(log_app) as url:
        yield url


@pytest.fixture
def facts(log_app):
    """The latest checkpoint, the verifier key and every leaf hash, read from the database now (an
    account a test makes is a ledger entry too)."""
    with log_app.app_context():
        signed = reader().latest_checkpoint()
        leaves = db.session.scalars(select(LedgerEntry.leaf_hash).order_by(LedgerEntry.entry_index)).all()
        vkey = (Path(log_app.instance_path) / "ledger.vkey").read_text().strip()
        db.session.remove()
    assert signed.tree_size == len(leaves) > 2 * tiles.WIDTH
    return signed, vkey, leaves


def _samples(size: int) -> list[int]:
    return sorted({0, 1, tiles.WIDTH - 1, tiles.WIDTH, 2 * tiles.WIDTH + 3, size - 1})


def _go(tilecheck: Path, base: str, vkey: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(tilecheck), "-vkey", vkey, *extra, base], capture_output=True, text=True, timeout=60, check=False
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_go_reads_the_served_tiles_and_agrees_on_the_root(log_app, served, facts, tilecheck):
    from tests.conftest import issue_token, make_account

    signed, vkey, leaves = facts
    done = _go(tilecheck, served, vkey)  # hash tiles and the checkpoint are public
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ok", TEST_ORIGIN, str(signed.tree_size), _b64(signed.root_hash)]
    token = issue_token(log_app, make_account(log_app, "auditor"))
    for index in _samples(signed.tree_size):
        proved = _go(tilecheck, served, vkey, "-token", token, "-index", str(index), "-leaf", _b64(leaves[index]))
        assert proved.returncode == 0, (index, proved.stderr)
    # A leaf hash that is not the entry's: Go's proof check refuses it.
    wrong = _go(tilecheck, served, vkey, "-token", token, "-index", "5", "-leaf", _b64(leaves[6]))
    assert wrong.returncode == 1 and "entry 5" in wrong.stderr
    # Entry bundles without a token: refused, not a sign-in page taken for a bundle.
    anonymous = _go(tilecheck, served, vkey, "-index", "5", "-leaf", _b64(leaves[5]))
    assert anonymous.returncode == 1 and "tile/entries/000" in anonymous.stderr
    # Another key of the same name: Go's note package refuses the checkpoint.
    from audit.note import generate_key

    _, other = generate_key(TEST_ORIGIN)
    refused = _go(tilecheck, served, other)
    assert refused.returncode == 1 and "checkpoint signature" in refused.stderr


def test_the_tiles_are_the_stored_tree(log_app, facts):
    """Level-0 tiles are the leaf hashes; the level-1 tile's hashes are the roots of 256 leaves."""
    signed, _, leaves = facts
    full, rest = divmod(signed.tree_size, tiles.WIDTH)
    assert 2 <= full < tiles.WIDTH and rest
    client = log_app.test_client()
    first = client.get("/tile/0/000")
    assert first.status_code == 200 and first.data == b"".join(leaves[: tiles.WIDTH])
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get(f"/tile/0/{full:03d}.p/{rest}").data == b"".join(leaves[full * tiles.WIDTH :])
    level_one = client.get(f"/tile/1/000.p/{full}").data
    chunks = [leaves[n * tiles.WIDTH : (n + 1) * tiles.WIDTH] for n in range(full)]
    assert level_one == b"".join(merkle.root(chunk) for chunk in chunks)
    # A narrower tile than the tree has is a prefix of the same hashes (clients of older checkpoints).
    assert client.get("/tile/0/000.p/7").data == b"".join(leaves[:7])


def test_a_tile_that_does_not_exist_is_404(log_app):
    from tests.conftest import make_account, signed_in

    auditor = signed_in(log_app, make_account(log_app, "auditor"))  # an account is a ledger entry too
    with log_app.app_context():
        full, rest = divmod(reader().latest_checkpoint().tree_size, tiles.WIDTH)
        db.session.remove()
    paths = [
        "/tile/0/0",  # not three digits
        "/tile/0/x000/001",  # a leading group of zeros
        "/tile/0/001.p/0",
        "/tile/0/001.p/256",
        "/tile/0/001.p/07",
        f"/tile/0/{full + 1:03d}",  # beyond the tree
        f"/tile/0/{full:03d}",  # the full tile is not complete yet
        f"/tile/0/{full:03d}.p/{rest + 1}",  # wider than the tree has
        "/tile/1/000",
        "/tile/2/000.p/1",  # a level the tree has not reached
        "/tile/64/000.p/1",
        f"/tile/entries/{full + 1:03d}",
        "/tile/0/000.p/²",  # a digit to Python's str.isdigit that int() refuses: it answered 500
        "/tile/0/٠٠٠",  # Arabic-Indic digits, which int() reads
    ]
    for path in paths:
        answer = auditor.get(path, headers={"Accept": "application/problem+json"})
        assert (path, answer.status_code, answer.mimetype) == (path, 404, "application/problem+json")
        assert answer.get_json()["code"] == "not_found"


def test_entry_bundles_are_for_the_roles_that_read_the_ledger(log_app, facts):
    from tests.conftest import make_account, signed_in

    signed, _, leaves = facts
    anonymous = log_app.test_client().get("/tile/entries/000", headers={"Accept": "application/problem+json"})
    assert anonymous.status_code == 401
    auditor = signed_in(log_app, make_account(log_app, "auditor"))
    bundle = auditor.get("/tile/entries/001")
    assert bundle.status_code == 200 and bundle.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    bodies = tiles.unbundle(bundle.data)
    assert [merkle.leaf_hash(body) for body in bodies] == leaves[tiles.WIDTH : 2 * tiles.WIDTH]
    assert json.loads(bodies[0])["index"] == tiles.WIDTH


def test_export_tiles_writes_a_static_log_that_go_and_aics_tlog_read(log_app, facts, tilecheck, tmp_path):
    signed, vkey, leaves = facts
    folder = tmp_path / "static"
    result = log_app.test_cli_runner().invoke(args=["ledger", "export-tiles", str(folder)])
    assert result.exit_code == 0, result.output
    assert f"for the checkpoint of size {signed.tree_size}" in result.output
    assert (folder / "checkpoint").read_text() == signed.note
    done = _go(tilecheck, str(folder), vkey, "-index", str(signed.tree_size - 1), "-leaf", _b64(leaves[-1]))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == _b64(signed.root_hash)

    aics = AICS / "aics-tlog"
    assert aics.exists(), "`make aics` installs aics-tlog in .venv-aics (Python 3.12)"
    (tmp_path / "log.vkey").write_text(vkey + "\n")
    checked = subprocess.run(
        [str(aics), "verify-checkpoint", "--tiles", str(folder), "--vkey-file", str(tmp_path / "log.vkey")]
        + ["--origin", TEST_ORIGIN],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["ok"] is True
    index = tiles.WIDTH + 17
    included = subprocess.run(
        [str(aics), "verify-inclusion", "--tiles", str(folder), "--vkey-file", str(tmp_path / "log.vkey")]
        + ["--index", str(index), "--leaf-hash", leaves[index].hex()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert included.returncode == 0, included.stdout + included.stderr
    # A second export into the same folder writes only the checkpoint: every tile is already there.
    again = log_app.test_cli_runner().invoke(args=["ledger", "export-tiles", str(folder)])
    assert "wrote 1 files" in again.output
    # A flipped byte in a stored tile (the hash of entry 257): Go no longer proves its neighbour.
    tile = folder / "tile" / "0" / "001"
    data = bytearray(tile.read_bytes())
    data[40] ^= 1
    tile.write_bytes(bytes(data))
    broken = _go(tilecheck, str(folder), vkey, "-index", "256", "-leaf", _b64(leaves[256]))
    assert broken.returncode == 1 and "entry 256" in broken.stderr


def test_an_entry_too_large_for_a_tile_is_refused_and_nothing_is_written(log_app):
    from registry.errors import EntryTooLargeError
    from registry.ledger.events import NewEvent
    from registry.ledger.runtime import ledger

    with log_app.app_context():
        before = reader().size()
        with pytest.raises(EntryTooLargeError) as refused:
            ledger().append(
                [NewEvent("note.recorded", {"short": "x", "text": "y" * 70_000})], actor="test:tiles", now=FIXED_NOW
            )
        db.session.rollback()
        assert reader().size() == before
        db.session.remove()
    assert refused.value.field == "text" and "65,535" in refused.value.detail
