"""The development PKI that `init` makes for signing PDF reports: a CA and a document-signing
certificate, keys 0600, never overwritten, and left alone when the operator brings their own."""

from __future__ import annotations

import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from certificates.devpki import DOCUMENT_SIGNING, ensure_dev_pki, load_signer, signing_password
from registry.instance import initialise

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_writes_a_ca_and_a_document_signing_certificate(ctx, clock):
    initialise(ctx, demo=False, now=clock)
    folder = Path(ctx.instance_path)
    password, _ = signing_password(folder, {})
    key, certificate, chain = load_signer(folder / "report-signing.p12", password)
    ca = x509.load_pem_x509_certificate((folder / "report-ca.pem").read_bytes())
    certificate.verify_directly_issued_by(ca)
    assert [c.fingerprint(c.signature_hash_algorithm) for c in chain] == [ca.fingerprint(ca.signature_hash_algorithm)]
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    # Document signing is what it is for; email protection is what NSS (poppler, Firefox) requires of a
    # PDF signer before it calls the certificate trusted.
    assert list(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        DOCUMENT_SIGNING,
        x509.oid.ExtendedKeyUsageOID.EMAIL_PROTECTION,
    ]
    assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    assert {
        name: mode(folder / name) for name in ("report-signing.p12", "report-ca.key", "report-signing.pass")
    } == dict.fromkeys(("report-signing.p12", "report-ca.key", "report-signing.pass"), 0o600)


def test_a_second_init_keeps_the_certificate(ctx, clock):
    initialise(ctx, demo=False, now=clock)
    p12 = Path(ctx.instance_path) / "report-signing.p12"
    before = p12.read_bytes()
    initialise(ctx, demo=False, now=clock)
    assert p12.read_bytes() == before


def test_the_pkcs12_opens_only_with_its_password(tmp_path):
    ensure_dev_pki(tmp_path, organisation="Acme", now=NOW, environment={"REPORT_SIGNING_PASSWORD": "s3cret pass"})
    assert not (tmp_path / "report-signing.pass").exists()  # the operator's password is not written down
    load_signer(tmp_path / "report-signing.p12", b"s3cret pass")
    with pytest.raises(ValueError):
        load_signer(tmp_path / "report-signing.p12", b"wrong")


def test_an_operators_own_certificate_elsewhere_means_no_development_one(tmp_path, clock):
    from registry import create_app
    from registry.extensions import db

    own = tmp_path / "elsewhere" / "company.p12"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'registry.sqlite3'}",
            "REGISTRY_INSTANCE": str(tmp_path / "instance"),
            "LEDGER_ORIGIN": "pki.example/log",
            "REPORT_SIGNING_P12": str(own),
        }
    )
    with app.app_context():
        initialise(app, demo=False, now=clock)
        db.session.remove()
        db.engine.dispose()
    assert not (Path(app.instance_path) / "report-signing.p12").exists() and not own.exists()
