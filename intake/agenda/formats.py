"""Dates, times and numbers in an agenda as people write them, in Swedish or English (Babel)."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date

from intake.locale import LOCALES, language, texts


def long_date(day: date, lang: str) -> str:
    """Write `day` as people do: "tisdag 1 december 2026", "Tuesday 1 December 2026"."""
    return format_date(day, "EEEE d MMMM y", locale=LOCALES[language(lang)])


def clock(moment: datetime) -> str:
    """Return the local time of day, "09:00"."""
    return moment.strftime("%H:%M")


def timestamp(moment: datetime) -> str:
    """Return an ISO date and time to the minute, "2026-11-28 06:00"."""
    return moment.strftime("%Y-%m-%d %H:%M")


def score(value: float, lang: str) -> str:
    """Write a 0-1 score with two decimals and the language's decimal sign: "0,82" in Swedish."""
    return texts(lang).number(value, decimals=2)
