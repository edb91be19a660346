"""A long signed report checked with tools we did not write: poppler (`pdfinfo`, `pdffonts`,
`pdfsig` with an NSS database made by `certutil`), pikepdf and cryptography.

A 2,000-row bound book, laid out in parts by two processes and signed with a local timestamp
authority: PDF/A-3b metadata that agrees between the document information and XMP after signing,
PDF 1.7, one name per font subset, a signature poppler calls valid and trusted once the CA is in its
database, the chain and a CRL in the document security store, and a document timestamp after them
(PAdES B-LTA) that keeps the report valid after the signing certificate has expired.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pikepdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from audit.report import verify_report
from registry.extensions import db
from registry.reports.runtime import reports
from registry.reports.service import Renderer
from registry.reports.tablefont import FONTS
from tests.conftest import FIXED_NOW
from tests.reports.conftest import acquire_rifles, pdf_file, post_multipart

ROWS = 2000
SIGNER_EXPIRES = FIXED_NOW + timedelta(days=365 * 2)  # the development signing certificate's two years


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is missing: `make pdftools` installs it"
    return found


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120).stdout


@pytest.fixture(scope="module")
def tsa(tmp_path_factory):
    from tests.reports.tsa import serve_tsa

    with serve_tsa(tmp_path_factory.mktemp("tsa")) as authority:
        yield authority


@pytest.fixture(scope="module")
def long_book(demo_app, tsa, tmp_path_factory):
    """The 2,000-row book as the registry issues it with REPORT_TSA_URL set, and the trust file
    naming the report CA and the timestamp authority's CA."""
    folder = tmp_path_factory.mktemp("book")
    trust = folder / "trust.pem"
    trust.write_bytes((Path(demo_app.instance_path) / "report-ca.pem").read_bytes() + tsa.ca_pem)
    with demo_app.app_context():
        book = acquire_rifles("LB-%05d", ROWS, 2024)
        config = {"REPORT_TSA_URL": tsa.url, "REPORT_TRUST_PEM": str(trust)}
        saved = {key: demo_app.config[key] for key in config}
        demo_app.config.update(config)
        try:
            service = reports()
            service.renderer = Renderer(render_template=service.renderer.render_template, workers=2, part_rows=600)
            report = service.issue(
                "bound_book",
                book,
                actor="test:reports",
                personal=True,
                now=FIXED_NOW + timedelta(minutes=30),
            )
            data = service.pdf(report)
        finally:
            demo_app.config.update(saved)
            db.session.remove()
    path = folder / "book.pdf"
    path.write_bytes(data)
    return path, trust


def _info(path: Path) -> dict[str, str]:
    lines = _run(_tool("pdfinfo"), str(path)).splitlines()
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in lines)}


def test_the_long_book_is_pdf_1_7_with_document_information_and_xmp_in_agreement(long_book):
    path, _ = long_book
    info = _info(path)
    assert info["PDF version"] == "1.7"
    assert int(info["Pages"]) > 60
    with pikepdf.open(path) as document:
        assert "/Version" not in document.Root or str(document.Root.Version) <= "/1.7"
        assert document.pdf_version == "1.7"
        meta = document.open_metadata(set_pikepdf_as_editor=False)
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("3", "B")
        docinfo = document.docinfo
        # ISO 19005-3 6.6.3: every entry of the document information has its equal in the XMP.
        pairs = {
            "/Producer": meta.get("pdf:Producer"),
            "/Creator": meta.get("xmp:CreatorTool"),
            "/Title": meta.get("dc:title"),
            "/Subject": meta.get("dc:description"),
            "/Keywords": meta.get("pdf:Keywords"),
        }
        for key, xmp in pairs.items():
            assert key in docinfo, key
            assert str(docinfo[key]) == str(xmp), key
        assert [str(docinfo["/Author"])] == list(meta["dc:creator"])
        assert "/ModDate" not in docinfo or "xmp:ModifyDate" in meta
    assert info["Producer"].startswith("pyHanko") and info["Creator"].startswith("WeasyPrint")


def test_each_face_is_embedded_once_subset_for_every_part(long_book):
    path, _ = long_book
    rows = [row.split() for row in _run(_tool("pdffonts"), str(path)).splitlines()[2:]]
    names = [row[0] for row in rows]
    assert len(names) == len(set(names)), "one font per face, not one per part"
    assert all(re.match(r"^[A-Z]{6}\+", name) for name in names), names
    # type, encoding, then emb / sub / uni: every face embedded, as a subset, with a ToUnicode map
    assert all(row[-5:-2] == ["yes", "yes", "yes"] for row in rows), rows
    with pikepdf.open(path) as document:
        used = set()
        for page in document.pages:
            fonts = page.obj.get("/Resources", {}).get("/Font", {})
            used |= {font.objgen for font in fonts.values()}
        assert len(document.pages) > 40 and len(used) == len(names), "every page uses the same font objects"
        programs = [
            candidate.FontFile2.read_bytes()
            for candidate in document.objects
            if isinstance(candidate, pikepdf.Dictionary) and "/FontFile2" in candidate
        ]
    assert len(programs) == len(names)
    from fontTools.ttLib import TTFont

    full = TTFont(str(FONTS / "DejaVuSans.ttf"))
    for program in programs:
        face = TTFont(io.BytesIO(program))
        drawn = [name for name in face.getGlyphOrder() if face["glyf"][name].numberOfContours != 0]
        assert len(drawn) < len(full.getGlyphOrder()) / 4, "subset to the glyphs the parts drew"
    # A page of a later part reads back: its glyphs are in the shared subsets, its text in their maps.
    page = _run(_tool("pdftotext"), "-f", "40", "-l", "40", str(path), "-")
    assert re.search(r"LB-\d{5}", page), page[:500]


def _nss_database(folder: Path, *pem_files: bytes) -> str:
    _tool("certutil")
    database = folder / "nss"
    database.mkdir()
    subprocess.run([_tool("certutil"), "-N", "-d", f"sql:{database}", "--empty-password"], check=True)
    for number, pem in enumerate(pem_files):
        certificate = folder / f"root-{number}.pem"
        certificate.write_bytes(pem)
        add = ["-A", "-d", f"sql:{database}", "-n", f"root {number}", "-t", "CT,C,C", "-i", str(certificate)]
        subprocess.run([_tool("certutil"), *add], check=True)
    return f"sql:{database}"


def _signature_section(output: str, number: int) -> str:
    return output.split(f"Signature #{number}:")[1].split("Signature #")[0]


def test_poppler_trusts_the_signature_once_the_ca_is_in_its_database(long_book, demo_app, tmp_path):
    path, _ = long_book
    ca = (Path(demo_app.instance_path) / "report-ca.pem").read_bytes()
    trusted = _run(_tool("pdfsig"), "-nssdir", _nss_database(tmp_path, ca), str(path))
    first = _signature_section(trusted, 1)
    assert "Signature Field Name: SerialLedgerReport" in first
    assert "Signature is Valid." in first
    assert "Certificate is Trusted." in first
    assert "ETSI.CAdES.detached" in first
    # The second signature is the archive timestamp, over the whole file.
    second = _signature_section(trusted, 2)
    assert "Signature Field Name: SerialLedgerArchiveTimestamp" in second
    assert "Total document signed" in second
    # Without the CA in its database, poppler says so: the trust came from the CA, not the file.
    (tmp_path / "empty").mkdir()
    untrusted = _run(_tool("pdfsig"), "-nssdir", _nss_database(tmp_path / "empty"), str(path))
    assert "Certificate issuer isn't Trusted." in _signature_section(untrusted, 1)


def test_the_document_security_store_holds_the_chain_and_the_cas_revocation_list(long_book, demo_app):
    path, _ = long_book
    ca = x509.load_pem_x509_certificate((Path(demo_app.instance_path) / "report-ca.pem").read_bytes())
    with pikepdf.open(path) as document:
        dss = document.Root.DSS
        certificates = [x509.load_der_x509_certificate(stream.read_bytes()) for stream in dss.Certs]
        crls = [x509.load_der_x509_crl(stream.read_bytes()) for stream in dss.CRLs]
        fields = {str(field.T): str(field.V.get("/Type")) for field in document.Root.AcroForm.Fields}
    signer = next(cert for cert in certificates if cert.subject != cert.issuer and cert.issuer == ca.subject)
    assert ca in certificates
    ours = [crl for crl in crls if crl.issuer == ca.subject]
    assert ours and ours[0].is_signature_valid(ca.public_key())
    assert ours[0].get_revoked_certificate_by_serial_number(signer.serial_number) is None
    # The certificate says where the CRL is published, and the registry serves it there.
    point = signer.extensions.get_extension_for_class(x509.CRLDistributionPoints).value[0].full_name[0].value
    assert point == demo_app.config["PUBLIC_URL"] + "/pki/report-ca.crl"
    usages = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36") in usages
    assert x509.oid.ExtendedKeyUsageOID.EMAIL_PROTECTION in usages
    served = demo_app.test_client().get("/pki/report-ca.crl")
    assert served.status_code == 200 and served.mimetype == "application/pkix-crl"
    assert x509.load_der_x509_crl(served.data).is_signature_valid(ca.public_key())
    assert fields == {"SerialLedgerReport": "/Sig", "SerialLedgerArchiveTimestamp": "/DocTimeStamp"}


def test_a_b_lta_report_stays_valid_after_its_signing_certificate_expires(long_book, issued, vkey, trust):
    path, both = long_book
    data = path.read_bytes()
    later = SIGNER_EXPIRES + timedelta(days=400)
    today = verify_report(data, trust_roots=[both.read_bytes()], vkeys=[vkey])
    assert today.ok, today.summary()
    assert today.level == "B-LTA" and "(PAdES B-LTA)" in today.summary()
    assert len(today.evidence["entries"]) >= ROWS
    then = verify_report(data, trust_roots=[both.read_bytes()], vkeys=[vkey], at=later)
    assert then.ok, then.summary()
    assert "as its archive timestamps prove" in next(c.detail for c in then.checks if c.name == "trust")
    # A report without a timestamp authority (the demo's, PAdES B-B) cannot say when it was signed:
    # once its certificate has expired, nobody can tell it from one signed afterwards.
    _, plain = issued("trace_response")
    assert verify_report(plain, trust_roots=[trust], vkeys=[vkey]).level == "B-B"
    expired = verify_report(plain, trust_roots=[trust], vkeys=[vkey], at=later)
    assert not expired.ok and expired.first_failure.name == "trust"


def test_the_standalone_verifier_and_flask_reports_verify_name_the_level(long_book, demo_app, vkey, tmp_path):
    import sys

    path, both = long_book
    later = (SIGNER_EXPIRES + timedelta(days=400)).date().isoformat()
    command = ["verify-report", str(path), "--trust", str(both), "--vkey", vkey, "--at", later]
    done = subprocess.run(
        [sys.executable, "-m", "audit", *command],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(PAdES B-LTA)" in done.stdout and "Traceback" not in done.stderr
    assert re.search(r"^ok   archive    document timestamp of ", done.stdout, re.M)
    demo_app.config["REPORT_TRUST_PEM"] = str(both)
    try:
        result = demo_app.test_cli_runner().invoke(args=["reports", "verify", str(path)])
    finally:
        demo_app.config["REPORT_TRUST_PEM"] = str(Path(demo_app.instance_path) / "report-ca.pem")
    assert result.exit_code == 0, result.output
    assert "(PAdES B-LTA)" in result.output
    assert "PAdES B-LTA: timestamped, with the validation data embedded" in result.output
    # The verify page says it too, to a regulator who uploads the file.
    from tests.conftest import bearer_client, csrf_token, issue_token, make_account, signed_in

    regulator = make_account(demo_app, "regulator")
    browser, api = signed_in(demo_app, regulator), bearer_client(demo_app, issue_token(demo_app, regulator))
    demo_app.config["REPORT_TRUST_PEM"] = str(both)
    try:
        form = {"csrf_token": csrf_token(browser, "/reports/verify"), "pdf": pdf_file(path.read_bytes())}
        page = post_multipart(browser, "/reports/verify", form)
        answer = api.post("/api/v1/reports/verify", data=path.read_bytes(), content_type="application/pdf")
    finally:
        demo_app.config["REPORT_TRUST_PEM"] = str(Path(demo_app.instance_path) / "report-ca.pem")
    assert b"Signature level: PAdES B-LTA" in page.data
    assert answer.get_json()["level"] == "B-LTA" and answer.get_json()["valid"]
    # The registry also checks the log's ML-DSA-44 signature on the evidence's checkpoint.
    assert {"name": "post-quantum", "passed": True} in [
        {"name": check["name"], "passed": check["passed"]} for check in answer.get_json()["checks"]
    ]


def test_a_crl_is_issued_again_when_it_is_due(tmp_path):
    from certificates.devpki import CRL_FILE, current_crl, ensure_dev_pki

    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    ensure_dev_pki(tmp_path, organisation="Acme", now=now, environment={"REPORT_SIGNING_PASSWORD": "pw"})
    first = x509.load_der_x509_crl((tmp_path / CRL_FILE).read_bytes())
    assert current_crl(tmp_path, b"pw", now + timedelta(days=1)) == (tmp_path / CRL_FILE).read_bytes()
    renewed = x509.load_der_x509_crl(current_crl(tmp_path, b"pw", now + timedelta(days=6, hours=12)))
    assert renewed.next_update_utc > first.next_update_utc
    assert (tmp_path / CRL_FILE).read_bytes() == renewed.public_bytes(serialization.Encoding.DER)
    assert current_crl(tmp_path / "nothing-here", b"pw", now) is None


def test_the_registry_has_no_crl_to_serve_for_an_operators_certificate(demo_app, tmp_path, monkeypatch):
    monkeypatch.setenv("REPORT_SIGNING_PASSWORD", "the operator's")
    demo_app.config["REPORT_SIGNING_P12"] = str(tmp_path / "company.p12")
    try:
        answer = demo_app.test_client().get("/pki/report-ca.crl")
    finally:
        demo_app.config["REPORT_SIGNING_P12"] = str(Path(demo_app.instance_path) / "report-signing.p12")
    assert answer.status_code == 404 and b"an operator&#39;s certificate" in answer.data


def test_a_title_changed_after_signing_is_caught_under_a_later_archive_timestamp(long_book, tsa, vkey):
    """pyHanko counts a rewritten document information dictionary as an archival update; a title
    changed in an update and sealed by a new document timestamp still fails the coverage check."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import timestamps
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper

    from audit.report import outside_event_loop

    path, both = long_book
    writer = IncrementalPdfFileWriter(io.BytesIO(path.read_bytes()))
    info = writer.trailer["/Info"].get_object()
    info["/Title"] = generic.TextStringObject("FORGED TITLE")
    writer.update_container(info)
    edited = io.BytesIO()
    writer.write(edited)
    stamper = PdfTimeStamper(timestamps.HTTPTimeStamper(tsa.url))
    sealed = outside_event_loop(
        lambda: stamper.timestamp_pdf(IncrementalPdfFileWriter(edited), "sha256", timestamper=None, in_place=False)
    ).getvalue()
    verdict = verify_report(sealed, trust_roots=[both.read_bytes()], vkeys=[vkey])
    assert not verdict.ok and verdict.first_failure.name == "coverage"
    assert "metadata was changed after signing" in verdict.first_failure.detail
    assert "/Title" in verdict.first_failure.detail
