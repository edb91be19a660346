"""The lines of a prelaid page drawn straight into its PDF, below the first one WeasyPrint sets.

A prelaid page (`layout`) is a block of lines whose every character already has its place: the
columns are reached with blank glyphs of known advances and nothing is kerned. WeasyPrint still
shapes and lays out every one of those lines, and they were most of a long report's rendering
time. So WeasyPrint sets only each page's first line, and the rest are written here as PDF text
in the same font resource, size and colour, one line below the other at the block's line height:
the page's `<pre>` carries an id, WeasyPrint tells where each id landed, and the first line's
position, read back from the content stream, gives the offset from the block's corner to a line.

A glyph is chosen through the face's own character map (WeasyPrint keeps glyph ids, and so does
the join's subsetting, `fontshare`), and the glyphs written here are reported with the part's, so
the joined report embeds them with their widths and a ToUnicode map: the text still reads and
copies as before. A page is drawn here only if the face holds every character of its lines (the
service checks `can_draw`); WeasyPrint sets any other page whole, with its font fallback.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import pikepdf

CSS_PX_PER_MM = 96 / 25.4


@dataclass(frozen=True)
class TextLayer:
    """What to draw into a part's pages: for each page block's id, its lines after the first, set
    in the face of CSS family `family` (from the TrueType file `font_path`) every `line_mm`."""

    family: str
    font_path: str
    line_mm: float
    pages: dict[str, list[str]]


@dataclass(frozen=True)
class _Face:
    codes: dict[str, str]  # character -> glyph id as 4 hex digits (the font is Identity-H)
    glyphs: dict[str, tuple[int, int]]  # character -> (glyph id, advance in thousandths of an em)


# Characters a shaper may not set one glyph after the other, in typed order: marks (placed on the
# letter before), format characters (soft hyphen, joiners, direction controls: hidden or acting on
# their neighbours), controls and unassigned code points; and right-to-left letters and digits,
# which are reordered (and, in Arabic, joined). A page holding any of them is set by WeasyPrint.
_SHAPED_CATEGORIES = {"Mn", "Mc", "Me", "Cf", "Cc", "Co", "Cs", "Cn", "Zl", "Zp"}
_SHAPED_DIRECTIONS = {"R", "AL", "AN", "RLE", "RLO", "LRE", "LRO", "PDF", "RLI", "LRI", "FSI", "PDI", "NSM"}


def _plain(char: str) -> bool:
    import unicodedata

    return (
        unicodedata.category(char) not in _SHAPED_CATEGORIES
        and unicodedata.bidirectional(char) not in _SHAPED_DIRECTIONS
    )


@lru_cache(maxsize=4)
def _face(path: str) -> _Face:
    """The characters of the face that are set one glyph each, in order (`_plain`)."""
    from fontTools.ttLib import TTFont

    font = TTFont(path, lazy=True)
    per_em, metrics = font["head"].unitsPerEm, font["hmtx"].metrics
    codes, glyphs = {}, {}
    for code, name in font.getBestCmap().items():
        if not _plain(chr(code)):
            continue
        gid = font.getGlyphID(name)
        codes[chr(code)] = f"{gid:04x}"
        glyphs[chr(code)] = (gid, round(metrics[name][0] * 1000 / per_em))
    font.close()
    return _Face(codes, glyphs)


def can_draw(lines: list[str], font_path: str) -> bool:
    """Whether the face holds every character of `lines`, each set as one glyph in typed order (no
    marks, joiners, soft hyphens or right-to-left text, which a shaper rearranges), and the first
    line shows one: WeasyPrint must draw something of the face on the page for its font resource
    and baseline to be there."""
    codes = _face(font_path).codes
    return bool(lines and lines[0].strip()) and all(char in codes for line in lines for char in line)


def _first_line(page: pikepdf.Page, key: str) -> tuple[list, list, float, float, bytes]:
    """From the content stream: the page's two opening transforms (to CSS pixels, y down), and
    the first text shown in font `key`: its baseline (text matrix y), font size and fill colour."""
    transforms, colour, matrix, font, size = [], b"0 0 0 rg", None, None, None
    for operands, operator in pikepdf.parse_content_stream(page):
        name = str(operator)
        if name == "cm" and len(transforms) < 2:
            transforms.append([float(value) for value in operands])
        elif name == "rg":
            colour = b" ".join(_number(float(value)) for value in operands) + b" rg"
        elif name == "Tm":
            matrix = [float(value) for value in operands]
        elif name == "Tf":
            font, size = str(operands[0]), float(operands[1])
        elif name in ("Tj", "TJ") and font == key and matrix is not None:
            return transforms, matrix, matrix[5], size, colour
    raise ValueError(f"no text in font {key} on the page to place the lines by")


def _number(value: float) -> bytes:
    return (f"{value:.6f}".rstrip("0").rstrip(".") or "0").encode()


def _font_key(page: pikepdf.Page, family: str) -> tuple[str, pikepdf.Object] | None:
    suffix = "+" + family.replace(" ", "-")
    fonts = page.obj.get("/Resources", {}).get("/Font", {})
    for key, font in fonts.items():
        if str(font.get("/BaseFont", "")).endswith(suffix):
            return key, font
    return None


def draw(pdf: bytes, pages: list[dict], layer: TextLayer) -> tuple[bytes, str | None, dict[int, tuple[str, int]]]:
    """Write `layer`'s lines into `pdf`, whose page i has the anchors `pages[i]` (WeasyPrint's
    `page.anchors`: id -> (left, top, ...) in CSS pixels). Returns the new PDF, the face's font
    name and the glyphs drawn ({glyph id: (character, advance)}), for the part's fonts."""
    face = _face(layer.font_path)
    step = layer.line_mm * CSS_PX_PER_MM
    used: set[str] = set()
    name = None
    with pikepdf.open(io.BytesIO(pdf)) as document:
        style = None
        for number, anchors in enumerate(pages):
            placed = [(anchors[block], layer.pages[block]) for block in anchors if block in layer.pages]
            if not placed:
                continue
            page = document.pages[number]
            found = _font_key(page, layer.family)
            if found is None:
                raise ValueError(f"page {number + 1} does not use the {layer.family} face it should")
            key, font = found
            name = str(font.BaseFont)
            if style is None:
                (left, top, *_), _ = placed[0]
                transforms, matrix, baseline, size, colour = _first_line(page, key)
                style = transforms, matrix[:4], matrix[4] - left, baseline - top, size, colour
            transforms, scale, indent, offset, size, colour = style
            out = [b"Q q"]
            out += [b" ".join(_number(value) for value in transform) + b" cm" for transform in transforms]
            out.append(colour + b" BT " + key.encode() + b" " + _number(size) + b" Tf")
            codes = face.codes
            for (left, top, *_), lines in placed:
                for row, line in enumerate(lines, start=1):
                    if not line:
                        continue
                    used.update(line)
                    where = [*scale, left + indent, top + offset + row * step]
                    out.append(
                        b" ".join(_number(value) for value in where)
                        + b" Tm <"
                        + "".join(map(codes.__getitem__, line)).encode()
                        + b"> Tj"
                    )
            out.append(b"ET Q")
            page.contents_add(document.make_stream(b"q"), prepend=True)
            page.contents_add(document.make_stream(b"\n".join(out)))
        written = io.BytesIO()
        document.save(written)
    return written.getvalue(), name, {face.glyphs[char][0]: (char, face.glyphs[char][1]) for char in used}
