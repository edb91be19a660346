"""PAdES signatures on report PDFs with pyHanko.

Every signature embeds what a reader needs to check it years later without asking anyone: the
certificate chain and the CA's revocation list in the document security store (DSS). The
development CA issues its CRL here (certificates/devpki.py); an operator's CA is asked online at
signing time. With a timestamp authority (`REPORT_TSA_URL`, RFC 3161) the signature carries a
signature timestamp and the file ends with a document timestamp over the signature and the DSS:
PAdES B-LTA, which stays verifiable after the signing certificate expires. Without one it is B-B
with the validation data embedded (B-LT needs a trusted time).

The file stays PDF/A-3b, which is PDF 1.7: pyHanko raises the catalogue's version to 2.0 for an
ECDSA key (to declare the ISO 32002 extension); the writer here keeps 1.7, where ECDSA signatures
are part of PAdES (ETSI EN 319 142-1) already.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import DeveloperExtension
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.signers import pdf_signer
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

from audit.report import load_trust_roots, outside_event_loop
from certificates.devpki import CA_FILE, current_crl
from registry.errors import RegistryError

FIELD_NAME = "SerialLedgerReport"
TIMESTAMP_FIELD = "SerialLedgerArchiveTimestamp"
PDF_A3_VERSION = (1, 7)


class SigningError(RegistryError):
    """The signing certificate cannot be used (missing, wrong password, no revocation data) or the
    TSA refused: the operator's to fix, not the caller's, so a request meets 503."""

    status = 503
    code = "signing_unavailable"
    title = "Report signing unavailable"


class PdfA3Writer(IncrementalPdfFileWriter):
    """An incremental writer that never raises the document above PDF 1.7 (PDF/A-3's base) nor
    declares a PDF 2.0 extension in it."""

    def ensure_output_version(self, version):
        super().ensure_output_version(min(tuple(version), PDF_A3_VERSION))

    def register_extension(self, ext: DeveloperExtension):
        if str(ext.base_version).lstrip("/") > "1.7":
            return
        super().register_extension(ext)


@dataclass(frozen=True)
class SigningSetup:
    p12_path: Path
    password: bytes
    tsa_url: str = ""
    location: str = ""
    trust_pem: tuple[bytes, ...] = field(default=())

    def signer(self) -> signers.SimpleSigner:
        if not self.p12_path.exists():
            raise SigningError(
                f"no report signing certificate at {self.p12_path.name}: run `flask --app wsgi init` "
                "or set REPORT_SIGNING_P12"
            )
        signer = signers.SimpleSigner.load_pkcs12(pfx_file=str(self.p12_path), passphrase=self.password)
        if signer is None:
            raise SigningError(f"cannot open {self.p12_path.name}: wrong REPORT_SIGNING_PASSWORD?")
        return signer

    def revocation_list(self, now: datetime | None = None) -> bytes | None:
        """The development CA's current CRL (DER) when the certificate is the development one kept
        beside its CA, else None."""
        try:
            return current_crl(self.p12_path.parent, self.password, now or datetime.now(timezone.utc))
        except ValueError as error:  # a CA key this password does not open
            raise SigningError(f"cannot issue the development CA's revocation list: {error}") from None

    def _development_signer(self, signer: signers.SimpleSigner) -> bool:
        """Whether the certificate was issued by the development CA kept beside it (an operator's
        certificate dropped into the instance folder is not, whatever files are there)."""
        ca_path = self.p12_path.parent / CA_FILE
        if not ca_path.exists():
            return False
        roots = load_trust_roots([ca_path.read_bytes()])
        return bool(roots) and signer.signing_cert.issuer == roots[0].subject

    def validation_context(self, signer: signers.SimpleSigner) -> ValidationContext:
        """The chain and revocation data to embed: the development CRL issued now, or, for an
        operator's CA, whatever its certificates name (fetched online)."""
        crl = self.revocation_list() if self._development_signer(signer) else None
        chain = list(signer.cert_registry)
        roots = load_trust_roots(self.trust_pem) + [cert for cert in chain if cert.self_signed == "maybe"]
        return ValidationContext(
            trust_roots=roots,
            other_certs=chain,
            crls=[crl] if crl else [],
            allow_fetching=crl is None,
            revocation_mode="hard-fail" if crl else "soft-fail",
        )


def sign_pdf(pdf: bytes, setup: SigningSetup, *, reason: str) -> bytes:
    """The PDF with one PAdES signature over the whole file and its validation data, added as
    incremental updates (and a document timestamp after them when a TSA is configured)."""
    signer = setup.signer()
    context = setup.validation_context(signer)
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=setup.location or None,
        signer_key_usage={"digital_signature"},
        validation_context=context,
        embed_validation_info=True,
        # The chain and CRL go into the signed revision itself: the signature covers the whole file
        # (B-B), or everything but the archive timestamp's revision that follows it (B-LTA).
        dss_settings=pdf_signer.DSSContentSettings(
            placement=pdf_signer.SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False
        ),
        use_pades_lta=bool(setup.tsa_url),
        timestamp_field_name=TIMESTAMP_FIELD,
    )
    timestamper = timestamps.HTTPTimeStamper(setup.tsa_url, timeout=20) if setup.tsa_url else None
    writer = PdfA3Writer(io.BytesIO(pdf))
    try:
        out = outside_event_loop(lambda: signers.sign_pdf(writer, metadata, signer=signer, timestamper=timestamper))
    except timestamps.TimestampRequestError as error:
        raise SigningError(f"the timestamp authority did not answer: {error}") from None
    except (PathBuildingError, PathValidationError) as error:
        raise SigningError(
            f"the validation data to embed cannot be gathered: {error}. REPORT_TRUST_PEM must hold the root of "
            "the signing certificate and, with REPORT_TSA_URL, the root of the timestamp authority's"
        ) from None
    return out.getvalue()
