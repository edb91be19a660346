"""One embedded program per font face in a report laid out in parts.

Each part of a long report is laid out by its own WeasyPrint run, which would embed its own subset of
every face it uses: a 10,000-row bound book carried each face seventeen times, under one subset name
(ISO 32000 says a name tag stands for one font program). Instead:

- each part is written as WeasyPrint writes it, and its worker notes which glyphs the part drew
  (with the text each stands for and its advance) and sends the whole program of each face to the
  parent once per worker process (`whole_programs`), not once per part;
- at the join (`share_fonts`), every page and form that names a face is pointed at one font
  dictionary, whose program is the whole face subset once to the glyphs any part drew (WeasyPrint
  keeps glyph ids when it subsets, and so does this, so every page's text still selects the right
  glyphs), with widths and a ToUnicode map for exactly those glyphs and a subset tag of its own.
  The parts' own subsets are then referred to by nothing and are not written.

The faces are WeasyPrint's: one per font description (family, weight, style, size), named
`/TAG+Family-Name` with a tag WeasyPrint derives from the description, so every part names a face
alike.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

import pikepdf

# What a part tells the join about a face: the glyphs it drew, each with the text it stands for
# (None for a glyph without one) and its advance in thousandths of an em, as WeasyPrint set it.
Glyphs = dict[int, tuple[str | None, int]]


@dataclass
class FontUse:
    """The faces of a report's parts: the glyphs drawn per face (by font name, with its slash) and
    each face's whole program, as the workers send them."""

    glyphs: dict[str, Glyphs] = field(default_factory=dict)
    programs: dict[str, bytes] = field(default_factory=dict)

    def add(self, glyphs: dict[str, Glyphs], programs: dict[str, bytes]) -> None:
        for name, drawn in glyphs.items():
            self.glyphs.setdefault(name, {}).update(drawn)
        for name, program in programs.items():
            self.programs.setdefault(name, program)


def drawn_glyphs(document) -> dict[str, Glyphs]:
    """The glyphs a written WeasyPrint document drew, per font name (its `fonts` after `write_pdf`)."""
    drawn: dict[str, Glyphs] = {}
    for font in document.fonts.values():
        if not font.bitmap:
            drawn.setdefault(font.name.decode(), {}).update(
                {gid: (font.to_unicode.get(gid), width) for gid, width in font.widths.items()}
            )
    return drawn


def whole_programs(document, sent: set[str]) -> dict[str, bytes]:
    """The whole program of each face a written WeasyPrint document used and that is not in `sent`
    (which is updated): WeasyPrint subsets its own copy when it writes, but keeps the face it read."""
    from weasyprint.text.fonts import get_hb_object_data

    programs: dict[str, bytes] = {}
    for font in document.fonts.values():
        name = font.name.decode()
        if not font.bitmap and name not in sent:
            programs[name] = get_hb_object_data(font.hb_face)
            sent.add(name)
    return programs


def share_fonts(document: pikepdf.Pdf, use: FontUse) -> None:
    """Point every use of a face in `document` at one font dictionary and embed the face's program
    once, subset to the glyphs drawn. Faces the parts did not report are left as they are."""
    chosen: dict[str, pikepdf.Dictionary] = {}
    for resources in _font_resources(document):
        for key in list(resources.keys()):
            font = resources[key]
            name = str(font.get("/BaseFont", ""))
            if font.get("/Subtype") != "/Type0" or name not in use.programs or name not in use.glyphs:
                continue
            resources[key] = chosen.setdefault(name, font)
    for name, font in chosen.items():
        _embed_subset(document, font, use.programs[name], use.glyphs[name])


def _embed_subset(document: pikepdf.Pdf, font: pikepdf.Dictionary, program: bytes, drawn: Glyphs) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    glyphs = sorted({0, *drawn})
    options = subset.Options(
        retain_gids=True,
        passthrough_tables=True,
        ignore_missing_glyphs=True,
        hinting=False,
        desubroutinize=True,
        notdef_outline=True,
    )
    options.drop_tables += ["GSUB", "GPOS", "SVG "]
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=glyphs)
    face = TTFont(io.BytesIO(program))
    subsetter.subset(face)
    written = io.BytesIO()
    face.save(written)
    subset_program = written.getvalue()

    descendant = font.DescendantFonts[0]
    descriptor = descendant.FontDescriptor
    tag = "".join(chr(65 + byte % 26) for byte in hashlib.sha256(subset_program).digest()[:6])
    base = str(font.BaseFont).split("+", 1)[-1].lstrip("/")
    name = pikepdf.Name(f"/{tag}+{base}")
    font.BaseFont = descendant.BaseFont = descriptor.FontName = name
    widths = {gid: width for gid, (_, width) in drawn.items()}
    descendant.W = _w_array(widths)
    box = list(descriptor.FontBBox)  # WeasyPrint's: (0, descent, the widest advance drawn, ascent)
    descriptor.FontBBox = pikepdf.Array([box[0], box[1], max(widths.values(), default=0), box[3]])
    stream = document.make_stream(subset_program)
    stream.Length1 = len(subset_program)
    descriptor.FontFile2 = stream
    font.ToUnicode = document.make_stream(_to_unicode({gid: text for gid, (text, _) in drawn.items() if text}))


def _w_array(widths: dict[int, int]) -> pikepdf.Array:
    """A CIDFont /W array: a run `first [w1 w2 ...]` for each stretch of consecutive glyph ids."""
    items: list = []
    for gid in sorted(widths):
        if gid - 1 not in widths:
            items += [gid, []]
        items[-1].append(widths[gid])
    return pikepdf.Array(items)


def _to_unicode(drawn: dict[int, str]) -> bytes:
    """A ToUnicode CMap for the glyphs, as WeasyPrint writes one (bfchar blocks of 100)."""
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo",
        b"<< /Registry (Adobe)",
        b"/Ordering (UCS)",
        b"/Supplement 0",
        b">> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <ffff>",
        b"endcodespacerange",
    ]
    entries = sorted(drawn.items())
    for start in range(0, len(entries), 100):
        block = entries[start : start + 100]
        lines.append(f"{len(block)} beginbfchar".encode())
        lines += [f"<{gid:04x}> <{text.encode('utf-16-be').hex()}>".encode() for gid, text in block]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _font_resources(document: pikepdf.Pdf):
    """Every /Font resource dictionary of the pages and of the forms they draw, each once."""
    seen: set[tuple[int, int]] = set()
    stack = [page.obj for page in document.pages]
    while stack:
        holder = stack.pop()
        resources = holder.get("/Resources")
        if resources is None:
            continue
        fonts = resources.get("/Font")
        if fonts is not None and (fonts.is_indirect is False or fonts.objgen not in seen):
            if fonts.is_indirect:
                seen.add(fonts.objgen)
            yield fonts
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                stack.append(xobject)
