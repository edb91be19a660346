"""Long tables laid out before WeasyPrint sees them: wrapped, aligned and paginated here, drawn there.

WeasyPrint spends about a millisecond on every element it styles and lays out, and almost as much on
every line box: a table of ten thousand rows of fifteen cells is 150,000 elements and minutes of
work, while the same words set as the lines of one preformatted block per page cost a tenth of that
(measured: 400 rows as table cells 7.5 s, as one line of text per row 0.45 s).

So here each cell's text is wrapped to its column's width with the font's own advance widths (read
from the embedded TrueType file), every row takes as many lines as its tallest cell, rows are dealt
onto pages of known height, and each visual line of a page is composed as one string in which the
columns are reached with blank characters of known widths: the fewest that land within 0.04 mm of
the column's edge. The rows are set in the table face (registry/reports/tablefont.py), whose fifteen
blanks run from 32 font units to 16 ems, so a gap is three of them on average; the column heads use
the bold face's own nine spaces from em to hair. The template sets the page's lines in one
`white-space: pre` block, with kerning and ligatures off so that the PDF advances are exactly the
ones measured here, over an SVG of the row bands: a handful of elements a page.

Knowing the pages in advance also gives the page numbers: each page carries "Page X of Y" as a
literal, so parts of the table can be rendered in parallel processes with no numbering pass.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Sequence

MM_PER_PT = 25.4 / 72
SAFETY_MM = 0.6  # kept free at each cell's right edge


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width_mm: float
    group: str = ""


@dataclass(frozen=True)
class Band:
    """A row's background: its top and height in mm from the top of the page's rows, and its kind."""

    top_mm: float
    height_mm: float
    kind: str


@dataclass
class Sheet:
    number: int
    cells: list  # per column, its lines
    bands: list[Band] = field(default_factory=list)
    lines: int = 0
    rows: int = 0
    text: str = ""  # the page's lines, columns aligned with spaces

    @property
    def height_mm(self) -> float:
        return sum(band.height_mm for band in self.bands)

    def band_paths(self, width_mm: float) -> dict[str, str]:
        """SVG path data per band kind (rectangles), and under "rule" the line below every row: a
        few path elements a page rather than one rectangle per row."""
        paths: dict[str, list[str]] = {"rule": []}
        for band in self.bands:
            bottom = round(band.top_mm + band.height_mm, 3)
            if band.kind:
                paths.setdefault(band.kind, []).append(f"M0 {round(band.top_mm, 3)}H{width_mm}V{bottom}H0Z")
            paths["rule"].append(f"M0 {round(bottom - 0.05, 3)}H{width_mm}")
        return {kind: "".join(parts) for kind, parts in paths.items() if parts}


# DejaVu Sans's own space characters, which set the column heads in the bold face (em 2048, figure
# 1303, en 1024, three-per-em 682, space 651, four-per-em 512, thin 409, six-per-em 342, hair 204).
# The rows are set in the table face, whose blank characters are a ladder (registry/reports/tablefont.py).
SPACES = ("\u2003", "\u2007", "\u2002", "\u2004", " ", "\u2005", "\u2009", "\u2006", "\u200a")
TOLERANCE = 32  # font units a gap may fall short of its width (32/2048 em: 0.04 mm at 7 pt)


class Metrics:
    """Advance widths of a TrueType font, for measuring text the way the PDF will set it, and the
    blank characters (`spaces`) it reaches a column with."""

    def __init__(self, path: Path, spaces: Sequence[str] = SPACES):
        from fontTools.ttLib import TTFont

        font = TTFont(str(path), lazy=True)
        self.per_em = font["head"].unitsPerEm
        widths = font["hmtx"].metrics
        self.advance = {code: widths[name][0] for code, name in font.getBestCmap().items()}
        self.fallback = widths[".notdef"][0]
        font.close()
        self.spaces = tuple(char for char in spaces if ord(char) in self.advance)
        self.widest = max(self.spaces, key=lambda char: self.advance[ord(char)])
        self.quantum = math.gcd(*(self.advance[ord(char)] for char in self.spaces))
        self._fills = self._fill_table()

    def _fill_table(self) -> list[str]:
        """For every width below twice the widest space, in steps of the spaces' common divisor,
        the fewest space characters at most that wide, preferring any within TOLERANCE of it
        (unbounded coin change over the spaces' advances)."""
        step = self.quantum
        coins = sorted(((self.advance[ord(char)] // step, char) for char in self.spaces), reverse=True)
        size = 2 * self.advance[ord(self.widest)] // step
        best: list[str | None] = [""] + [None] * size
        for value in range(1, size + 1):
            for width, char in coins:
                if width <= value and best[value - width] is not None:
                    candidate = best[value - width] + char
                    if best[value] is None or len(candidate) < len(best[value]):
                        best[value] = candidate
        reach = max(0, TOLERANCE - step + 1) // step  # a width between grid steps is already short by < step
        fills = []
        for value in range(size):
            near = [best[v] for v in range(value, max(-1, value - reach - 1), -1) if best[v] is not None]
            fills.append(
                min(near, key=len) if near else next(best[v] for v in range(value, -1, -1) if best[v] is not None)
            )
        return fills

    def width_mm(self, text: str, size_pt: float) -> float:
        advance, fallback = self.advance, self.fallback
        return sum(advance.get(ord(char), fallback) for char in text) * size_pt / self.per_em * MM_PER_PT

    def advance_of(self, text: str) -> int:
        advance, fallback = self.advance, self.fallback
        return sum(advance.get(ord(char), fallback) for char in text)

    def pad(self, units: int) -> str:
        """The fewest spaces as close to `units` wide as their widths allow (never wider)."""
        if units <= 0:
            return ""
        widest = self.advance[ord(self.widest)]
        count = max(0, units // widest - 1)  # leave between one and two of the widest to the table
        return self.widest * count + self._fills[(units - count * widest) // self.quantum]

    def plain(self, text: str) -> str:
        """`text` with every white space but line breaks made U+0020, so that no character of a
        cell is taken for one of the spaces that place the columns (or for a tab)."""
        return _BLANKS.sub(" ", text)

    def wrap(self, text: str, width_mm: float, size_pt: float) -> list[str]:
        """Greedy wrapping at spaces (and inside words too long for a line), as a browser would."""
        lines: list[str] = []
        for paragraph in self.plain(text or "").replace("\r", "").split("\n"):
            line = ""
            for word in paragraph.split(" "):
                candidate = f"{line} {word}" if line else word
                if self.width_mm(candidate, size_pt) <= width_mm:
                    line = candidate
                    continue
                if line:
                    lines.append(line)
                line = ""
                for char in word:  # a word wider than the column breaks anywhere
                    if line and self.width_mm(line + char, size_pt) > width_mm:
                        lines.append(line)
                        line = ""
                    line += char
            lines.append(line)
        return lines or [""]


_BLANKS = re.compile(r"[^\S\n]")


@lru_cache(maxsize=4)
def metrics(path: str, spaces: Sequence[str] = SPACES) -> Metrics:
    return Metrics(Path(path), tuple(spaces))


@dataclass(frozen=True)
class Geometry:
    """The page's room for rows: lines of `line_mm` on the first page and on the others, and how
    many lines the closing note after the table needs on the last page."""

    size_pt: float
    line_mm: float
    padding_mm: float
    first_mm: float
    page_mm: float
    closing_mm: float

    def capacity(self, first: bool) -> int:
        return int((self.first_mm if first else self.page_mm) // self.line_mm)


def lay_out(
    rows: Sequence[tuple[Sequence[str], str]], columns: Sequence[Column], font: Metrics, geometry: Geometry
) -> list[Sheet]:
    """Deal the rows ((cell texts in column order, band kind)) onto sheets; a row that does not fit
    in what is left of a page starts the next one (a row taller than a whole page is split)."""
    widths = [column.width_mm - 2 * geometry.padding_mm - SAFETY_MM for column in columns]
    sheets: list[Sheet] = []
    current: list[list[str]] = []
    sheet = None

    def new_sheet() -> Sheet:
        nonlocal current
        made = Sheet(number=len(sheets) + 1, cells=[])
        sheets.append(made)
        current = [[] for _ in columns]
        made.cells = current  # filled as lists, joined at the end
        return made

    sheet = new_sheet()
    for cells, kind in rows:
        wrapped = [font.wrap(text or "", width, geometry.size_pt) for text, width in zip(cells, widths)]
        height = max(len(lines) for lines in wrapped)
        while height:
            room = geometry.capacity(sheet.number == 1) - sheet.lines
            if room <= 0 or (height > room and sheet.lines):
                sheet = new_sheet()
                continue
            take = min(height, room)
            for column, lines in enumerate(wrapped):
                piece = lines[:take]
                current[column].extend(piece + [""] * (take - len(piece)))
                wrapped[column] = lines[take:]
            sheet.bands.append(Band(sheet.lines * geometry.line_mm, take * geometry.line_mm, kind))
            sheet.lines += take
            sheet.rows += 1
            height -= take
    closing = int(-(-geometry.closing_mm // geometry.line_mm))
    if geometry.capacity(sheet.number == 1) - sheet.lines < closing:
        new_sheet()
    starts = column_starts(columns, font, geometry)
    for made in sheets:
        made.text = "\n".join(_compose(font, starts, [lines[row] for lines in made.cells]) for row in range(made.lines))
    return sheets


def column_starts(columns: Sequence[Column], font: Metrics, geometry: Geometry) -> list[int]:
    """Where each column's text starts, in font units from the left edge of the table."""
    starts, edge = [], 0.0
    for column in columns:
        starts.append(round((edge + geometry.padding_mm) / MM_PER_PT / geometry.size_pt * font.per_em))
        edge += column.width_mm
    return starts


def _compose(font: Metrics, starts: Sequence[int], pieces: Sequence[str]) -> str:
    """One visual line: each column's piece from its start (in font units), reached with spaces."""
    out, at = [], 0
    for start, piece in zip(starts, pieces):
        if not piece:
            continue
        gap = font.pad(start - at)
        out += [gap, piece]
        at += font.advance_of(gap) + font.advance_of(piece)
    return "".join(out)


def head_text(columns: Sequence[Column], bold: Metrics, geometry: Geometry, size_pt: float) -> tuple[str, int]:
    """The column heads as preformatted lines in the bold face: the group names centred over their
    columns on the first line, each column's title (wrapped) from its start below. Returns the text
    and its number of lines."""
    per_mm = bold.per_em / MM_PER_PT / size_pt
    groups, edge = [], 0.0
    for column in columns:
        if groups and groups[-1][0] == column.group:
            groups[-1][2] = edge + column.width_mm
        else:
            groups.append([column.group, edge, edge + column.width_mm])
        edge += column.width_mm
    line, at = "", 0
    for name, left, right in groups:
        if not name:
            continue
        start = round(((left + right) / 2) * per_mm - bold.advance_of(name) / 2)
        gap = bold.pad(start - at)
        line += gap + name
        at += bold.advance_of(gap) + bold.advance_of(name)
    widths = [column.width_mm - 2 * geometry.padding_mm - SAFETY_MM for column in columns]
    titles = [bold.wrap(column.title, width, size_pt) for column, width in zip(columns, widths)]
    depth = max(len(lines) for lines in titles)
    starts = column_starts(
        columns,
        bold,
        Geometry(
            size_pt=size_pt,
            line_mm=geometry.line_mm,
            padding_mm=geometry.padding_mm,
            first_mm=0,
            page_mm=0,
            closing_mm=0,
        ),
    )
    below = [
        _compose(bold, starts, [lines[row] if row < len(lines) else "" for lines in titles]) for row in range(depth)
    ]
    return "\n".join([line, *below]), 1 + depth
