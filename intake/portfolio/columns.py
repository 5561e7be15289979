"""Map the header row of a portfolio file to our fields, whatever language or tool wrote it.

Municipalities keep the portfolio in Excel, in CSV exports and in Microsoft Planner; the same
column is called `Utvecklingsärende`, `Titel`, `Title` or `Task Name`. Names are compared with
case, accents, spaces and punctuation folded away, so `2 %-aren` and `2%-ären` are one column.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

NR = "nr"
YEAR = "year"
TITLE = "title"
PROJECT_NUMBER = "project_number"
COST = "cost"
TWO_PERCENT = "two_percent"
FOCUS_AREA = "focus_area"
STEP = "step"
DESCRIPTION = "description"

FIELDS: tuple[str, ...] = (
    NR,
    YEAR,
    TITLE,
    PROJECT_NUMBER,
    COST,
    TWO_PERCENT,
    FOCUS_AREA,
    STEP,
    DESCRIPTION,
)
"""Our fields in the order of the Sundsvall export, followed by the ones it lacks."""

HEADERS: dict[str, str] = {
    NR: "Nr",
    YEAR: "År",
    TITLE: "Utvecklingsärende",
    PROJECT_NUMBER: "Projektnr",
    COST: "Kostnad (totalt)",
    TWO_PERCENT: "2%-aren",
    FOCUS_AREA: "Fokusområde",
    STEP: "Steg",
    DESCRIPTION: "Beskrivning",
}
"""Header names written on export: those of the Sundsvall portfolio export."""

_ALIASES: dict[str, tuple[str, ...]] = {
    NR: ("nr", "nummer", "id", "no", "number", "initiativnr", "arendenr", "arendenummer"),
    YEAR: ("ar", "year", "artal"),
    TITLE: (
        "utvecklingsarende",
        "utvecklingsarenden",
        "titel",
        "title",
        "initiativ",
        "namn",
        "name",
        "rubrik",
        "taskname",
        "uppgiftsnamn",
        "aktivitetsnamn",
    ),
    PROJECT_NUMBER: ("projektnr", "projektnummer", "projectnumber", "projectno", "projectnr"),
    COST: (
        "kostnadtotalt",
        "kostnad",
        "totalkostnad",
        "kostnadkr",
        "kostnadsek",
        "cost",
        "costtotal",
        "totalcost",
        "costsek",
    ),
    TWO_PERCENT: (
        "2aren",
        "2arenden",
        "2finansiering",
        "2procent",
        "2procentaren",
        "2medel",
        "2fonden",
        "2percent",
        "2funding",
        "2fund",
        "twopercent",
    ),
    FOCUS_AREA: ("fokusomrade", "fokus", "focusarea", "focus"),
    STEP: ("steg", "status", "step", "bucket", "bucketname", "bucketnamn"),
    DESCRIPTION: ("beskrivning", "description", "anteckningar", "notes"),
}
_LOOKUP: dict[str, str] = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}


def fold_header(text: str) -> str:
    """Fold case, accents, spacing and punctuation so that header variants compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


@dataclass
class ColumnMap:
    """Which cell of a row holds which field, and which columns the file has that we skip."""

    index: dict[str, int] = field(default_factory=dict)
    header: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def cell(self, row: Sequence[object], name: str) -> object:
        """Return the cell of `row` holding field `name`, None when absent or past the row end."""
        position = self.index.get(name)
        if position is None or position >= len(row):
            return None
        return row[position]


def map_columns(headers: Sequence[object]) -> ColumnMap:
    """Map header cells to fields; the first column wins when two name the same field."""
    columns = ColumnMap()
    for position, raw in enumerate(headers):
        label = "" if raw is None else str(raw).strip()
        if not label:
            continue  # an unnamed column holds nothing we could place
        name = _LOOKUP.get(fold_header(label))
        if name is None:
            columns.ignored.append(label)
        elif name in columns.index:
            columns.ignored.append(f"{label} (same as {columns.header[name]})")
        else:
            columns.index[name] = position
            columns.header[name] = label
    return columns
