"""The bound book's lines written into the PDF after WeasyPrint has set each page's first
(registry/reports/textlayer.py) look and read exactly as when WeasyPrint sets them all: the same
book issued both ways, and with the two ways alternating page by page, its pages compared as
poppler renders them and its text as pdftotext reads it."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from itertools import count

import pikepdf
from PIL import ImageChops

from registry.reports import pdf, textlayer
from registry.reports.runtime import reports
from registry.reports.service import Renderer
from registry.reports.tablefont import TARGET
from tests.conftest import FIXED_NOW
from tests.reports.conftest import acquire_rifles, page_png, pdf_file

ROWS = 300


def issue_book(params: dict, *, workers: int = 1, part_rows: int = 120) -> bytes:
    service = reports()
    service.renderer = Renderer(render_template=service.renderer.render_template, workers=workers, part_rows=part_rows)
    report = service.issue(
        "bound_book", params, actor="test:reports", personal=True, now=FIXED_NOW + timedelta(minutes=40)
    )
    return service.pdf(report)


def shown_operators(data: bytes, page: int) -> tuple[int, int]:
    """How many text strings the page shows with Tj (what textlayer writes) and with TJ (WeasyPrint)."""
    with pikepdf.open(pdf_file(data)) as document:
        operators = [str(op.operator) for op in pikepdf.parse_content_stream(document.pages[page - 1])]
    return operators.count("Tj"), operators.count("TJ")


def without_issue_details(text: str) -> str:
    """The text less what differs between two issues of one book: the report's id, and the size of
    the checkpoint it is proved at (each issue appends `report.issued`)."""
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", text)
    return re.sub(r"size \d+", "size N", text)


def word_top(data: bytes, page: int, word: str, dpi: int) -> int:
    """The top of the first `word` on the page, in pixels at `dpi` (pdftotext's word boxes)."""
    command = [shutil.which("pdftotext"), "-bbox", "-f", str(page), "-l", str(page), "-", "-"]
    words = subprocess.run(command, input=data, capture_output=True, check=True).stdout.decode()
    top = re.search(rf'yMin="([\d.]+)"[^>]*>{word}<', words)
    assert top, f"page {page} shows {word!r}"
    return int(float(top.group(1)) * dpi / 72)


def assert_pages_alike(data: bytes, reference: bytes, pages: int) -> None:
    """Every page's rows alike, pixel for pixel. Left out, as they differ between two issues: the
    heading above page 1's table and the closing box below the last page's (both name the size of
    the checkpoint the book is proved at, one more at each issue), and every footer (the report id)."""
    for page in range(1, pages + 1):
        mine, theirs = page_png(data, page, dpi=100), page_png(reference, page, dpi=100)
        top = word_top(data, 1, "Manufacturer", 100) - 2 if page == 1 else 0
        bottom = word_top(data, pages, "How", 100) - 2 if page == pages else int(mine.height * 0.93)
        rows = (0, top, mine.width, bottom)
        difference = ImageChops.difference(mine.crop(rows), theirs.crop(rows))
        assert sum(difference.histogram()[33:]) == 0, f"page {page} differs at {difference.getbbox()}"
    # In reading order: pdftotext's -layout spacing also weighs how the strings were cut up.
    assert without_issue_details(plain_text(data)) == without_issue_details(plain_text(reference))


def plain_text(data: bytes) -> str:
    return subprocess.run(
        [shutil.which("pdftotext"), "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_lines_written_into_the_pdf_render_and_read_as_weasyprint_sets_them(rctx, monkeypatch):
    params = acquire_rifles("TL-%05d", ROWS, 2023)
    layered = issue_book(params)
    pages = pikepdf.open(pdf_file(layered)).pages.__len__()
    assert pages > 5
    drawn, weasyprint_lines = shown_operators(layered, 3)
    assert drawn > 20 and weasyprint_lines < drawn, "the page's lines after the first are written by textlayer"

    monkeypatch.setattr(textlayer, "can_draw", lambda lines, face: False)
    whole = issue_book(params)
    assert shown_operators(whole, 3)[0] == 0
    assert_pages_alike(layered, whole, pages)

    turns = count()
    monkeypatch.undo()
    drawable = textlayer.can_draw
    monkeypatch.setattr(textlayer, "can_draw", lambda lines, face: next(turns) % 2 == 0 and drawable(lines, face))
    mixed = issue_book(params)
    assert shown_operators(mixed, 1)[0] > 20 and shown_operators(mixed, 2)[0] == 0
    assert_pages_alike(mixed, whole, pages)


def test_a_book_of_one_part_is_rendered_here_with_its_lines_written_and_no_worker_started(rctx, monkeypatch):
    """A book short enough for one part is not a long report: with workers configured it is still
    rendered in the issuing process, whose text layer writes its lines, and no pool is started."""
    params = acquire_rifles("TS-%05d", 60, 2023)

    def no_pool(*args, **kwargs):
        raise AssertionError("a one-part book started worker processes")

    monkeypatch.setattr(pdf, "start_workers", no_pool)
    short = issue_book(params, workers=2, part_rows=600)
    assert shown_operators(short, 1)[0] > 20


def test_a_page_is_written_only_if_the_face_holds_all_its_characters_and_its_first_line_shows_one():
    face = str(TARGET)
    assert textlayer.can_draw(["LB-00001\u2003Demo Arms Co.", "\u2002rifle"], face)
    assert not textlayer.can_draw(["LB-00001\u2003\u674e\u56db", "rifle"], face)  # a name in Han characters
    assert not textlayer.can_draw(["\u2003\u2002", "LB-00001"], face)  # WeasyPrint would draw nothing of the face
    assert not textlayer.can_draw([], face)
    # A shaper rearranges these (the face holds them all): right-to-left letters are reordered and
    # Arabic ones joined, a combining accent sits on the letter before, a soft hyphen is hidden.
    for shaped in ("\u05d3\u05df", "\u0633\u0644\u0627\u0645", "Rene\u0301", "Bau\u00adhaus", "a\u200db"):
        assert not textlayer.can_draw(["LB-00001", shaped], face), shaped
    assert textlayer.can_draw(["LB-00001", "Łódź Ærø Ωμέγα Москва René"], face)
