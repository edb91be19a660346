"""Verify a signed Serial Ledger report without the registry: `python -m audit verify-report FILE.pdf`.

A report is a PDF/A-3 document with one PAdES signature and an embedded `evidence.json`:

    {"format": "serial-ledger/report-evidence/1",
     "report": {"id", "type", "title", "params", "template": {"name", "revision"}, "generated_at", "issuer"},
     "log": {"origin", "vkey", "checkpoint": "<C2SP signed checkpoint note>"},
     "entries": [{"index": 12, "body": "<the entry's RFC 8785 JSON text>"}, ...],
     "proof": {"size": N, "ranges": {"<start>-<end>": "<hex tree hash of leaves [start, end)>", ...}}}

The inclusion proof of entry i is the list of `ranges` named by `audit.merkle.inclusion_ranges(i, N)`;
ranges shared by several entries are written once.

The checks, each reported by name:
  signature  one signature, its CMS intact and cryptographically valid
  trust      the signing certificate chains to a given trust root (`--trust CA.pem`) and was valid
             when it signed: now, or, for a PAdES B-LTA file, at the time its archive timestamp
             proves, with the revocation data the file embeds (so it stays valid after the signing
             certificate expires)
  coverage   the signature covers the whole file, or (B-LTA) its own revision followed only by
             validation data and archive timestamps, the last of which covers the whole file
  timestamp  when the signature carries a timestamp token (PAdES B-T), the token is valid
  archive    when the file carries document timestamps (B-LTA), the last one is valid and trusted
  evidence   `evidence.json` is attached and well formed
  checkpoint the checkpoint note is signed by the log's key (`--vkey`, else the key the evidence names)
  witnesses  with a policy (`--policy FILE`), the checkpoint is cosigned by its witness quorum
  inclusion  every entry's leaf hash, from its body, is proved included in the checkpoint's tree
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Protocol, Sequence, TypeVar

from audit import checkpoint as checkpoints
from audit import merkle
from audit.errors import VerificationError
from audit.policy import Policy, check_quorum

T = TypeVar("T")
EVIDENCE_NAME = "evidence.json"
EVIDENCE_FORMAT = "serial-ledger/report-evidence/1"


class PdfReader(Protocol):
    """What is read here of pyHanko's `PdfFileReader` (pyHanko is imported only inside functions)."""

    @property
    def root(self) -> Mapping[str, Any]: ...


# What each PAdES baseline level (ETSI EN 319 142-1) means to someone relying on the report.
LEVELS = {
    "B-B": "signed; the signing time is the signer's own claim, so once the certificate expires nobody can "
    "tell this signature from one made afterwards",
    "B-T": "signed, and a timestamp authority vouches that the signature existed at the time it states",
    "B-LT": "timestamped, with the certificate chain and revocation data embedded: checkable without asking anyone",
    "B-LTA": "timestamped, with the validation data embedded and sealed by an archive timestamp: it stays "
    "checkable after the signing certificate expires",
}


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass
class ReportVerdict:
    sha256: str
    checks: list[Check] = field(default_factory=list)
    evidence: dict[str, Any] | None = None
    signer: str | None = None
    signed_at: datetime | None = None
    timestamped_at: datetime | None = None
    trusted_log_key: bool = False
    level: str = ""  # the PAdES baseline level: B-B, B-T, B-LT or B-LTA

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)

    @property
    def level_meaning(self) -> str:
        return LEVELS.get(self.level, "")

    @property
    def first_failure(self) -> Check | None:
        return next((check for check in self.checks if not check.passed), None)

    def add(self, name: str, passed: bool, detail: str) -> bool:
        self.checks.append(Check(name, passed, detail))
        return passed

    def summary(self) -> str:
        failure = self.first_failure
        if failure is not None:
            return f"INVALID: {failure.name}: {failure.detail}"
        report = (self.evidence or {}).get("report", {})
        return (
            f"VALID: {report.get('title', 'report')} ({report.get('type')}), signed by {self.signer} "
            f"(PAdES {self.level}); "
            f"{len((self.evidence or {}).get('entries', []))} ledger entries proved against checkpoint size "
            f"{(self.evidence or {}).get('proof', {}).get('size')}"
        )


def outside_event_loop(function: Callable[[], T]) -> T:
    """Call `function` (pyHanko's synchronous API, which runs its own asyncio loop) on this thread, or
    on a short-lived thread of its own when this one already runs an event loop (an async server, a
    test harness driving a browser), where pyHanko's `asyncio.run` would refuse to start."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


def load_trust_roots(pem_or_der: Sequence[bytes]) -> list[Any]:
    """asn1crypto `x509.Certificate`s (asn1crypto has no type information) of PEM or DER data."""
    from asn1crypto import pem, x509

    roots: list[Any] = []
    for data in pem_or_der:
        if pem.detect(data):
            roots.extend(x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True))
        else:
            roots.append(x509.Certificate.load(data))
    return roots


def _level(reader: Any, signature_timestamp: bool, archive_timestamps: int) -> str:
    """The PAdES baseline level (ETSI EN 319 142-1): B-T adds a signature timestamp, B-LT the
    chain and revocation data in the document security store, B-LTA a document timestamp over it."""
    dss = reader.root.get("/DSS")
    dss = dss.get_object() if dss is not None else {}
    revocation = bool(dss.get("/Certs")) and bool(dss.get("/CRLs") or dss.get("/OCSPs"))
    if not signature_timestamp:
        return "B-B"
    if not revocation:
        return "B-T"
    return "B-LTA" if archive_timestamps else "B-LT"


def _long_term_trust(signature: Any, roots: list[Any], at: datetime | None) -> tuple[bool, str]:
    """ETSI EN 319 102-1 validation of a signature with archive timestamps (pyHanko's AdES LTA
    process): the signature judged at the time its timestamps prove, with the validation data the
    file embeds and nothing fetched."""
    from pyhanko.sign.ades.report import AdESPassed
    from pyhanko.sign.validation import ades
    from pyhanko.sign.validation.policy_decl import (
        PdfSignatureValidationSpec,
        RevinfoOnlineFetchingRule,
        RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
    from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule
    from pyhanko_certvalidator.registry import SimpleTrustManager

    declared = RevocationCheckingRule.CHECK_IF_DECLARED
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=roots),
                revinfo_policy=CertRevTrustPolicy(
                    RevocationCheckingPolicy(ee_certificate_rule=declared, intermediate_ca_cert_rule=declared)
                ),
            ),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.NO_HISTORICAL_FETCH, fetcher_backend=None
            ),
        )
    )
    moment = at or datetime.now(timezone.utc)
    timing = ValidationTimingInfo(validation_time=moment, best_signature_time=moment, point_in_time_validation=False)
    result = outside_event_loop(lambda: asyncio.run(ades.ades_lta_validation(signature, spec, timing_info=timing)))
    if result.ades_subindic == AdESPassed.OK:
        return True, f"valid at {result.best_signature_time:%Y-%m-%d %H:%M:%S} UTC, as its archive timestamps prove"
    return False, f"long-term validation says {result.ades_subindic}"


UPDATABLE = {"ModDate", "ModifyDate", "MetadataDate", "Producer"}


def _metadata(reader: Any) -> dict[str, str]:
    """The document information and XMP fields of a PDF, but the dates and producer an archival
    update may write."""
    from pyhanko.pdf_utils.metadata.xmp_xml import parse_xmp

    fields: dict[str, str] = {}
    try:
        info = reader.trailer["/Info"]
    except KeyError:
        info = None
    for key, value in info.get_object().items() if info is not None else []:
        if str(key).lstrip("/") not in UPDATABLE:
            fields[f"document information {key}"] = str(value)
    stream = reader.root.get("/Metadata")
    if stream is not None:
        for structure in parse_xmp(io.BytesIO(stream.get_object().data)):
            for name, value in structure:
                if name.local_name not in UPDATABLE:
                    fields[f"XMP {name.local_name}"] = repr(value)
    return fields


def _metadata_changed(data: bytes, signature: Any) -> str | None:
    """Which metadata field differs between the signed revision and the whole file, if any."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    start, first, second, length = signature.byte_range
    signed = _metadata(PdfFileReader(io.BytesIO(data[: second + length]), strict=False))
    final = _metadata(PdfFileReader(io.BytesIO(data), strict=False))
    differing = sorted(key for key in signed.keys() | final.keys() if signed.get(key) != final.get(key))
    return ", ".join(differing) or None


def _signature_checks(
    verdict: ReportVerdict, data: bytes, trust_roots: Sequence[bytes], at: datetime | None = None
) -> PdfReader | None:
    """pyHanko's validation of the one signature; returns the reader when the file can be trusted
    as signed (intact, covering the file), else None."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_regular_signatures
        archives = reader.embedded_timestamp_signatures
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError) as error:
        verdict.add("signature", False, f"the file is not a readable PDF: {error}")
        return None
    if len(signatures) != 1:
        verdict.add("signature", False, f"expected one signature, found {len(signatures)}")
        return None
    roots = load_trust_roots(trust_roots)
    context = ValidationContext(trust_roots=roots, allow_fetching=False, moment=at)
    try:
        status = outside_event_loop(lambda: validate_pdf_signature(signatures[0], context))
        archive = (
            outside_event_loop(
                lambda: validate_pdf_timestamp(
                    archives[-1], ValidationContext(trust_roots=roots, allow_fetching=False, moment=at)
                )
            )
            if archives
            else None
        )
    except Exception as error:  # pyHanko raises many types for a mangled signature; all mean invalid
        verdict.add("signature", False, f"the signature cannot be validated: {type(error).__name__}: {error}")
        return None
    verdict.signer = status.signing_cert.subject.human_friendly if status.signing_cert else None
    verdict.signed_at = status.signer_reported_dt
    if not verdict.add(
        "signature",
        status.intact and status.valid,
        "intact and valid"
        if status.intact and status.valid
        else "the signed bytes were changed: the digest does not match"
        if not status.intact
        else "the signature value does not verify",
    ):
        return None
    verdict.level = _level(reader, status.timestamp_validity is not None, len(archives))
    trusted, how = bool(status.trusted), ""
    if verdict.level == "B-LTA" and trust_roots:
        trusted, how = _long_term_trust(signatures[0], roots, at)
    verdict.add(
        "trust",
        trusted,
        f"{verdict.signer} chains to a trust root" + (f"; {how}" if how else "")
        if trusted
        else f"{verdict.signer}: {how}"
        if how
        else f"{verdict.signer} does not chain to any given trust root, or its certificate was not valid then"
        if trust_roots
        else "no trust root given (--trust CA.pem)",
    )
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    archived = (
        archive is not None
        and status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and status.modification_level == ModificationLevel.LTA_UPDATES
        and archive.coverage == SignatureCoverageLevel.ENTIRE_FILE
    )
    # pyHanko counts rewritten document information or XMP as an archival update; only the dates
    # and the producer a timestamping tool writes may change.
    changed = _metadata_changed(data, signatures[0]) if archived else None
    if not verdict.add(
        "coverage",
        whole or (archived and changed is None),
        "the signature covers the whole file"
        if whole
        else f"the document's metadata was changed after signing: {changed}"
        if changed
        else "the signature covers its revision; after it come only validation data and archive timestamps, "
        "the last of which covers the whole file"
        if archived
        else "the file was changed after signing (an incremental update or appended bytes)",
    ):
        return None
    if archive is not None:
        tsa = archive.signing_cert.subject.human_friendly if archive.signing_cert else "an unnamed authority"
        verdict.add(
            "archive",
            archive.intact and archive.valid and bool(archive.trusted),
            f"document timestamp of {archive.timestamp:%Y-%m-%d %H:%M:%S} UTC by {tsa} over the signature and "
            "its validation data"
            if archive.intact and archive.valid and archive.trusted
            else "the document timestamp does not verify"
            if not (archive.intact and archive.valid)
            else f"the document timestamp of {tsa} does not chain to any given trust root",
        )
    token = status.timestamp_validity
    if token is not None:
        verdict.timestamped_at = token.timestamp
        tsa = token.signing_cert.subject.human_friendly if token.signing_cert else "an unnamed authority"
        verdict.add(
            "timestamp",
            token.trusted,
            f"timestamp token of {token.timestamp.isoformat()} by {tsa}"
            if token.trusted
            else "the timestamp token does not verify"
            if not (token.intact and token.valid)
            else f"the timestamp token of {tsa} does not chain to any given trust root "
            "(add the timestamp authority's CA with --trust)",
        )
    return reader


def _embedded_files(reader: PdfReader) -> dict[str, bytes]:
    names = reader.root.get("/Names")
    tree = names.get_object().get("/EmbeddedFiles") if names is not None else None
    listed = list(tree.get_object().get("/Names", [])) if tree is not None else []
    found: dict[str, bytes] = {}
    for name, spec in zip(listed[::2], listed[1::2]):
        found[str(name)] = spec.get_object()["/EF"]["/F"].get_object().data
    return found


def read_evidence(verdict: ReportVerdict, reader: PdfReader) -> dict[str, Any] | None:
    try:
        attached = _embedded_files(reader)
    except (KeyError, TypeError, AttributeError) as error:
        verdict.add("evidence", False, f"the attachments cannot be read: {error}")
        return None
    if EVIDENCE_NAME not in attached:
        verdict.add("evidence", False, f"no {EVIDENCE_NAME} is attached")
        return None
    try:
        evidence: dict[str, Any] = json.loads(attached[EVIDENCE_NAME])  # not a dict: `.get` fails below
        if evidence.get("format") != EVIDENCE_FORMAT:
            raise ValueError(f"format is {evidence.get('format')!r}, not {EVIDENCE_FORMAT!r}")
        for key in ("report", "log", "entries", "proof"):
            if key not in evidence:
                raise ValueError(f"{key!r} is missing")
    except (ValueError, AttributeError) as error:
        verdict.add("evidence", False, f"{EVIDENCE_NAME} is not report evidence: {error}")
        return None
    verdict.add("evidence", True, f"{EVIDENCE_NAME} lists {len(evidence['entries'])} ledger entries")
    return evidence


def verify_evidence(
    verdict: ReportVerdict, evidence: dict[str, Any], vkeys: Sequence[str], policy: Policy | None = None
) -> None:
    """The checkpoint's signature (and its witnesses' quorum, with a policy) and every entry's
    inclusion in its tree."""
    log = evidence["log"]
    verdict.trusted_log_key = bool(vkeys)
    keys = list(vkeys) or [log.get("vkey", "")]
    try:
        checkpoint = checkpoints.open_checkpoint(log["checkpoint"], keys, origin=log.get("origin"), all_keys=True)
    except (VerificationError, KeyError, TypeError) as error:
        verdict.add("checkpoint", False, f"the checkpoint does not verify: {error}")
        return
    verdict.add(
        "checkpoint",
        True,
        f"signed checkpoint of {checkpoint.origin} at size {checkpoint.size}"
        + ("" if vkeys else " (checked with the key the evidence names; pass --vkey to trust it)"),
    )
    if policy is not None:
        try:
            check_quorum(log["checkpoint"], policy, keys, origin=log.get("origin"))
        except (VerificationError, ValueError) as error:
            verdict.add("witnesses", False, str(error))
            return
        verdict.add("witnesses", True, f"the checkpoint is cosigned by the quorum {policy.describe()}")
    proof = evidence["proof"]
    try:
        if proof["size"] != checkpoint.size:
            raise VerificationError(f"the proofs are for size {proof['size']}, the checkpoint is {checkpoint.size}")
        ranges = {key: bytes.fromhex(value) for key, value in proof["ranges"].items()}
        for entry in evidence["entries"]:
            index, body = entry["index"], entry["body"].encode("utf-8")
            event = json.loads(body)
            if not isinstance(event, dict) or event.get("index") != index:
                raise VerificationError(f"entry {index}: its body names index {event.get('index')!r}")
            path = [ranges[f"{start}-{end}"] for start, end in merkle.inclusion_ranges(index, checkpoint.size)]
            merkle.verify_inclusion(merkle.leaf_hash(body), index, checkpoint.size, path, checkpoint.root)
    except KeyError as error:
        verdict.add("inclusion", False, f"the proof lacks the tree hash of range {error}")
        return
    except (VerificationError, ValueError, TypeError, AttributeError) as error:
        verdict.add("inclusion", False, str(error))
        return
    verdict.add("inclusion", True, f"all {len(evidence['entries'])} entries are in the log at size {checkpoint.size}")


def pyhanko_available() -> bool:
    """Whether pyHanko, which checks a PDF's signature, is installed (the ledger commands need it not)."""
    try:
        import pyhanko  # noqa: F401
    except ImportError:
        return False
    return True


def verify_report(
    data: bytes,
    *,
    trust_roots: Sequence[bytes] = (),
    vkeys: Sequence[str] = (),
    at: datetime | None = None,
    policy: Policy | None = None,
) -> ReportVerdict:
    """Every check of the module docstring, stopping at the first that leaves nothing to check;
    `at` checks the signature as a reader would on that day (default: now)."""
    verdict = ReportVerdict(sha256=hashlib.sha256(data).hexdigest())
    reader = _signature_checks(verdict, data, trust_roots, at)
    if reader is None:
        return verdict
    evidence = read_evidence(verdict, reader)
    if evidence is None:
        return verdict
    verdict.evidence = evidence
    verify_evidence(verdict, evidence, vkeys, policy)
    return verdict
