"""The prelaid table layout: properties over random rows and columns. Every word lands in its column
(at the column's start, within a few font units, and never wider than it), rows keep their order and
their words, and no page holds more lines than it has room for."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.reports import layout, tablefont
from registry.reports.service import TEMPLATE_FOLDER

FONT = layout.metrics(str(tablefont.TARGET), tuple(tablefont.LADDER))  # the rows' face, as the service uses it
BOLD = layout.metrics(str(TEMPLATE_FOLDER / "fonts" / "DejaVuSans-Bold.ttf"))  # the column heads' face
SPACE_RUN = re.compile("[" + "".join(FONT.spaces) + "]+")
words = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.,/#()'", min_size=1, max_size=40
)
cell = st.lists(words, max_size=6).map(" ".join)


def geometry(first_lines: int, page_lines: int) -> layout.Geometry:
    return layout.Geometry(
        size_pt=7,
        line_mm=3.2,
        padding_mm=0.8,
        first_mm=first_lines * 3.2 + 0.1,
        page_mm=page_lines * 3.2 + 0.1,
        closing_mm=3 * 3.2,
    )


@settings(max_examples=60, deadline=None)
@given(
    widths=st.lists(st.integers(min_value=8, max_value=40), min_size=1, max_size=5),
    data=st.data(),
    first=st.integers(min_value=2, max_value=12),
    page=st.integers(min_value=4, max_value=20),
)
def test_rows_keep_their_words_columns_and_order(widths, data, first, page):
    columns = [layout.Column(f"c{n}", f"C{n}", float(w)) for n, w in enumerate(widths)]
    rows = data.draw(
        st.lists(
            st.tuples(
                st.lists(cell, min_size=len(widths), max_size=len(widths)), st.sampled_from(["", "alt", "corrected"])
            ),
            max_size=25,
        )
    )
    shape = geometry(first, page)
    sheets = layout.lay_out(rows, columns, FONT, shape)
    starts = layout.column_starts(columns, FONT, shape)
    found = [[] for _ in columns]
    for sheet in sheets:
        assert sheet.lines <= shape.capacity(sheet.number == 1)
        assert abs(sheet.height_mm - sheet.lines * shape.line_mm) < 1e-6
        lines = sheet.text.split("\n") if sheet.lines else []
        assert len(lines) == sheet.lines
        for number, line in enumerate(lines):
            rebuilt, at = "", 0
            for column, start in enumerate(starts):
                piece = sheet.cells[column][number]
                if not piece:
                    continue
                gap = FONT.pad(start - at)
                at += FONT.advance_of(gap)
                assert 0 <= start - at <= 70, "a column starts more than 0.1 mm off its edge"
                width = FONT.width_mm(piece, shape.size_pt)
                assert width <= columns[column].width_mm - 2 * shape.padding_mm, "a piece runs past its column"
                rebuilt += gap + piece
                at += FONT.advance_of(piece)
                found[column].append(piece)
            assert rebuilt == line
    for column in range(len(columns)):
        expected = "".join("".join(cells[column].split()) for cells, _ in rows)
        assert "".join("".join(piece.split()) for piece in found[column]) == expected
    last = sheets[-1]
    assert shape.capacity(last.number == 1) - last.lines >= 3  # room for the closing note


def test_a_word_wider_than_its_column_breaks_inside_and_a_long_row_spans_pages():
    columns = [layout.Column("a", "A", 10.0)]
    shape = geometry(2, 3)
    sheets = layout.lay_out([(["W" * 40], "")], columns, FONT, shape)
    lines = [line for sheet in sheets for line in sheet.text.split("\n") if line]
    assert "".join(SPACE_RUN.sub("", line) for line in lines) == "W" * 40
    assert len(lines) > 3 and len(sheets) > 2
    assert all(sheet.lines <= shape.capacity(sheet.number == 1) for sheet in sheets)


def test_pad_never_overshoots_and_lands_close_with_few_spaces():
    for units in range(0, 160_000, 7):  # up to about 200 mm at 7 pt: wider than any table
        spaces = FONT.pad(units)
        padded = FONT.advance_of(spaces)
        assert 0 <= units - padded < FONT.quantum <= layout.TOLERANCE
        assert len(spaces) <= max(0, units // 32736 - 1) + 6
        assert set(spaces) <= set(tablefont.LADDER)


def test_the_bold_face_pads_with_its_own_spaces():
    for units in range(0, 12000, 3):
        spaces = BOLD.pad(units)
        padded = BOLD.advance_of(spaces)
        assert padded <= units
        assert units - padded <= (layout.TOLERANCE if units >= 1200 else 204)
        assert len(spaces) <= max(0, units // 2048 - 1) + 8
        assert set(spaces) <= set(layout.SPACES)


def test_a_cell_keeps_no_character_that_places_columns():
    typed = "Smith\u00a0&\u2003Sons\tLtd.\u3000Austin\u2009TX"
    [line] = FONT.wrap(typed, 200, 7)
    assert line == "Smith & Sons Ltd. Austin TX"
    assert FONT.wrap("North\nSouth", 200, 7) == ["North", "South"]


def test_the_committed_table_face_is_the_one_the_module_builds():
    assert tablefont.build() == tablefont.TARGET.read_bytes(), "run python -m registry.reports.tablefont"


def test_the_table_face_is_dejavu_sans_with_wide_blanks_under_its_own_name():
    from fontTools.ttLib import TTFont

    table, source = TTFont(str(tablefont.TARGET)), TTFont(str(tablefont.SOURCE))
    names = {record.toUnicode() for record in table["name"].names if record.nameID in (1, 3, 4, 6, 16)}
    assert not any("Vera" in name or "Bitstream" in name for name in names)  # the licence's condition
    assert "Serial Ledger Table" in names and table["name"].getDebugName(0) == source["name"].getDebugName(0)
    cmap, widths = table.getBestCmap(), table["hmtx"].metrics
    for char, advance in tablefont.LADDER.items():
        glyph = cmap[ord(char)]
        assert widths[glyph][0] == advance and table["glyf"][glyph].numberOfContours == 0
    source_cmap, source_widths = source.getBestCmap(), source["hmtx"].metrics
    for char in " AZaz09-.,/()#éßЖ":
        assert widths[cmap[ord(char)]] == source_widths[source_cmap[ord(char)]]
    assert max(advance for advance, _ in widths.values()) < 2**15
