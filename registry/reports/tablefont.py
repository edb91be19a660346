"""The face the prelaid tables are set in: DejaVu Sans with a ladder of wide blank characters.

A prelaid page (registry/reports/layout.py) reaches each column with space characters, and WeasyPrint
spends as much on a blank glyph as on a letter: with DejaVu Sans's own spaces (an em at most) a line
of the bound book carried 83 of them, and a page cost a third more than the same words with one
space per gap. This face is DejaVu Sans with fifteen Unicode space characters given blank glyphs of
their own, whose advances grow by a factor of about 1.68 from 32 font units (0.04 mm at 7 pt) to 16
ems (the most a signed 16-bit advance holds), so that a gap in a bound-book line takes three of them
on average and six at most, where it took twelve and up to 55. U+0020 keeps its
width: it is the space between words inside a cell. The glyphs stay space characters, so a reader
copying text from the PDF gets white space between the columns.

The Bitstream Vera licence lets a modified font be distributed under another name, hence the name
"Serial Ledger Table". `python -m registry.reports.tablefont` writes it beside DejaVu Sans;
tests/reports/test_layout.py checks that the committed file is what this module makes.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

FONTS = Path(__file__).resolve().parent.parent.parent / "templates" / "reports" / "pdf" / "fonts"
SOURCE = FONTS / "DejaVuSans.ttf"
TARGET = FONTS / "SerialLedgerTable.ttf"
FAMILY = "Serial Ledger Table"
POSTSCRIPT = "SerialLedgerTable"

# Each character and the advance of its blank glyph, in units of the 2048-unit em. Every advance is a
# multiple of 32, so the layout finds the fewest characters for a gap on a 32-unit grid; none is over
# 32,767 units, which some readers take for a negative advance.
LADDER = {
    "\u200a": 32,
    "\u2009": 64,
    "\u2006": 96,
    "\u2005": 160,
    "\u2004": 256,
    "\u2008": 416,
    "\u2002": 704,
    "\u2000": 1216,
    "\u2007": 2016,
    "\u2003": 3424,
    "\u2001": 5728,
    "\u202f": 9632,
    "\u205f": 16160,
    "\u00a0": 27168,
    "\u3000": 32736,
}


def build(source: Path = SOURCE) -> bytes:
    """The table face as TrueType bytes, made from `source` (DejaVu Sans) the same way every time."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    font = TTFont(str(source), recalcTimestamp=False)
    order = font.getGlyphOrder()
    glyf, hmtx = font["glyf"], font["hmtx"]
    for char, advance in LADDER.items():
        name = f"ladder{ord(char):04X}"
        order.append(name)
        glyf.glyphs[name] = Glyph()
        hmtx.metrics[name] = (advance, 0)
    font.setGlyphOrder(order)
    glyf.glyphOrder = order
    for table in font["cmap"].tables:
        if table.isUnicode():
            for char in LADDER:
                if ord(char) <= 0xFFFF or table.format in (12, 13):
                    table.cmap[ord(char)] = f"ladder{ord(char):04X}"
    # Tables of per-glyph device metrics and hinting hints would no longer match the glyph count.
    for tag in ("hdmx", "LTSH", "VDMX"):
        if tag in font:
            del font[tag]
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID in (4, 18):
            record.string = FAMILY
        elif record.nameID == 6:
            record.string = POSTSCRIPT
        elif record.nameID == 3:
            record.string = f"{FAMILY}: DejaVu Sans with wide blank characters for prelaid tables"
    font["head"].modified = font["head"].created
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def main(argv: list[str]) -> int:
    TARGET.write_bytes(build())
    print(f"wrote {TARGET.name} ({TARGET.stat().st_size:,} bytes) from {SOURCE.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
