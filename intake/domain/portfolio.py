"""An initiative of the common portfolio as the pages, the API, the CLI and the exports read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PortfolioEntry:
    """One initiative, keyed by its Nr: a frozen copy of its row, so no reader holds an ORM object.

    Amounts are whole kronor where the cell read as one; the text as written stays beside them
    (`cost_text`), so that an export writes back what was imported.
    """

    nr: str
    year: int | None
    title: str
    project_number: str | None
    cost_sek: int | None
    cost_text: str | None
    two_percent_sek: int | None
    two_percent_text: str | None
    focus_area: str | None
    step: str | None
    description: str | None
    source: str | None
    created_at: datetime
    updated_at: datetime
