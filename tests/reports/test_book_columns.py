"""The bound book's columns hold what they must on one line: a 15-character licence number in each
"Address or FFL" column, a caliber such as "Parabellum" or "5.56x45mm", a model, a maker, a Form 4473
number and a date, in the table face at its size."""

from __future__ import annotations

import pytest

from registry.reports import layout, tablefont
from registry.reports.types.bound_book import BOOK_COLUMNS, BOOK_GEOMETRY


@pytest.fixture(scope="module")
def font():
    return layout.metrics(str(tablefont.TARGET), tuple(tablefont.LADDER))


@pytest.mark.parametrize(
    "column, text",
    [
        ("source", "987654078A00001"),
        ("transferee", "987654078A00001"),
        ("source", "823091017F14245"),
        ("caliber", "Parabellum"),
        ("caliber", "5.56x45mm"),
        ("caliber", "7.62x51mm"),
        ("caliber", "5.56\u00d745mm"),
        ("model", "1911A1"),
        ("manufacturer", "Smith-Wesson"),
        ("form_4473", "TX-2026-000123"),
        ("date", "2026-11-20"),
        ("disposition_date", "2026-11-20"),
    ],
)
def test_a_value_fits_one_line_of_its_column(font, column, text):
    # as registry.reports.layout.lay_out wraps a cell: its width less the padding and the safety margin
    width = next(c.width_mm for c in BOOK_COLUMNS if c.key == column) - 2 * BOOK_GEOMETRY.padding_mm - layout.SAFETY_MM
    assert font.wrap(text, width, BOOK_GEOMETRY.size_pt) == [text]


def test_the_columns_fill_the_landscape_page_as_before():
    assert sum(c.width_mm for c in BOOK_COLUMNS) == 273
