"""CSV for download: the rows under a header, with any cell that a spreadsheet would run as a formula
(text starting with = + - @, or a tab or carriage return, which some spreadsheets skip before looking
for one) prefixed with a quote (OWASP's advice on CSV injection)."""

from __future__ import annotations

import csv
import io
from typing import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    return "'" + value if isinstance(value, str) and value[:1] in FORMULA_STARTS else value


def csv_text(rows: Iterable[dict], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows({key: _cell(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()
