"""What the portfolio templates show, typed: one dataclass per page, amounts formatted per language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from intake.domain.portfolio import PortfolioEntry
from intake.services.portfolio import PortfolioPage, PortfolioQuery, two_percent_funded


def money(amount: int | None, lang: str) -> str | None:
    """Whole kronor for people: `2 114 575 kr` in Swedish, `SEK 2,114,575` in English; no breaks."""
    if amount is None:
        return None
    if lang == "en":
        return f"SEK\u00a0{amount:,}"
    return f"{amount:,}\u00a0kr".replace(",", "\u00a0")


def item_url(nr: str, lang: str | None = None) -> str:
    """The item page of Nr `nr`."""
    return f"/portfolio/{quote(nr, safe='')}" + (f"?lang={lang}" if lang else "")


@dataclass
class ListPage:
    """What `portfolio/list.html` and its results fragment need."""

    chosen: PortfolioQuery
    found: PortfolioPage
    page_size: int
    lang: str
    focus_names: dict[str, str]
    step_names: dict[str, str]

    @property
    def page(self) -> int:
        """The page shown, counted from 1."""
        return self.chosen.offset // self.page_size + 1

    @property
    def pages(self) -> int:
        """How many pages the matches fill (at least one)."""
        return max(1, -(-self.found.total // self.page_size))

    @property
    def first(self) -> int:
        """The number of the first item shown, counted from 1."""
        return self.chosen.offset + 1 if self.found.items else 0

    @property
    def last(self) -> int:
        """The number of the last item shown."""
        return self.chosen.offset + len(self.found.items)

    def cost(self, item: PortfolioEntry) -> str:
        """The cost cell: the amount, or the text as written when it is no amount."""
        return money(item.cost_sek, self.lang) or item.cost_text or "–"

    def url(self, **changes: object) -> str:
        """The list's URL with the current search and filters and `changes` (for the pager)."""
        chosen = self.chosen
        values = {
            "q": chosen.search,
            "focus": chosen.focus_area,
            "year": str(chosen.year or ""),
            "sort": chosen.sort if chosen.sort != "nr" else "",
            "page": str(self.page),
            "lang": self.lang,
        }
        values.update({k: str(v) for k, v in changes.items()})
        kept = {k: v for k, v in values.items() if v and not (k == "page" and v == "1")}
        return "/portfolio?" + urlencode(kept)


@dataclass
class ItemView:
    """One initiative as its page shows it."""

    nr: str
    title: str
    year: int | None
    project_number: str | None
    cost: str | None
    cost_unread: str | None
    two_percent: str | None
    two_percent_unread: str | None
    funded: bool
    focus: str | None
    step: str | None
    description: str | None
    source: str | None
    updated_at: datetime


def item_view(
    item: PortfolioEntry, lang: str, focus_names: dict[str, str], step_names: dict[str, str]
) -> ItemView:
    """Format `item` for its page; an amount that could not be read shows as it was written."""
    return ItemView(
        nr=item.nr,
        title=item.title,
        year=item.year,
        project_number=item.project_number,
        cost=money(item.cost_sek, lang),
        cost_unread=item.cost_text if item.cost_sek is None else None,
        two_percent=money(item.two_percent_sek, lang),
        two_percent_unread=item.two_percent_text if item.two_percent_sek is None else None,
        funded=two_percent_funded(item),
        focus=focus_names.get(item.focus_area, item.focus_area) if item.focus_area else None,
        step=step_names.get(item.step, item.step) if item.step else None,
        description=item.description,
        source=item.source,
        updated_at=item.updated_at,
    )


@dataclass(frozen=True)
class UploadError:
    """Why an uploaded file was refused: a text (msgid), and the reader's own words when it has some."""

    message: str
    detail: str | None = None
