"""Read a portfolio file (CSV or XLSX) into checked rows, each with the line a person sees.

A bad row never stops the others: it becomes a `RowError` with its line number, so that staff
can fix the spreadsheet and import again. Only a file that cannot be read at all raises
`PortfolioFileError`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from intake.domain.process import ProcessDefinition
from intake.models import PortfolioItem
from intake.portfolio import columns as c
from intake.portfolio.columns import ColumnMap, map_columns
from intake.portfolio.money import normalize_space, parse_money

_DELIMITERS = (";", "\t", ",")  # in order of preference when a header splits equally
# Planner cards are often titled "22-04 SBK Parkeringstillstånd": the Nr comes first.
_NR_IN_TITLE = re.compile(r"(\d{2,4}-\d{1,4})\s*[-–:.]?\s+(\S.*)")
_YEAR_IN_NR = re.compile(r"(\d{2}|20\d{2})-")


class PortfolioFileError(ValueError):
    """Raised when a file cannot be read as a portfolio at all; the message says why."""


@dataclass(frozen=True)
class PortfolioRow:
    """The values of one row, and which item fields the file provides (others stay as they are)."""

    nr: str
    title: str
    year: int | None = None
    project_number: str | None = None
    cost_sek: int | None = None
    cost_text: str | None = None
    two_percent_sek: int | None = None
    two_percent_text: str | None = None
    focus_area: str | None = None
    step: str | None = None
    description: str | None = None
    provided: frozenset[str] = frozenset({"nr", "title"})

    def values(self) -> dict[str, Any]:
        """Return `{item field: value}` for the fields the file provides."""
        return {name: getattr(self, name) for name in sorted(self.provided)}


@dataclass(frozen=True)
class ParsedRow:
    """A row that can be imported, with warnings such as an amount that could not be read."""

    line: int
    values: PortfolioRow
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowError:
    """A row that cannot be imported, and why."""

    line: int
    message: str


@dataclass
class PortfolioSource:
    """A file read into its header and raw rows, before any row is checked."""

    name: str
    columns: ColumnMap
    rows: list[tuple[int, list[object]]]
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Return the number of data rows, for a progress bar."""
        return len(self.rows)


def read_portfolio(path: Path, *, sheet: str | None = None) -> PortfolioSource:
    """Read a CSV or XLSX file; the first non-empty row is the header."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PortfolioFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if data.startswith(b"PK\x03\x04"):
        table = _read_xlsx(path, sheet)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise PortfolioFileError(f"{path.name} is an old Excel (.xls) file; save it as .xlsx or CSV")
    elif sheet is not None:
        raise PortfolioFileError(f"--sheet applies to Excel files only, and {path.name} is not one")
    else:
        table = _read_csv(data, path.name)
    table = [(line, cells) for line, cells in table if any(_text(v) for v in cells)]
    if not table:
        raise PortfolioFileError(f"{path.name} is empty")
    header_line, header = table[0]
    columns = map_columns(header)
    if c.TITLE not in columns.index:
        found = ", ".join(str(h) for h in header if _text(h)) or "none"
        raise PortfolioFileError(
            f"no title column in the header on line {header_line} of {path.name} "
            f"(found: {found}); name it Utvecklingsärende, Titel, Title or Task Name"
        )
    source = PortfolioSource(path.name, columns, table[1:])
    if c.NR not in columns.index:
        source.notes.append("no Nr column: the Nr is taken from the start of each title")
    return source


def parse_rows(source: PortfolioSource, process: ProcessDefinition) -> Iterator[ParsedRow | RowError]:
    """Check each row; a Nr seen before in the same file is an error on the later line."""
    seen: dict[str, int] = {}
    for line, cells in source.rows:
        result = _parse_row(line, cells, source.columns, process)
        if isinstance(result, ParsedRow):
            first = seen.setdefault(result.values.nr, line)
            if first != line:
                result = RowError(line, f"Nr {result.values.nr} appears again (first on line {first})")
        yield result


def _read_csv(data: bytes, name: str) -> list[tuple[int, list[object]]]:
    text = _decode(data, name)
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    # Excel writes and honours a first line "sep=;" that names the delimiter.
    hint = first[4:] if first.casefold().startswith("sep=") and len(first) == 5 else None
    delimiter = hint or max(_DELIMITERS, key=lambda d: len(next(csv.reader([first], delimiter=d), [])))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table: list[tuple[int, list[object]]] = []
    last = 0
    try:
        for cells in reader:
            # A quoted cell may span lines; the row starts on the line after the previous one.
            if hint is not None and cells[:1] == ["sep="]:
                hint = None  # the "sep=" line itself is no row
            else:
                table.append((last + 1, list(cells)))
            last = reader.line_num
    except csv.Error as exc:
        raise PortfolioFileError(f"{name} line {last + 1}: not readable as CSV ({exc})") from exc
    return table


def _decode(data: bytes, name: str) -> str:
    """Decode UTF-8 (with or without BOM) or UTF-16 with BOM, else Windows-1252 (old Excel)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    elif data.startswith(codecs.BOM_UTF8):
        encodings = ("utf-8-sig",)
    else:
        encodings = ("utf-8", "cp1252")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PortfolioFileError(f"{name} is neither UTF-8 nor Windows-1252 text; save it as CSV UTF-8")


def _read_xlsx(path: Path, sheet: str | None) -> list[tuple[int, list[object]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise PortfolioFileError(f"{path.name} is not a readable Excel file ({exc})") from exc
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            names = ", ".join(workbook.sheetnames)
            raise PortfolioFileError(f"{path.name} has no sheet {sheet!r}; its sheets: {names}")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        # Some tools write a wrong size into the file; read every cell that is there instead.
        worksheet.reset_dimensions()
        rows = worksheet.iter_rows(min_row=1, values_only=True)
        return [(number, list(cells)) for number, cells in enumerate(rows, start=1)]
    finally:
        workbook.close()


def _parse_row(
    line: int, cells: Sequence[object], columns: ColumnMap, process: ProcessDefinition
) -> ParsedRow | RowError:
    errors: list[str] = []
    warnings: list[str] = []
    values: dict[str, Any] = {}
    nr_cell = columns.cell(cells, c.NR)
    title = _one_line(columns.cell(cells, c.TITLE))
    nr = _one_line(nr_cell)
    if c.NR not in columns.index and (match := _NR_IN_TITLE.fullmatch(title)):
        nr, title = match.group(1), match.group(2).strip()
    if isinstance(nr_cell, date | datetime):
        errors.append(f"Nr became the date {nr_cell:%Y-%m-%d} in Excel; format the column as text")
    elif not nr:
        errors.append(
            "Nr is missing"
            if c.NR in columns.index
            else "no Nr column, and the title does not start with a Nr like 22-04"
        )
    if not title:
        errors.append(f"{columns.header[c.TITLE]} (title) is missing")
    values.update(nr=nr, title=title)
    year = _year(columns, cells, nr, errors)
    if year is not None or c.YEAR in columns.index:
        values["year"] = year
    if c.PROJECT_NUMBER in columns.index:
        values["project_number"] = _one_line(columns.cell(cells, c.PROJECT_NUMBER)) or None
    for name, prefix in ((c.COST, "cost"), (c.TWO_PERCENT, "two_percent")):
        if name in columns.index:
            money = parse_money(_money_cell(columns.cell(cells, name)))
            values.update({f"{prefix}_sek": money.amount, f"{prefix}_text": money.text})
            if money.warning:
                warnings.append(f"{columns.header[name]} {money.warning}")
    _labels(columns, cells, process, values, errors)
    if c.DESCRIPTION in columns.index:
        values["description"] = _multi_line(columns.cell(cells, c.DESCRIPTION)) or None
    errors.extend(_too_long(values, columns))
    if errors:
        return RowError(line, "; ".join(errors))
    return ParsedRow(line, PortfolioRow(**values, provided=frozenset(values)), tuple(warnings))


def _year(columns: ColumnMap, cells: Sequence[object], nr: str, errors: list[str]) -> int | None:
    text = _one_line(columns.cell(cells, c.YEAR))
    if not text:
        match = _YEAR_IN_NR.match(nr)
        if match is None:
            return None
        number = int(match.group(1))
        return number if number >= 2000 else 2000 + number
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        errors.append(f"{columns.header[c.YEAR]} must be a year 2000–2100, not {text!r}")
        return None
    return int(text)


def _labels(
    columns: ColumnMap,
    cells: Sequence[object],
    process: ProcessDefinition,
    values: dict[str, Any],
    errors: list[str],
) -> None:
    """Map step and focus area texts to the keys of the process; name the allowed ones if not."""
    if c.STEP in columns.index:
        text = _one_line(columns.cell(cells, c.STEP))
        step = process.match_step(text) if text else None
        values["step"] = step.key if step else None
        if text and step is None:
            allowed = "; ".join(f"{s.key} ({s.board_column.sv})" for s in process.steps)
            errors.append(f"{columns.header[c.STEP]} {text!r} is not a step; use one of: {allowed}")
    if c.FOCUS_AREA in columns.index:
        text = _one_line(columns.cell(cells, c.FOCUS_AREA))
        area = process.match_focus_area(text) if text else None
        values["focus_area"] = area.key if area else None
        if text and area is None:
            allowed = "; ".join(a.name.sv for a in process.focus_areas)
            header = columns.header[c.FOCUS_AREA]
            errors.append(f"{header} {text!r} is not a focus area; use one of: {allowed}")


def _too_long(values: dict[str, Any], columns: ColumnMap) -> list[str]:
    """Check lengths here: PostgreSQL would refuse the whole import, SQLite would not notice."""
    problems = []
    table = PortfolioItem.metadata.tables[PortfolioItem.__tablename__]
    for name, value in values.items():
        limit = getattr(table.c[name].type, "length", None)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            column = name.removesuffix("_text").replace("two_percent", c.TWO_PERCENT)
            header = columns.header.get(column, name)
            problems.append(f"{header} is {len(value)} characters long; at most {limit} fit")
    return problems


def _money_cell(value: object) -> str | int | float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return _text(value) or None


def _text(value: object) -> str:
    """Return a cell as text the way a person reads it: 2022, not 2022.0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _one_line(value: object) -> str:
    return normalize_space(_text(value))


def _multi_line(value: object) -> str:
    return "\n".join(line.rstrip() for line in _text(value).splitlines()).strip()
