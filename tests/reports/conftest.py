"""Report fixtures: one demo registry per engine for the whole module (issuing the nine demo reports
takes seconds), PDF helpers built on poppler (pdftotext, pdftoppm), and a local RFC 3161 timestamp
authority for PAdES B-T."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from registry import create_app
from registry.extensions import db
from registry.instance import initialise
from tests.conftest import ENGINES, FIXED_NOW, TEST_ORIGIN, make_account, module_database, signed_in


def _require(tool: str) -> str:
    found = shutil.which(tool)
    assert found, f"{tool} is missing: `make test` installs poppler-utils and zbar-tools"
    return found


def pdf_text(data: bytes, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        [_require("pdftotext"), "-layout", *pages, "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode("utf-8")


def qr_codes(data: bytes, page: int = 1) -> list[str]:
    """The QR codes zbar reads on the page, rendered at print resolution."""
    png = subprocess.run(
        [_require("pdftoppm"), "-r", "200", "-f", str(page), "-l", str(page), "-png", "-gray", "-"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout
    found = subprocess.run(
        [_require("zbarimg"), "--raw", "-q", "-Sdisable", "-Sqrcode.enable", "-"], input=png, capture_output=True
    )
    return found.stdout.decode("utf-8").splitlines()


def page_png(data: bytes, page: int = 1, dpi: int = 40):
    """The page as a Pillow image (greyscale), rendered by pdftoppm."""
    from PIL import Image

    png = subprocess.run(
        [_require("pdftoppm"), "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", "-gray", "-"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout
    return Image.open(io.BytesIO(png)).convert("L")


@pytest.fixture(scope="module", params=ENGINES)
def demo_app(request, tmp_path_factory):
    """A registry with the demo history and the nine demo reports, shared by a test module."""
    folder = tmp_path_factory.mktemp("reports")
    with module_database(request.param, folder) as url:
        yield from _demo_app(url, folder)


def _demo_app(url: str, folder):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "REGISTRY_INSTANCE": str(folder / "instance"),
            "LEDGER_ORIGIN": TEST_ORIGIN,
            "SESSION_COOKIE_SECURE": False,
            "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
        }
    )
    with app.app_context():
        initialise(app, demo=True, now=FIXED_NOW)
        db.session.remove()

    def fresh_snapshot():
        # A test holds one app context (and so one session) across its requests; in production each
        # request has its own. Start each request on a fresh snapshot, as it would be there (before
        # the guard reads the account).
        db.session.rollback()

    app.before_request_funcs.setdefault(None, []).insert(0, fresh_snapshot)
    yield app
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def rctx(demo_app):
    with demo_app.app_context():
        yield demo_app
        db.session.remove()


@pytest.fixture
def issued(rctx):
    """issued("bound_book") -> (IssuedReport, its PDF bytes): the demo's report of that type."""
    from registry.reports.models import IssuedReport
    from registry.reports.runtime import store

    def get(report_type: str):
        report = db.session.scalars(
            select(IssuedReport)
            .where(IssuedReport.report_type == report_type)
            .order_by(IssuedReport.entry_index)
            .limit(1)
        ).one()
        return report, store().get(report.sha256)

    return get


@pytest.fixture
def trust(demo_app) -> bytes:
    return (Path(demo_app.instance_path) / "report-ca.pem").read_bytes()


@pytest.fixture
def vkey(demo_app) -> str:
    return (Path(demo_app.instance_path) / "ledger.vkey").read_text().strip()


@pytest.fixture
def as_role(demo_app):
    """as_role("regulator"): a signed-in web client of a new account with that role."""
    return lambda role: signed_in(demo_app, make_account(demo_app, role))


@pytest.fixture
def local_tsa(tmp_path):
    """A timestamp authority on 127.0.0.1 answering RFC 3161 requests over HTTP (pyHanko's
    DummyTimeStamper behind http.server), with its own CA."""
    from tests.reports.tsa import serve_tsa

    with serve_tsa(tmp_path) as tsa:
        yield tsa


def refusal_body(response) -> SimpleNamespace:
    body = response.get_json()
    return SimpleNamespace(
        status=response.status_code,
        code=body.get("code"),
        field=body.get("field"),
        content_type=response.content_type,
        detail=body.get("detail"),
    )
