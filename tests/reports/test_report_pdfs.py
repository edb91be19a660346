"""The signed PDFs themselves: every report type renders with its key content and a sane first page,
pyHanko accepts the signature against the development CA, the evidence verifies with the standalone
verifier, and a flipped byte, an incremental update or a swapped evidence file is each caught."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pikepdf
import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.generic import pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from audit.canonical import canonical_bytes
from audit.report import EVIDENCE_NAME, outside_event_loop, verify_report
from registry.custody.models import Item
from registry.extensions import db
from registry.reports import pdf
from registry.reports.pades import sign_pdf
from registry.reports.runtime import reports, signing_setup
from registry.reports.service import Renderer
from tests.conftest import FIXED_NOW
from tests.reports.conftest import acquire_rifles, page_png, pdf_text, qr_codes

PROJECT = Path(__file__).resolve().parents[2]

# What each demo report must show (found by text extraction), besides its footer.
KEY_CONTENT = {
    "item_certificate": [
        "Custody certificate: BXR-4471",
        "Custody events",
        "9x19mm Parabellum",
        "TX-2026-000123",
        "Jane Doe",
        "Component tree",
    ],
    "bound_book": [
        "Description of firearm",
        "Receipt",
        "Disposition",
        "BXR-4471",
        "BXR-4472",
        "RFL-20931",
        "Riverside Sporting Goods",
        "TX-2026-000",
        "corr.",
        "orig.",
    ],
    "trace_response": ["Trace request response: serial BXR-4472", "T20261124-0042", "DA-38", "TX-2026-000131"],
    "theft_loss": ["ATF Form 3310.11", "RFL-20931", "T-2026-118842", "APD-2026-0533", "Theft", ".308 Win"],
    "multiple_sale": [
        "ATF Form 3310.4",
        "BXR-4471",
        "BXR-4472",
        "Jane Doe",
        "driver licence, TX, 12345678",
        "TX-2026-000123",
        "Riverside Sporting Goods",
    ],
    "recall_campaign": ["26E-041", "Involved components", "Kestrel Polymers", "Holders", "WF200-00002", "66.7 %"],
    "ledger_verification": ["VALID: every check passed", "What was checked", "coverage", "passed on"],
}


@pytest.mark.parametrize("report_type", sorted(KEY_CONTENT))
def test_every_report_type_renders_its_key_content(issued, report_type):
    report, data = issued(report_type)
    text = pdf_text(data)
    for expected in KEY_CONTENT[report_type]:
        assert expected in text, f"{report_type}: {expected!r} not in the PDF's text"
    assert f"Page 1 of {report.pages}" in text
    assert f"Report {report.id}" in text  # the running reference in every page's margin


@pytest.mark.parametrize("report_type", sorted(KEY_CONTENT))
def test_the_first_page_of_every_report_is_drawn_inside_its_margins(issued, report_type):
    _, data = issued(report_type)
    image = page_png(data, dpi=40)
    width, height = image.size
    pixels = image.tobytes()
    inked = sum(1 for value in pixels if value < 128)
    assert inked > width * height // 200, "the first page is (nearly) empty"
    margin = int(10 / 25.4 * 40)  # the side margins are 12 mm; nothing may be drawn in their outer 10 mm
    for band in ((0, 0, margin, height), (width - margin, 0, width, height)):
        assert min(image.crop(band).tobytes()) > 200, f"ink in the side margin {band}: a table overflows the page"


def test_the_pdf_is_pdf_a_3b_with_the_evidence_as_an_associated_file(issued):
    _, data = issued("item_certificate")
    with pikepdf.open(io.BytesIO(data)) as document:
        metadata = document.open_metadata()
        assert metadata.get("pdfaid:part") == "3" and metadata.get("pdfaid:conformance") == "B"
        assert document.Root.OutputIntents[0].S == "/GTS_PDFA1"
        spec = document.Root.AF[0]
        assert str(spec.F) == EVIDENCE_NAME and spec.AFRelationship == "/Data"
        fonts = {
            str(font.get("/BaseFont")) for page in document.pages for font in page.Resources.get("/Font", {}).values()
        }
        assert fonts and all("Report-Sans" in name or "Report-Mono" in name for name in fonts)  # DejaVu
        for page in document.pages:
            for font in page.Resources.get("/Font", {}).values():
                descriptor = font.get("/FontDescriptor") or font.DescendantFonts[0].FontDescriptor
                assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, "a font is not embedded"


def test_the_streamed_evidence_is_canonical_json_with_its_size_and_checksum(issued):
    """The evidence is written and compressed piece by piece: what a reader unpacks is RFC 8785 JSON
    (its canonical form is itself), and the file's /Size and /CheckSum describe those bytes."""
    _, data = issued("bound_book")
    with pikepdf.open(io.BytesIO(data)) as document:
        stream = document.Root.AF[0].EF.F
        unpacked = stream.read_bytes()
        params = stream.Params
        assert int(params.Size) == len(unpacked)
        assert bytes(params.CheckSum) == hashlib.md5(unpacked).digest()
    assert canonical_bytes(json.loads(unpacked)) == unpacked
    evidence = json.loads(unpacked)
    assert sorted(evidence) == ["entries", "format", "log", "proof", "report"]
    assert [entry["index"] for entry in evidence["entries"]] == sorted({e["index"] for e in evidence["entries"]})
    assert evidence["entries"] and evidence["proof"]["ranges"]


def test_pyhanko_accepts_the_signature_against_the_development_ca(issued, trust):
    _, data = issued("bound_book")
    roots = [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(trust, multiple=True)]
    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    status = outside_event_loop(  # pyHanko runs its own event loop; the browser tests may have one running
        lambda: validate_pdf_signature(signature, ValidationContext(trust_roots=roots, allow_fetching=False))
    )
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert set(status.signing_cert.extended_key_usage_value.native) & {"1.3.6.1.5.5.7.3.36", "document_signing"}
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES


def test_the_standalone_verifier_accepts_the_report_and_its_evidence(issued, trust, vkey, tmp_path):
    report, data = issued("recall_campaign")
    path, ca = tmp_path / "report.pdf", tmp_path / "ca.pem"
    path.write_bytes(data)
    ca.write_bytes(trust)
    run = subprocess.run(
        [sys.executable, "-m", "audit", "verify-report", str(path), "--trust", str(ca), "--vkey", vkey],
        capture_output=True,
        text=True,
        cwd=PROJECT,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (
        f"{report.evidence_entries} ledger entries proved against checkpoint size {report.checkpoint_size}"
        in run.stdout
    )
    for check in ("signature", "trust", "coverage", "evidence", "checkpoint", "inclusion"):
        assert f"ok   {check}" in run.stdout
    assert "WARNING" not in run.stdout


def test_the_standalone_verifier_says_invalid_without_the_trust_root(issued, tmp_path):
    _, data = issued("trace_response")
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    run = subprocess.run(
        [sys.executable, "-m", "audit", "verify-report", str(path)], capture_output=True, text=True, cwd=PROJECT
    )
    assert run.returncode == 1
    assert "INVALID: trust: no trust root given" in run.stdout


def _flip_stream_byte(data: bytes) -> bytes:
    offset = data.index(b"stream\n", len(data) // 3) + 40
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def _incremental_update(data: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    writer.root["/Lang"] = pdf_string("fr")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _altered_evidence(data: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as document:
        spec = document.Root.Names.EmbeddedFiles.Names[1]
        evidence = json.loads(spec.EF.F.read_bytes())
        evidence["entries"][0]["body"] = evidence["entries"][0]["body"].replace('"type"', '"kind"')
        return json.dumps(evidence).encode()


def _swapped_attachment_rewritten(data: bytes) -> bytes:
    forged = _altered_evidence(data)
    with pikepdf.open(io.BytesIO(data)) as document:
        document.Root.Names.EmbeddedFiles.Names[1].EF.F.write(forged)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()


def _swapped_attachment_appended(data: bytes) -> bytes:
    from pyhanko.pdf_utils import embed

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    embed.embed_file(
        writer,
        embed.FileSpec(
            file_spec_string=EVIDENCE_NAME,
            embedded_data=embed.EmbeddedFileObject.from_file_data(writer, _altered_evidence(data)),
        ),
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "tamper, check, reason",
    [
        (_flip_stream_byte, "signature", "the signed bytes were changed"),
        (_incremental_update, "coverage", "changed after signing"),
        (_swapped_attachment_rewritten, "signature", ""),
        (_swapped_attachment_appended, "coverage", "changed after signing"),
        (lambda data: data + b"%%junk\n", "coverage", "changed after signing"),
    ],
    ids=[
        "flipped-byte",
        "incremental-update",
        "swapped-evidence-rewritten",
        "swapped-evidence-appended",
        "appended-bytes",
    ],
)
def test_tampering_is_detected_with_its_reason(issued, trust, vkey, tamper, check, reason):
    _, data = issued("item_certificate")
    assert verify_report(data, trust_roots=[trust], vkeys=[vkey]).ok
    verdict = verify_report(tamper(data), trust_roots=[trust], vkeys=[vkey])
    assert not verdict.ok
    assert verdict.first_failure.name == check, verdict.summary()
    assert reason in verdict.first_failure.detail
    assert verdict.summary().startswith(f"INVALID: {check}:")


def test_a_validly_signed_pdf_with_forged_evidence_fails_the_inclusion_check(rctx, issued, trust, vkey):
    """The evidence is checked on its own: a signer who attaches an entry the log never held is caught."""
    _, data = issued("item_certificate")
    forged = pdf.Attachment(EVIDENCE_NAME, _altered_evidence(data), "forged")
    rendered = pdf.render_html("<html><body><p>forged</p></body></html>", "file:///")
    signed = sign_pdf(pdf.join_with_footers([rendered.pdf], None, [forged]), signing_setup(), reason="test")
    verdict = verify_report(signed, trust_roots=[trust], vkeys=[vkey])
    assert [c.name for c in verdict.checks if c.passed] == ["signature", "trust", "coverage", "evidence", "checkpoint"]
    assert verdict.first_failure.name == "inclusion"


@pytest.fixture
def busy_year(rctx):
    """150 rifles acquired by the demo dealer in 2025: a bound book of pages."""
    return acquire_rifles("YR-%04d", 150, 2025)


def _check_numbered(data: bytes, pages: int, header: str, repeated: str, rows: str = "") -> None:
    """Page i of N on every page, the running header on each, and `repeated` (the column heads) on
    every page that holds rows (containing `rows`)."""
    assert pdf.page_count(data) == pages
    for page in range(1, pages + 1):
        text = pdf_text(data, page)
        assert f"Page {page} of {pages}" in text
        assert header in text  # the running header
        assert repeated in text or (rows and rows not in text)


def test_the_template_revision_covers_fonts_and_layout_code(tmp_path, monkeypatch):
    import shutil

    from registry.reports import service

    templates = tmp_path / "templates" / "reports" / "pdf"
    shutil.copytree(service.TEMPLATE_FOLDER, templates)
    package = tmp_path / "registry" / "reports"
    package.mkdir(parents=True)
    for name in ("layout.py", "catalog.py", "tablefont.py", "textlayer.py"):
        shutil.copy(service.REPORTS_PACKAGE / name, package / name)
    shutil.copytree(service.REPORTS_PACKAGE / "types", package / "types", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(service, "TEMPLATE_FOLDER", templates)
    monkeypatch.setattr(service, "REPORTS_PACKAGE", package)
    original = service.template_revision()
    seen = {original}
    for changed in (
        templates / "fonts" / "SerialLedgerTable.ttf",
        package / "layout.py",
        package / "textlayer.py",
        templates / "report.css",
        package / "types" / "bound_book.py",
    ):
        before = changed.read_bytes()
        changed.write_bytes(before + b"\n")
        seen.add(service.template_revision())
        changed.write_bytes(before)
        assert service.template_revision() == original
    assert len(seen) == 6  # each change gave a revision of its own


def test_the_ledger_verification_report_says_what_each_check_ran_over():
    from audit.verdict import Problem, Verdict
    from audit.verify import CHECKS
    from registry.reports.types.ledger_verification import ledger_check_rows

    rows = ledger_check_rows(Verdict(entries=1200, checkpoints=1, nodes=2399))
    assert [r["name"] for r in rows] == [name for name, _ in CHECKS]
    results = {r["name"]: r["result"] for r in rows}
    assert (results["chain"], results["node"], results["root"]) == (
        "passed on 1,200 entries",
        "passed on 2,399 stored nodes",
        "passed on 1 signed checkpoint",
    )
    assert not any(r["failed"] for r in rows)
    broken = ledger_check_rows(
        Verdict(
            entries=1200,
            checkpoints=1,
            nodes=2399,
            problem=Problem("chain", "entry 41 does not name the leaf before it", 41),
        )
    )
    results = {r["name"]: r["result"] for r in broken}
    assert results["chain"] == "FAILED at entry 41: entry 41 does not name the leaf before it"
    assert results["leaf"] == "passed on entries 0 to 40; not checked beyond the problem"
    assert [r["name"] for r in broken if r["failed"]] == ["chain"]
    at_start = ledger_check_rows(Verdict(problem=Problem("signature", "no checkpoint verifies")))
    unchecked = {r["result"] for r in at_start if not r["failed"]}
    assert unchecked == {"not checked: the verification stopped at the problem"}


@pytest.mark.parametrize(
    "view, stated, shown, hidden",
    [
        ("originals", "entries as first recorded", ["9mm", "orig."], ["9x19mm", "corr."]),  # orig.: corrected later
        ("corrected", "entries with their corrections applied", ["9x19mm", "corr."], ["orig."]),
        ("both", "original entries and, below each", ["9x19mm", "corr.", "orig."], []),
    ],
)
def test_the_bound_book_shows_the_corrections_view_chosen(rctx, view, stated, shown, hidden, trust, vkey):
    """The demo pistol's caliber was recorded as 9mm and corrected to 9x19mm Parabellum."""
    service = reports()
    report = service.issue(
        "bound_book",
        {"date_from": "2026-11-01", "date_to": "2026-11-30", "view": view},
        actor="test:reports",
        personal=True,
        now=FIXED_NOW + timedelta(minutes=6),
    )
    data = service.pdf(report)
    text = pdf_text(data)
    assert "BXR-4471" in text and stated in " ".join(text.split())
    for expected in shown:
        assert expected in text, f"{view}: {expected!r} missing"
    for unexpected in hidden:
        assert unexpected not in text, f"{view}: {unexpected!r} shown"
    assert verify_report(data, trust_roots=[trust], vkeys=[vkey]).ok


@pytest.mark.parametrize("view, listed", [("originals", False), ("corrected", True), ("both", True)])
def test_the_signed_book_files_a_corrected_receipt_under_its_corrected_date(rctx, view, listed, trust, vkey):
    """The demo carbine DAC-30117 was received on 21 November and first entered as the 12th: the
    corrected and both views of the 15th-30th list it, with the corrected date; the originals do not."""
    service = reports()
    report = service.issue(
        "bound_book",
        {"date_from": "2026-11-15", "date_to": "2026-11-30", "view": view},
        actor="test:reports",
        personal=True,
        now=FIXED_NOW + timedelta(minutes=6),
    )
    data = service.pdf(report)
    text = pdf_text(data)
    assert ("DAC-30117" in text) is listed
    if listed:
        assert "2026-11-21" in text
    assert verify_report(data, trust_roots=[trust], vkeys=[vkey]).ok


def test_a_certificate_shows_the_serial_override_and_its_justification(rctx):
    """The demo shotgun bears no serial: it is recorded as NSN with a justification."""
    from sqlalchemy import select

    from registry.custody.models import Item
    from registry.extensions import db

    shotgun = db.session.scalar(select(Item).where(Item.serial == "NSN"))
    service = reports()
    report = service.issue(
        "item_certificate",
        {"item_id": shotgun.id},
        actor="test:reports",
        personal=True,
        now=FIXED_NOW + timedelta(minutes=6),
    )
    text = " ".join(pdf_text(service.pdf(report)).split())
    assert "Serial override" in text and "has no serial (NSN)" in text
    assert "made in 1952, before serials were required" in text


def test_a_signed_book_cannot_vouch_for_days_to_come(rctx):
    from registry import clock
    from registry.errors import RegistryError

    tomorrow = (clock.latest_day(clock.now()) + timedelta(days=1)).isoformat()
    with pytest.raises(RegistryError) as refused:
        reports().check("bound_book", {"date_from": "2026-11-01", "date_to": tomorrow, "view": "both"})
    assert (refused.value.code, refused.value.field) == ("future_date", "date_to")


def test_a_prelaid_bound_book_in_parts_numbers_its_pages_as_one_document(rctx, busy_year, vkey, trust):
    """The book laid out on pages here, the pages rendered in two processes in parts and joined:
    page i of N on every page, the column heads on each, every row once, and the whole verifies."""
    service = reports()
    service.renderer = Renderer(render_template=service.renderer.render_template, workers=2, part_rows=40)
    seen = []
    report = service.issue(
        "bound_book",
        busy_year,
        actor="test:reports",
        personal=True,
        now=FIXED_NOW + timedelta(minutes=1),
        progress=lambda percent, message: seen.append(percent),
    )
    data = service.pdf(report)
    assert report.pages >= 3
    _check_numbered(data, report.pages, "Acquisition and disposition record", "Description of firearm", rows="YR-")
    text = pdf_text(data)
    assert all(text.count(f"YR-{n:04d}") == 1 for n in range(150))
    assert seen == sorted(seen) and seen[-1] == 100
    assert verify_report(data, trust_roots=[trust], vkeys=[vkey]).ok
    with pikepdf.open(io.BytesIO(data)) as document:
        assert len(document.Root.Names.EmbeddedFiles.Names) == 2


def test_a_table_in_parts_gets_its_page_numbers_from_a_footer_pass(rctx, vkey, trust):
    """An HTML table (the recall holder list) split into parts: the footer document numbers them."""
    from registry.recalls.models import RecallCampaign

    service = reports()
    service.renderer = Renderer(render_template=service.renderer.render_template, workers=2, part_rows=1)
    campaign = db.session.scalar(select(RecallCampaign.id))
    report = service.issue(
        "recall_campaign",
        {"campaign_id": campaign},
        actor="test:reports",
        personal=True,
        now=FIXED_NOW + timedelta(minutes=4),
    )
    data = service.pdf(report)
    assert report.pages >= 3
    _check_numbered(data, report.pages, "Recall campaign 26E-041", "Serial Ledger instance")
    assert verify_report(data, trust_roots=[trust], vkeys=[vkey]).ok


def test_with_a_timestamp_authority_the_signature_is_pades_b_lta(rctx, local_tsa, trust, vkey, tmp_path):
    both = tmp_path / "trust.pem"
    both.write_bytes(trust + local_tsa.ca_pem)
    saved = rctx.config["REPORT_TRUST_PEM"]
    rctx.config.update(REPORT_TSA_URL=local_tsa.url, REPORT_TRUST_PEM=str(both))
    try:
        report = reports().issue(
            "trace_response",
            {"serial": "BXR-4471"},
            actor="test:reports",
            personal=False,
            now=FIXED_NOW + timedelta(minutes=2),
        )
    finally:
        rctx.config.update(REPORT_TSA_URL="", REPORT_TRUST_PEM=saved)
    data = reports().pdf(report)
    assert local_tsa.requests and set(local_tsa.requests) == {"application/timestamp-query"}
    verdict = verify_report(data, trust_roots=[trust, local_tsa.ca_pem], vkeys=[vkey])
    assert verdict.ok, verdict.summary()
    assert [c for c in verdict.checks if c.name == "timestamp" and c.passed]
    assert [c for c in verdict.checks if c.name == "archive" and c.passed]
    assert verdict.timestamped_at is not None and verdict.level == "B-LTA"
    # A token from an authority nobody said to trust proves no time.
    untrusted = verify_report(data, trust_roots=[trust], vkeys=[vkey])
    assert not untrusted.ok
    assert [c.detail for c in untrusted.checks if c.name == "timestamp"] == [
        "the timestamp token of Common Name: Test timestamp authority does not chain to any given trust root "
        "(add the timestamp authority's CA with --trust)"
    ]


def test_an_unreachable_timestamp_authority_refuses_and_records_nothing(rctx):
    from registry.ledger.runtime import reader
    from registry.reports.pades import SigningError

    before = reader().size()
    rctx.config["REPORT_TSA_URL"] = "http://127.0.0.1:9/tsa"
    try:
        with pytest.raises(SigningError, match="timestamp authority"):
            reports().issue(
                "trace_response",
                {"serial": "BXR-4471"},
                actor="test:reports",
                personal=False,
                now=FIXED_NOW + timedelta(minutes=3),
            )
    finally:
        rctx.config["REPORT_TSA_URL"] = ""
    db.session.rollback()
    assert reader().size() == before


def test_the_custody_certificate_draws_and_lists_the_component_tree(rctx, trust, vkey):
    from registry.supply.models import Lot

    unit = db.session.scalar(select(Item).where(Item.serial == "WF200-00003"))
    report = reports().issue(
        "item_certificate",
        {"item_id": unit.id},
        actor="test:reports",
        personal=True,
        now=FIXED_NOW + timedelta(minutes=5),
    )
    data = reports().pdf(report)
    text = pdf_text(data)
    for serial in ("PM-00003", "PCB-00003", "HSG-"):
        assert serial in text, f"{serial} missing from the component tree"
    lots = db.session.scalars(select(Lot.internal_code)).all()
    assert any(f"lot {code}" in text for code in lots)  # down to the supplier lot of the housing
    assert "No components are installed" not in text
    assert verify_report(data, trust_roots=[trust], vkeys=[vkey]).ok
    reference = f"{reports().origin}#item={unit.id}&registered={unit.registered_entry}"
    assert qr_codes(data) == [reference]  # the QR code carries the ledger reference, as printed beside it
    assert reference in "".join(text.split())


@pytest.mark.parametrize(
    "report_type",
    [
        "item_certificate",
        "bound_book",
        "trace_response",
        "theft_loss",
        "multiple_sale",
        "recall_campaign",
        "ledger_verification",
        "inventory_audit",
    ],
)
def test_the_how_to_check_box_keeps_company_and_its_command_whole(issued, report_type):
    """The closing box never stands alone on the last page, and its command is one unbroken line a
    reader can copy."""
    _, data = issued(report_type)
    text = pdf_text(data)
    last = text.split("\f")[-2] if text.endswith("\f") else text.split("\f")[-1]
    assert "How to check this report." in last
    before_box = last.split("How to check this report.")[0]
    body = [line for line in before_box.splitlines() if line.strip() and "Page " not in line]
    assert len(body) > 2, f"the last page of the {report_type} holds only the closing box"
    assert any(
        line.strip() == "python -m audit verify-report FILE.pdf --trust CA.pem --vkey KEY" for line in text.splitlines()
    )


def test_the_inventory_audit_report_lists_the_reconciliation_the_ledger_recorded(issued, vkey, trust, tmp_path):
    from registry.inventory.models import InventoryAudit
    from registry.ledger.runtime import reader

    report, data = issued("inventory_audit")
    audit = db.session.get(InventoryAudit, report.params["audit_id"])
    text = pdf_text(data)
    assert "Inventory audit, Riverside Sporting Goods" in text and "SN-NOT-BOOKED-7" in text
    counts = audit.summary["counts"]
    assert counts["missing"] == 1 and counts["unknown"] == 1 and counts["matched"] == counts["expected"] - 1
    event = reader().entry(audit.closed_entry).event
    assert event["type"] == "inventory.audited" and event["payload"]["missing"] == 1
    assert verify_report(data, trust_roots=[trust], vkeys=[vkey]).ok
