"""Write portfolio items to CSV or XLSX with the headers of the Sundsvall export.

What is written reads back unchanged: an amount goes out as the text it came in as when that text
still says the same amount, and a text that never was an amount (a cut-off `730 00`) goes out as
it is, so that export and import again is a no-op.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from intake.domain.portfolio import PortfolioEntry
from intake.domain.process import ProcessDefinition
from intake.portfolio.columns import FIELDS, HEADERS
from intake.portfolio.money import format_money, parse_money

ENCODINGS = ("utf-8-sig", "utf-8", "cp1252")
"""Encodings offered for CSV: with BOM (Excel opens it right), plain, and old Windows Excel."""

_MONEY_FORMAT = '#,##0 "kr"'


class ExportEncodingError(ValueError):
    """Raised when an item holds a character the chosen encoding cannot write."""


def item_cells(item: PortfolioEntry, process: ProcessDefinition) -> list[str | int | None]:
    """Return one row in the order of `FIELDS`; step and focus area as their Swedish names."""
    cells: dict[str, str | int | None] = {
        "nr": item.nr,
        "year": item.year,
        "title": item.title,
        "project_number": item.project_number,
        "cost": money_text(item.cost_sek, item.cost_text),
        "two_percent": money_text(item.two_percent_sek, item.two_percent_text),
        "focus_area": _focus_name(item.focus_area, process),
        "step": _step_name(item.step, process),
        "description": item.description,
    }
    return [cells[name] for name in FIELDS]


def money_text(amount: int | None, text: str | None) -> str | None:
    """Return the text as imported when it still means `amount`, else the amount the Swedish way."""
    if text is not None and parse_money(text).amount == amount:
        return text
    return format_money(amount) if amount is not None else None


def write_csv(
    items: Iterable[PortfolioEntry],
    stream: BinaryIO,
    process: ProcessDefinition,
    *,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
) -> int:
    """Write items as CSV to a binary stream and return how many; raise on unencodable text."""
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    if encoding == "utf-8-sig":
        stream.write("\ufeff".encode())
    stream.write(_csv_line([HEADERS[name] for name in FIELDS], delimiter).encode(codec))
    count = 0
    for item in items:
        line = _csv_line(item_cells(item, process), delimiter)
        try:
            stream.write(line.encode(codec))
        except UnicodeEncodeError as exc:
            raise ExportEncodingError(
                f"Nr {item.nr} holds {exc.object[exc.start : exc.end]!r}, which {encoding} cannot "
                "write; export with --encoding utf-8-sig"
            ) from exc
        count += 1
    return count


def write_xlsx(items: Iterable[PortfolioEntry], path: Path, process: ProcessDefinition) -> int:
    """Write items to the first sheet of a new workbook; amounts as numbers Excel can sum."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Portfölj"
    sheet.append([HEADERS[name] for name in FIELDS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    count = 0
    for item in items:
        count += 1
        for column, value in enumerate(_xlsx_values(item, item_cells(item, process)), start=1):
            _set(sheet.cell(row=count + 1, column=column), value)
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHI", (8, 6, 60, 14, 16, 14, 22, 30, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    workbook.save(path)
    return count


def _xlsx_values(item: PortfolioEntry, row: Sequence[str | int | None]) -> list[Any]:
    values: list[Any] = list(row)
    for position, amount, text in (
        (FIELDS.index("cost"), item.cost_sek, item.cost_text),
        (FIELDS.index("two_percent"), item.two_percent_sek, item.two_percent_text),
    ):
        # A number only where it reads back as the same text; "- kr" stays text.
        if amount is not None and (text is None or text == format_money(amount)):
            values[position] = amount
    return values


def _set(cell: Any, value: Any) -> None:
    cell.value = value
    if isinstance(value, int):
        if cell.column in (FIELDS.index("cost") + 1, FIELDS.index("two_percent") + 1):
            cell.number_format = _MONEY_FORMAT
    elif isinstance(value, str) and value.startswith("="):
        # openpyxl turns a text starting with "=" into a formula; a title is never one.
        cell.data_type = "s"


def _csv_line(cells: Sequence[str | int | None], delimiter: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerow(
        ["" if v is None else v for v in cells]
    )
    return buffer.getvalue()


def _step_name(key: str | None, process: ProcessDefinition) -> str | None:
    if key is None:
        return None
    step = next((s for s in process.steps if s.key == key), None)
    return step.board_column.sv if step else key


def _focus_name(key: str | None, process: ProcessDefinition) -> str | None:
    if key is None:
        return None
    area = next((a for a in process.focus_areas if a.key == key), None)
    return area.name.sv if area else key
