"""One embedded program per font face in a report laid out in parts.

Each part of a long report is laid out by its own WeasyPrint run, which would embed its own subset of
every face it uses: a 10,000-row bound book carried each face seventeen times, under one subset name
(ISO 32000 says a name tag stands for one font program). Instead:

- each part is written with the faces whole (`full_fonts`), so every part's font dictionaries for a
  face are the same; the worker notes which glyphs the part really drew and the text each stands
  for, takes the font programs out of the part (`detach_programs`) and sends each program to the
  parent once per worker process, not once per part;
- at the join (`share_fonts`), every page and form that names a face is pointed at one font
  dictionary, whose program is subset once to the glyphs any part drew (glyph ids kept, so every
  page's text still selects the right glyphs), with widths and a ToUnicode map for exactly those
  glyphs and a subset tag of its own.

The faces are WeasyPrint's: one per font description (family, weight, style, size), named
`/TAG+Family-Name` with a tag WeasyPrint derives from the description, so every part names a face
alike.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

import pikepdf

# What a part tells the join about a face: the glyphs it drew and the text each stands for.
Glyphs = dict[int, str]


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
            drawn.setdefault(font.name.decode(), {}).update(font.to_unicode)
    return drawn


def detach_programs(pdf: bytes, sent: set[str]) -> tuple[bytes, dict[str, bytes]]:
    """Take the embedded font programs out of `pdf` (a part written with whole fonts); returns the
    part and the programs of the faces not in `sent` (which is updated)."""
    programs: dict[str, bytes] = {}
    with pikepdf.open(io.BytesIO(pdf)) as part:
        for descriptor in _descriptors(part):
            name = str(descriptor.FontName)
            if name not in sent:
                programs[name] = descriptor.FontFile2.read_bytes()
                sent.add(name)
            descriptor.FontFile2 = part.make_stream(b"")
        out = io.BytesIO()
        part.save(out)
    return out.getvalue(), programs


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
    widths = _widths(descendant.get("/W", pikepdf.Array()))
    tag = "".join(chr(65 + byte % 26) for byte in hashlib.sha256(subset_program).digest()[:6])
    base = str(font.BaseFont).split("+", 1)[-1].lstrip("/")
    name = pikepdf.Name(f"/{tag}+{base}")
    font.BaseFont = descendant.BaseFont = descriptor.FontName = name
    descendant.W = pikepdf.Array([item for gid in glyphs if gid in widths for item in (gid, [widths[gid]])])
    stream = document.make_stream(subset_program)
    stream.Length1 = len(subset_program)
    descriptor.FontFile2 = stream
    font.ToUnicode = document.make_stream(_to_unicode({gid: drawn[gid] for gid in glyphs if gid in drawn}))


def _widths(array) -> dict[int, object]:
    """The widths of a CIDFont /W array: `c [w1 w2 ...]` runs and `first last w` ranges."""
    widths: dict[int, object] = {}
    items, at = list(array), 0
    while at < len(items):
        first = int(items[at])
        if isinstance(items[at + 1], pikepdf.Array):
            for offset, width in enumerate(items[at + 1]):
                widths[first + offset] = width
            at += 2
        else:
            for gid in range(first, int(items[at + 1]) + 1):
                widths[gid] = items[at + 2]
            at += 3
    return widths


def _to_unicode(drawn: Glyphs) -> bytes:
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


def _descriptors(pdf: pikepdf.Pdf):
    for candidate in pdf.objects:
        if isinstance(candidate, pikepdf.Dictionary) and candidate.get("/Type") == "/FontDescriptor":
            if "/FontFile2" in candidate:
                yield candidate


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
