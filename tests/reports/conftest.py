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

from registry.extensions import db
from tests.conftest import ENGINES, FIXED_NOW, make_account, module_database, module_registry, signed_in


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
        yield from module_registry(url, folder)


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


def post_multipart(client, url: str, fields: dict):
    """A multipart POST whose body is built in memory (the test client would spool a large one to a
    temporary file it never closes)."""
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart(fields)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def pdf_file(data: bytes):
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(data), filename="report.pdf", content_type="application/pdf")


def acquire_rifles(serial: str, count: int, year: int) -> dict:
    """`count` rifles (serials `serial % n`) acquired by the demo dealer from the demo maker over
    `year`, once per module database; returns the bound book's parameters for that year."""
    from registry.custody import bulk
    from registry.custody.models import Item, Party
    from registry.custody.runtime import custody

    dealer = db.session.scalar(select(Party).where(Party.name == "Riverside Sporting Goods"))
    maker = db.session.scalar(select(Party).where(Party.name == "Demo Arms Co."))
    if not db.session.scalar(select(Item.id).where(Item.serial == serial % 0)):
        rows = [
            {
                "kind": "firearm",
                "scheme": "firearm",
                "serial": serial % n,
                "manufacturer": "Demo Arms Co.",
                "model": "DA-R",
                "type": "rifle",
                "caliber": "5.56x45mm" if n % 2 else ".308 Win",
                "source_ffl": maker.ffl,
                "acquired_on": f"{year}-{1 + n % 12:02d}-{1 + n % 28:02d}",
            }
            for n in range(count)
        ]
        bulk.import_rows(custody(), rows, recipient_party_id=dealer.id, actor="test:reports", now=FIXED_NOW)
        db.session.commit()
    return {"date_from": f"{year}-01-01", "date_to": f"{year}-12-31", "licensee": dealer.id, "view": "both"}
