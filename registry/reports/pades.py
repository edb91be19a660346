"""PAdES signatures on report PDFs with pyHanko: B-B with the configured PKCS#12, B-T when a
timestamp authority is configured (its token on the signature, RFC 3161)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps

from audit.report import outside_event_loop
from registry.errors import RegistryError

FIELD_NAME = "SerialLedgerReport"


class SigningError(RegistryError):
    """The signing certificate cannot be used (missing, wrong password) or the TSA refused: the
    operator's to fix, not the caller's, so a request meets 503."""

    status = 503
    code = "signing_unavailable"
    title = "Report signing unavailable"


@dataclass(frozen=True)
class SigningSetup:
    p12_path: Path
    password: bytes
    tsa_url: str = ""
    location: str = ""

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


def sign_pdf(pdf: bytes, setup: SigningSetup, *, reason: str) -> bytes:
    """The PDF with one PAdES signature over the whole file, added as an incremental update."""
    signer = setup.signer()
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=setup.location or None,
        signer_key_usage={"digital_signature"},
    )
    timestamper = timestamps.HTTPTimeStamper(setup.tsa_url, timeout=20) if setup.tsa_url else None
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    try:
        out = outside_event_loop(lambda: signers.sign_pdf(writer, metadata, signer=signer, timestamper=timestamper))
    except timestamps.TimestampRequestError as error:
        raise SigningError(f"the timestamp authority did not answer: {error}") from None
    return out.getvalue()
