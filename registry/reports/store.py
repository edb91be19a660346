"""Issued PDFs, kept in the instance folder under their SHA-256 and handed back byte for byte."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from registry.errors import RegistryError


class StoredReportError(RegistryError):
    """A stored PDF is missing, or its bytes no longer hash to the name it was stored under (the
    SHA-256 its `report.issued` event records): the store was damaged or tampered with."""

    status = 500
    code = "stored_report_damaged"
    title = "Stored report damaged"


class ReportStore:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise StoredReportError("not a SHA-256")
        return self.folder / f"{sha256}.pdf"

    def put(self, data: bytes) -> str:
        """Store the bytes (atomically, mode 0640); returns their SHA-256."""
        sha256 = hashlib.sha256(data).hexdigest()
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path(sha256)
        if target.exists():
            return sha256
        fd, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o640)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return sha256

    def get(self, sha256: str) -> bytes:
        try:
            data = self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise StoredReportError(f"the PDF {sha256[:12]}... is not in the report store") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise StoredReportError(
                f"the stored PDF {sha256[:12]}... was changed on disk: it no longer has "
                "the hash its report.issued event records"
            )
        return data
