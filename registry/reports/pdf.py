"""HTML to PDF/A-3b with WeasyPrint, one document or many page-sized parts rendered in parallel.

WeasyPrint lays a table out in Python, box by box: a bound book of a busy year is minutes of work
in one document, and an automatic table layout measures every row again on every page, so the cost
grows faster than the rows. A long report is therefore cut into parts of a few hundred rows (the
caller renders each part's HTML with the same stylesheet, fixed column widths and the running
header), the parts are laid out in several processes at once (this one and workers), and their
pages are joined in order into the first part's PDF/A document. The "Page X of Y" footer cannot be
laid out inside a part, which does not know where it starts or how many pages the others have:
once every part is done, a document of only footers is rendered for the real total with the same
page rule, and each of its pages is laid over the page of the same number. The result looks like
the single-document render.

The joined file keeps the first part's PDF/A-3 catalogue (metadata, output intent); the attachments
(the report's evidence) are embedded at the join as PDF/A-3 associated files, so no worker carries
them. The join embeds each font face once, subset to the glyphs any part drew (`fontshare`), so
every page of the report uses the same font objects (not one subset per part under one name). The
document information and the XMP metadata must agree (ISO 19005-3 6.6.3); the signature that follows writes its own
producer to both, so the join names WeasyPrint as the creator tool and leaves the producer to it.
"""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import uuid
import zlib
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable, Sequence

import pikepdf

from registry import clock
from registry.reports import fontshare, textlayer

PDF_VARIANT = "pdf/a-3b"


@dataclass(frozen=True)
class Attachment:
    """A file embedded in the PDF as a PDF/A-3 associated file of the document: `data`, or, made by
    `deflated`, its Flate-compressed bytes with its size and MD5."""

    name: str
    data: bytes
    description: str
    relationship: str = "Data"
    mime_type: str = "application/json"
    deflated_size: int | None = None  # set when `data` is already compressed
    md5: bytes | None = None

    @classmethod
    def deflated(cls, name: str, chunks: Iterable[bytes], description: str, **kinds) -> Attachment:
        """An attachment compressed as its pieces arrive: the whole file never stands in memory."""
        packer, digest, size, packed = zlib.compressobj(6), hashlib.md5(), 0, []
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            packed.append(packer.compress(chunk))
        packed.append(packer.flush())
        return cls(name, b"".join(packed), description, deflated_size=size, md5=digest.digest(), **kinds)


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    # A part written with whole fonts (`fontshare`): the glyphs it drew per face, and the programs
    # taken out of it that its process had not sent before.
    glyphs: dict | None = None
    programs: dict | None = None


def own_resources(base_url: str):
    """A WeasyPrint URL fetcher that fetches only the report's own resources: files under the folder
    of `base_url` (stylesheets, fonts) and data: URIs (the QR code). Anything else (http, https, ftp,
    a file elsewhere on the machine) is refused, so nothing a report shows can make the renderer
    reach out or read a file it should not."""
    from pathlib import Path
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher

    root = Path(unquote(urlsplit(base_url).path)).resolve()

    class OwnResources(URLFetcher):
        def fetch(self, url, headers=None):
            if url.lower().startswith("file:"):
                path = Path(unquote(urlsplit(url).path)).resolve()
                if not path.is_relative_to(root):
                    raise ValueError(f"not one of the report's own resources: {url}")
            return super().fetch(url, headers)

    return OwnResources(allowed_protocols={"file", "data"}, timeout=1, allow_redirects=False)


@dataclass(frozen=True)
class Part:
    """A part of a report: its HTML and, for prelaid pages, the lines written into its PDF after
    WeasyPrint has set each page's first (`textlayer`)."""

    html: str
    layer: textlayer.TextLayer | None = None


def render_html(
    html: str, base_url: str, *, shared_fonts: set[str] | None = None, layer: textlayer.TextLayer | None = None
) -> Rendered:
    """One HTML document to PDF/A-3b bytes, with its page count. With `shared_fonts` (the faces whose
    programs this process has sent already for the same report) it is a part whose fonts the join
    shares: it also tells the glyphs it drew and the whole programs not sent yet (see `fontshare`).
    A `layer` of lines drawn here needs the join's shared fonts, which embed its glyphs."""
    from weasyprint import HTML

    if layer is not None and shared_fonts is None:
        raise ValueError("lines drawn into a part need the join's shared fonts to embed their glyphs")
    document = HTML(string=html, base_url=base_url, url_fetcher=own_resources(base_url)).render()
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT, custom_metadata=True)
    if shared_fonts is None:
        return Rendered(pdf=pdf, pages=len(document.pages))
    glyphs = fontshare.drawn_glyphs(document)
    programs = fontshare.whole_programs(document, shared_fonts)
    if layer is not None:
        pdf, face, drawn = textlayer.draw(pdf, [page.anchors for page in document.pages], layer)
        if face is not None:
            own = glyphs.setdefault(face, {})
            for gid, glyph in drawn.items():
                own.setdefault(gid, glyph)  # WeasyPrint's width where it drew the glyph too
    return Rendered(pdf, len(document.pages), glyphs, programs)


def _malloc_trim():
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except AttributeError:
        return lambda: None
    return lambda: trim(0)


_TRIM = _malloc_trim()

# The faces each worker has sent the parent, per report: a program crosses the pipe once per worker.
_SENT: dict[str, set[str]] = {}


def _render_part(number: int, part: Part, base_url: str, report: str) -> tuple[int, Rendered]:
    if report not in _SENT:
        _SENT.clear()  # a worker serves one report at a time
        _SENT[report] = set()
    rendered = render_html(part.html, base_url, shared_fonts=_SENT[report], layer=part.layer)
    _TRIM()
    return number, rendered


def _warm_up(base_url: str) -> int:
    """Import WeasyPrint and load the report fonts in a worker before the first part arrives."""
    return render_html(
        '<html><head><link rel="stylesheet" href="report.css"></head><body><p>.</p></body></html>', base_url
    ).pages


def start_workers(renderers: int, base_url: str) -> ProcessPoolExecutor:
    """The worker processes for `renderers` processes rendering parts, this one included (it renders
    too, `render_parts`), warming up at once: a caller that knows a long report is coming starts
    them before reading and proving, so the workers are ready when the parts are."""
    workers = max(1, renderers - 1)
    # "spawn": the caller may be a threaded web or job process holding database connections.
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    for _ in range(workers):
        pool.submit(_warm_up, base_url)
    return pool


def render_parts(
    parts: Iterable[str | Part],
    *,
    base_url: str,
    attachments: Callable[[], Sequence[Attachment]] = lambda: (),
    numbering: Callable[[int], str] | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> Rendered:
    """Render the parts in order as one PDF.

    A single part is rendered as it is (its own stylesheet numbers the pages). Several parts are
    rendered by `workers` processes, this one and the pool's, and joined; `numbering(total_pages)`
    then returns the HTML of a document of `total_pages` pages holding only the page footers,
    unless the parts number their own pages (prelaid tables: `numbering` None). `progress(done,
    total)` is called as parts complete (total counts the footer pass as one more step).
    `attachments()` is called once every part is on its way to the workers; they are embedded when
    the parts are joined. The workers, a `pool` given (`start_workers`) too, are shut down once
    every part is back: the join does not need them.
    """
    parts = (part if isinstance(part, Part) else Part(part) for part in parts)
    if pool is None:
        parts = list(parts)
    if isinstance(parts, Sequence) and len(parts) == 1 and parts[0].layer is None:
        rendered = render_html(parts[0].html, base_url)
        joined = join_with_footers([rendered.pdf], None, attachments())
        if progress:
            progress(1, 1)
        return Rendered(pdf=joined, pages=rendered.pages)
    use, report, sent = fontshare.FontUse(), uuid.uuid4().hex, set()
    if pool is None and workers > 1 and len(parts) > 1:  # without a pool `parts` is a list
        pool = start_workers(workers, base_url)
    try:
        # Each part goes to the pool as soon as its HTML is made: the workers start on the first
        # while the next are still being written.
        queued = [
            (number, part, None if pool is None else pool.submit(_render_part, number, part, base_url, report))
            for number, part in enumerate(parts)
        ]
        if not queued:
            raise ValueError("a report needs at least one part")
        attached = attachments()
        steps = len(queued) + (1 if numbering is not None else 0)
        results: list[Rendered] = [None] * len(queued)
        done = 0
        # This process renders too, rather than wait with a worker's memory beside its own: it
        # takes each part still waiting in the pool (one a worker has taken, or has queued behind
        # the one it renders, cannot be cancelled), and every part when there is no pool.
        for number, part, future in queued:
            if future is None or future.cancel():
                results[number] = render_html(part.html, base_url, shared_fonts=sent, layer=part.layer)
                done += 1
                if progress:
                    progress(done, steps)
        running = [future for _, _, future in queued if future is not None and not future.cancelled()]
        for future in as_completed(running):
            number, rendered = future.result()
            results[number] = rendered
            done += 1
            if progress:
                progress(done, steps)
    finally:
        if pool is not None:  # its workers are not needed for the join: their memory goes back before it
            pool.shutdown(cancel_futures=True)
    total = sum(r.pages for r in results)
    footers = None
    if numbering is not None:
        footers = render_html(numbering(total), base_url, shared_fonts=sent)
        if footers.pages != total:
            raise RuntimeError(f"the footer document has {footers.pages} pages for {total} report pages")
        results.append(footers)
    for rendered in results:
        use.add(rendered.glyphs or {}, rendered.programs or {})
    if footers is not None:
        results.pop()
    joined = join_with_footers([r.pdf for r in results], footers.pdf if footers else None, attached, fonts=use)
    if progress:
        progress(steps, steps)
    return Rendered(pdf=joined, pages=total)


def join_with_footers(
    parts: Sequence[bytes],
    footers: bytes | None,
    attachments: Sequence[Attachment] = (),
    *,
    fonts: fontshare.FontUse | None = None,
) -> bytes:
    """Append the pages of parts[1:] to parts[0], lay footer page i (if any) over report page i, and
    embed the attachments as associated files of the document. Pages laid out apart (more than one
    part, or footers) need `fonts`, what the parts drew and the whole faces: each face is then
    embedded once, subset to what the parts drew, instead of once per part under one name."""
    if (len(parts) > 1 or footers is not None) and fonts is None:
        raise ValueError("joining pages laid out apart needs their fonts (fontshare.FontUse) to share")
    with pikepdf.open(io.BytesIO(parts[0])) as document:
        opened = [pikepdf.open(io.BytesIO(data)) for data in parts[1:]]
        try:
            for other in opened:
                document.pages.extend(other.pages)
            if footers is not None:
                with pikepdf.open(io.BytesIO(footers)) as numbers:
                    for page, footer in zip(document.pages, numbers.pages):
                        page.add_overlay(footer)
            if fonts is not None:
                fontshare.share_fonts(document, fonts)
            for attachment in attachments:
                _embed(document, attachment)
            _creator_not_producer(document)
            out = io.BytesIO()
            document.save(out)
        finally:
            for other in opened:
                other.close()
    return out.getvalue()


def _creator_not_producer(document: pikepdf.Pdf) -> None:
    """WeasyPrint made the document: say so as the creator tool, in the document information and the
    XMP alike, and leave the producer to the signature that writes the last revision."""
    with document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        tool = str(meta.get("pdf:Producer") or document.docinfo.get("/Producer") or "WeasyPrint")
        if "pdf:Producer" in meta:
            del meta["pdf:Producer"]
        meta["xmp:CreatorTool"] = tool
    for key in ("/Producer", "/ModDate"):
        if key in document.docinfo:
            del document.docinfo[key]
    document.docinfo["/Creator"] = tool


def _pdf_date(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("D:%Y%m%d%H%M%SZ")


def _embed(document: pikepdf.Pdf, attachment: Attachment) -> None:
    """A PDF/A-3 associated file (ISO 19005-3 6.8): an embedded file stream with its MIME subtype,
    size, MD5 and dates, a file specification with /AFRelationship, listed in the EmbeddedFiles name
    tree and in the catalogue's /AF array."""
    now = _pdf_date(clock.now())
    if attachment.deflated_size is None:
        packed, size, md5 = zlib.compress(attachment.data, 6), len(attachment.data), hashlib.md5(attachment.data)
        checksum = md5.digest()
    else:
        packed, size, checksum = attachment.data, attachment.deflated_size, attachment.md5
    stream = pikepdf.Stream(document, packed)
    stream.update(
        {
            "/Type": pikepdf.Name.EmbeddedFile,
            "/Subtype": pikepdf.Name("/" + attachment.mime_type),
            "/Filter": pikepdf.Name.FlateDecode,
            "/Params": pikepdf.Dictionary(
                {
                    "/Size": size,
                    "/CheckSum": pikepdf.String(checksum),
                    "/CreationDate": now,
                    "/ModDate": now,
                }
            ),
        }
    )
    spec = document.make_indirect(
        pikepdf.Dictionary(
            {
                "/Type": pikepdf.Name.Filespec,
                "/F": pikepdf.String(attachment.name),
                "/UF": pikepdf.String(attachment.name),
                "/Desc": pikepdf.String(attachment.description),
                "/AFRelationship": pikepdf.Name("/" + attachment.relationship),
                "/EF": pikepdf.Dictionary({"/F": stream, "/UF": stream}),
            }
        )
    )
    root = document.Root
    if "/Names" not in root:
        root.Names = pikepdf.Dictionary()
    if "/EmbeddedFiles" not in root.Names:
        root.Names.EmbeddedFiles = pikepdf.Dictionary({"/Names": pikepdf.Array()})
    root.Names.EmbeddedFiles.Names.extend([pikepdf.String(attachment.name), spec])
    if "/AF" not in root:
        root.AF = pikepdf.Array()
    root.AF.append(spec)


def page_count(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)
