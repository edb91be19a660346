"""Issuing a report: build it, prove it, render it, sign it, keep it, and record `report.issued`.

The report is read and rendered outside any write transaction (a bound book can take minutes); only
the final append takes the ledger's write lock. The evidence is proved against the latest signed
checkpoint when the report is built, so the `report.issued` entry always comes after every entry
the report shows.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Iterator

from sqlalchemy.orm import Session

from audit.policy import Policy
from registry.custody import queries as custody_queries
from registry.ledger.events import NewEvent, format_time
from registry.ledger.locking import write_transaction
from registry.ledger.service import LedgerService
from registry.reports import catalog, evidence, layout, pades, pdf, tablefont, textlayer
from registry.reports.models import IssuedReport
from registry.reports.store import ReportStore

TEMPLATE_FOLDER = Path(__file__).resolve().parent.parent.parent / "templates" / "reports" / "pdf"
PART_ROWS = 600  # rows of a long table per part rendered on its own (about 24 landscape pages)
TABLE_FAMILY = "Report Table"  # the CSS family of the table face (templates/reports/pdf/_page_style.html)

Progress = Callable[[int, str], None]


REPORTS_PACKAGE = Path(__file__).resolve().parent


def revision_files() -> list[Path]:
    """What decides how a report looks: its templates, stylesheet and fonts, and the code that lays
    out tables and chooses their columns."""
    made = [path for path in TEMPLATE_FOLDER.rglob("*") if path.is_file() and path.suffix in (".html", ".css", ".ttf")]
    code = [REPORTS_PACKAGE / name for name in ("layout.py", "catalog.py", "tablefont.py", "textlayer.py")]
    return sorted(made) + code + sorted((REPORTS_PACKAGE / "types").glob("*.py"))


def template_revision() -> str:
    """SHA-256 over `revision_files()`, each named by its path under the project: which layout a
    PDF was made with."""
    digest = hashlib.sha256()
    root = TEMPLATE_FOLDER.parents[2]
    for path in revision_files():
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class Renderer:
    """How HTML is made (the app's Jinja templates) and turned into PDF (processes, rows per part)."""

    render_template: Callable[..., str]
    workers: int = 2
    part_rows: int = PART_ROWS

    @property
    def base_url(self) -> str:
        return TEMPLATE_FOLDER.as_uri() + "/"


class ReportService:
    def __init__(
        self,
        session: Session,
        ledger: LedgerService,
        *,
        signing: pades.SigningSetup,
        store: ReportStore,
        origin: str,
        vkey: str,
        renderer: Renderer,
        organisation: str = "",
        witness_policy: Policy | None = None,
    ):
        self.session, self.ledger = session, ledger
        self.signing, self.store, self.renderer = signing, store, renderer
        self.origin, self.vkey, self.organisation = origin, vkey, organisation
        self.witness_policy = witness_policy  # evidence prefers a checkpoint that meets its quorum

    def check(self, report_type: str, params: dict) -> dict:
        """The request's parameters, checked and normalised (ReportError naming the field if not)."""
        if not isinstance(params, dict):
            raise catalog.ReportError("'params' must be an object", field="params")
        kind = catalog.report_type(report_type)
        # A misspelt name would otherwise be ignored, and the report issued for a wider scope than
        # asked (a bound book of every licensee instead of one).
        unknown = sorted(name for name in params if name not in kind.fields)
        if unknown:
            raise catalog.ReportError(
                f"{unknown[0]!r} is not a parameter of the {report_type} report; it takes "
                f"{', '.join(kind.fields) or 'none'}",
                code="unknown_parameter",
                field=unknown[0],
            )
        return kind.parse(self.session, params)

    def issue(
        self,
        report_type: str,
        params: dict,
        *,
        actor: str,
        personal: bool,
        now: datetime,
        progress: Progress | None = None,
    ) -> IssuedReport:
        step = progress or (lambda percent, message: None)
        kind = catalog.report_type(report_type)
        params = self.check(report_type, params)
        step(2, "reading the registry")
        with custody_queries.watching_personal_data() as shown_persons:
            draft = kind.build(self.session, params, personal=personal, now=now, origin=self.origin, vkey=self.vkey)
        # Whether the report holds private persons' data is what it shows, not what was asked for: a
        # report naming none is readable by every reader of reports.
        personal = bool(shown_persons)
        long = len(draft.table.rows if draft.table else draft.rows or ()) > self.renderer.part_rows
        pool = (
            pdf.start_workers(self.renderer.workers, self.renderer.base_url)
            if long and self.renderer.workers > 1
            else None
        )
        try:
            return self._issue(
                report_type, kind, params, draft, actor=actor, personal=personal, now=now, step=step, pool=pool
            )
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)

    def _issue(
        self,
        report_type: str,
        kind: catalog.ReportType,
        params: dict,
        draft: catalog.Draft,
        *,
        actor: str,
        personal: bool,
        now: datetime,
        step: Progress,
        pool,
    ) -> IssuedReport:
        report_id = str(uuid.uuid4())
        revision = template_revision()
        shown = {**params, "personal_data": personal}
        meta = {
            "id": report_id,
            "type": report_type,
            "title": draft.title,
            "params": shown,
            "template": {"name": draft.template, "revision": revision},
            "generated_at": format_time(now),
            "issuer": actor,
        }
        # Proved while the workers (started with the draft) warm up; embedded when the parts are joined.
        step(8, f"proving {len(draft.entries)} ledger entries")
        proved = evidence.stream(
            self.session, draft.entries, report=meta, origin=self.origin, vkey=self.vkey, policy=self.witness_policy
        )
        # Compressed as it is written: a 50,000-row book's evidence is 150 MB of JSON, 30 MB deflated.
        attachment = pdf.Attachment.deflated(
            "evidence.json",
            proved.chunks,
            "Ledger entries shown in this report, their inclusion proofs and "
            "the signed checkpoint they are proved against",
        )
        counts = {"checkpoint_size": proved.checkpoint_size, "evidence_entries": proved.entries}
        step(15, "laying out pages")
        parts = self._prelaid_parts(draft, meta, counts) if draft.table else self._parts(draft, meta, counts)
        numbering = (
            None
            if draft.table
            else (
                lambda total: self.renderer.render_template(
                    "reports/pdf/_numbering.html", pages=total, landscape=draft.landscape, report=meta
                )
            )
        )
        rendered = pdf.render_parts(
            parts,
            base_url=self.renderer.base_url,
            attachments=lambda: [attachment],
            workers=self.renderer.workers,
            numbering=numbering,
            pool=pool,
            progress=lambda done, total: step(15 + 75 * done // total, f"rendered part {done} of {total}"),
        )
        step(92, "signing")
        signed = pades.sign_pdf(rendered.pdf, self.signing, reason=f"{draft.title} ({report_type})")
        sha256 = self.store.put(signed)
        step(97, "recording report.issued")
        payload = {
            "report_id": report_id,
            "report_type": report_type,
            "title": draft.title,
            "params": shown,
            "sha256": sha256,
            "size": str(len(signed)),
            "pages": str(rendered.pages),
            "checkpoint_size": str(counts["checkpoint_size"]),
            "evidence_entries": str(counts["evidence_entries"]),
            "template_revision": revision,
        }
        with write_transaction(self.session):
            self.ledger.append([NewEvent("report.issued", payload)], actor=actor, now=now)
            self.session.flush()
            issued = self.session.get(IssuedReport, report_id)
        step(100, "done")
        return issued

    def _common(self, draft: catalog.Draft, meta: dict, counts: dict) -> dict:
        return {
            **draft.context,
            **counts,
            "report": meta,
            "title": draft.title,
            "landscape": draft.landscape,
            "organisation": self.organisation,
            "origin": self.origin,
        }

    def _parts(self, draft: catalog.Draft, meta: dict, counts: dict) -> list[str]:
        rows = draft.rows
        size = self.renderer.part_rows
        chunks = [rows[start : start + size] for start in range(0, len(rows), size)] if rows else [rows]
        common = self._common(draft, meta, counts)
        return [
            self.renderer.render_template(
                draft.template,
                **common,
                rows=chunk or [],
                part=number,
                parts=len(chunks),
                overlay_numbers=len(chunks) > 1,
            )
            for number, chunk in enumerate(chunks)
        ]

    def _prelaid_parts(self, draft: catalog.Draft, meta: dict, counts: dict) -> Iterator[pdf.Part]:
        """The table laid out on sheets here, the sheets dealt into parts of about `part_rows` rows."""
        table = draft.table
        font = layout.metrics(str(tablefont.TARGET), tuple(tablefont.LADDER))
        bold = layout.metrics(str(TEMPLATE_FOLDER / "fonts" / "DejaVuSans-Bold.ttf"))
        sheets = layout.lay_out(table.rows, table.columns, font, table.geometry)
        head, head_lines = layout.head_text(table.columns, bold, table.geometry, table.head_size_pt)
        groups, current, rows = [], [], 0
        for sheet in sheets:
            current.append(sheet)
            rows += sheet.rows
            if rows >= self.renderer.part_rows:
                groups.append(current)
                current, rows = [], 0
        if current or not groups:
            groups.append(current)
        common = self._common(draft, meta, counts)
        face = str(tablefont.TARGET)
        below = {}  # each page's lines after its first, written into the PDF (`textlayer`)
        for sheet in sheets:
            lines = sheet.text.split("\n")
            if textlayer.can_draw(lines, face):
                below[f"rows-{sheet.number}"] = lines[1:]
        shape = {
            "total": len(sheets),
            "columns": table.columns,
            "head": head,
            "head_lines": head_lines,
            "geometry": table.geometry,
            "head_size_pt": table.head_size_pt,
            "head_mm": table.head_mm,
            "first_head_mm": table.first_head_mm,
            "colours": table.colours,
            "width_mm": round(sum(c.width_mm for c in table.columns), 2),
        }
        return (
            pdf.Part(
                self.renderer.render_template(
                    draft.template,
                    **common,
                    table=SimpleNamespace(sheets=group, drawn=below, **shape),
                    part=number,
                    parts=len(groups),
                    overlay_numbers=True,
                    page_labels=True,
                ),
                textlayer.TextLayer(
                    TABLE_FAMILY,
                    face,
                    table.geometry.line_mm,
                    {block: below[block] for sheet in group if (block := f"rows-{sheet.number}") in below},
                ),
            )
            for number, group in enumerate(groups)
        )

    def pdf(self, report: IssuedReport) -> bytes:
        return self.store.get(report.sha256)
