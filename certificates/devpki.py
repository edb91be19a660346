"""A development PKI for signing PDF reports: a CA and a document-signing certificate issued by it,
both ECDSA P-256, written to the instance folder at `flask init`.

- `report-ca.pem` (0644): the CA certificate, the trust root a reader or `verify-report --trust` needs;
- `report-ca.key` (0600): the CA's key, kept so that the instance can issue a new signing
  certificate when this one expires;
- `report-signing.p12` (0600): the signing key and certificate with the CA's, as a PKCS#12 file
  encrypted with the password from `REPORT_SIGNING_PASSWORD`, or a generated one kept in
  `report-signing.pass` (0600);
- `report-ca.crl` (0644): the CA's certificate revocation list, issued again by `current_crl` when it
  is due (every signature embeds a fresh one, PAdES B-LT) and served at the URL the signing
  certificate names.

The signing certificate carries key usage digitalSignature and nonRepudiation and two extended key
usages: document signing (1.3.6.1.5.5.7.3.36, RFC 9336), what the certificate is for, and email
protection (1.3.6.1.5.5.7.3.4), because NSS (poppler's `pdfsig`, Firefox, Evince, Okular) checks a PDF
signer as an S/MIME signer and rejects a certificate whose extended key usages lack it; Acrobat
accepts either, and pyHanko checks key usage only. A production instance replaces the PKCS#12 with one
from a real CA (see certificates/README.md); nothing here is ever committed.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning, RFC 9336
CA_YEARS, SIGNER_YEARS = 10, 2
CRL_DAYS, CRL_RENEW_DAYS = 7, 1  # a CRL is valid a week and issued again when a day is left
CA_FILE, CA_KEY_FILE, P12_FILE, PASSWORD_FILE, CRL_FILE = (
    "report-ca.pem",
    "report-ca.key",
    "report-signing.p12",
    "report-signing.pass",
    "report-ca.crl",
)
CRL_PATH = "/pki/report-ca.crl"  # where the registry serves the CRL, under its public URL
LOCK_FILE = ".report-pki.lock"


@dataclass(frozen=True)
class DevPki:
    ca_path: Path
    p12_path: Path
    created: bool


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )


def _private_file(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def issue_ca(organisation: str, now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(f"{organisation} report signing CA (development)", organisation)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def issue_signer(
    ca_key: ec.EllipticCurvePrivateKey,
    ca: x509.Certificate,
    organisation: str,
    now: datetime,
    crl_url: str = "",
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{organisation} compliance reports", organisation))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * SIGNER_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([DOCUMENT_SIGNING, x509.oid.ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


def issue_crl(
    ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate, now: datetime
) -> x509.CertificateRevocationList:
    """An empty CRL of the CA (it has revoked nothing), valid for CRL_DAYS."""
    return (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(now + timedelta(days=CRL_DAYS))
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def current_crl(folder: Path, password: bytes, now: datetime) -> bytes | None:
    """The development CA's CRL (DER), issued again and written to `report-ca.crl` when the one there
    expires within CRL_RENEW_DAYS; None when the folder holds no development CA (an operator's
    certificate: its CA publishes its own revocation data)."""
    key_path, ca_path, crl_path = folder / CA_KEY_FILE, folder / CA_FILE, folder / CRL_FILE
    if not key_path.exists() or not ca_path.exists():
        return None
    with open(folder / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if crl_path.exists():
            crl = x509.load_der_x509_crl(crl_path.read_bytes())
            due = crl.next_update_utc
            if due is not None and due - now > timedelta(days=CRL_RENEW_DAYS) and crl.last_update_utc <= now:
                return crl_path.read_bytes()
        ca_key = serialization.load_pem_private_key(key_path.read_bytes(), password)
        ca = x509.load_pem_x509_certificate(ca_path.read_bytes())
        if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{key_path.name} is not the development CA's EC key")
        der = issue_crl(ca_key, ca, now).public_bytes(serialization.Encoding.DER)
        temporary = crl_path.with_suffix(".crl.tmp")
        temporary.write_bytes(der)
        temporary.replace(crl_path)
        return der


def signing_password(folder: Path, environment: dict) -> tuple[bytes, bool]:
    """The PKCS#12 password: `REPORT_SIGNING_PASSWORD`, else the one kept in the instance folder
    (generated on first use). Returns it and whether it was generated now."""
    given = environment.get("REPORT_SIGNING_PASSWORD")
    if given:
        return given.encode(), False
    path = folder / PASSWORD_FILE
    try:
        _private_file(path, (secrets.token_urlsafe(24) + "\n").encode())
        generated = True
    except FileExistsError:
        generated = False
    return path.read_text().strip().encode(), generated


def ensure_dev_pki(
    folder: Path, *, organisation: str, now: datetime, environment: dict | None = None, crl_base_url: str = ""
) -> DevPki:
    """Create the development CA and signing certificate in `folder` unless a PKCS#12 is there
    already (an operator's own, or an earlier init's): never overwrites anything."""
    p12_path, ca_path = folder / P12_FILE, folder / CA_FILE
    # Two inits started together: one makes the PKI, the other waits here and then finds it.
    with open(folder / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if p12_path.exists():
            return DevPki(ca_path, p12_path, created=False)
        return _create(
            folder, organisation, now, dict(os.environ) if environment is None else environment, crl_base_url
        )


def _create(folder: Path, organisation: str, now: datetime, environment: dict, crl_base_url: str) -> DevPki:
    p12_path, ca_path = folder / P12_FILE, folder / CA_FILE
    password, _ = signing_password(folder, environment)
    ca_key, ca = issue_ca(organisation, now)
    crl_url = crl_base_url.rstrip("/") + CRL_PATH if crl_base_url else ""
    key, certificate = issue_signer(ca_key, ca, organisation, now, crl_url)
    _private_file(
        folder / CA_KEY_FILE,
        ca_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password),
        ),
    )
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / CRL_FILE).write_bytes(issue_crl(ca_key, ca, now).public_bytes(serialization.Encoding.DER))
    _private_file(
        p12_path,
        pkcs12.serialize_key_and_certificates(
            b"report-signing", key, certificate, [ca], serialization.BestAvailableEncryption(password)
        ),
    )
    return DevPki(ca_path, p12_path, created=True)


def load_signer(p12_path: Path, password: bytes):
    """(key, certificate, chain) from the PKCS#12; raises ValueError for a wrong password."""
    key, certificate, chain = pkcs12.load_key_and_certificates(p12_path.read_bytes(), password)
    return key, certificate, chain
