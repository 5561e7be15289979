"""The texts of the pages, mails and agendas: gettext catalogues with Swedish msgids, and Babel formats.

Swedish is the source language: a msgid is the Swedish text, `sv/LC_MESSAGES/beredning.po` may
leave its msgstr empty and `en/LC_MESSAGES/beredning.po` holds the English. The `.po` files are
read once per process and language (no compiled `.mo` in the repository); `make messages`
extracts the texts from the code and templates and updates both files.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

DOMAIN = "beredning"
LANGUAGES = ("sv", "en")
"""The languages the service speaks, Swedish first."""

LOCALES = {"sv": "sv_SE", "en": "en"}
"""The Babel locale of each language, for dates, numbers and plural rules."""


def language(lang: str | None) -> str:
    """Return `lang` if the service speaks it, else Swedish."""
    return lang if lang is not None and lang in LANGUAGES else "sv"


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> Translations:
    """Read the catalogue of `lang` (compiled in memory, once per process)."""
    lang = language(lang)
    source = resources.files(__name__).joinpath(lang, "LC_MESSAGES", f"{DOMAIN}.po")
    with source.open("rb") as po:
        catalog = read_po(po, locale=LOCALES[lang], domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def N_(message: str) -> str:  # noqa: N802 (the name gettext's tools look for)
    """Mark `message` for extraction where it is translated later (a label chosen at run time)."""
    return message


@dataclass(frozen=True)
class Texts:
    """The texts of one language: call it with a Swedish text (`_("Skicka")`) to get it in `lang`."""

    lang: str

    @property
    def _catalogue(self) -> Translations:
        return translations(self.lang)

    def __call__(self, message: str) -> str:
        return self.gettext(message)

    def gettext(self, message: str) -> str:
        """Return `message` in this language."""
        return str(self._catalogue.gettext(message))

    def pgettext(self, context: str, message: str) -> str:
        """Return `message`, told apart from the same Swedish elsewhere by `context`."""
        return str(self._catalogue.pgettext(context, message))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Return the singular or plural form for `n` in this language."""
        return str(self._catalogue.ngettext(singular, plural, n))

    @property
    def locale(self) -> Locale:
        """Babel's locale of this language."""
        return Locale.parse(LOCALES[self.lang])

    def date(self, value: date | datetime, format: str = "long") -> str:
        """Write a date as people do in this language ("1 december 2026", "1 December 2026")."""
        return format_date(value, format=format, locale=LOCALES[self.lang])

    def datetime(self, value: datetime, format: str = "medium") -> str:
        """Write a date and time in this language."""
        return format_datetime(value, format=format, locale=LOCALES[self.lang])

    def number(self, value: float, decimals: int | None = None) -> str:
        """Write a number with the language's decimal sign ("0,82" in Swedish)."""
        pattern = None if decimals is None else "#,##0." + "0" * decimals if decimals else "#,##0"
        return format_decimal(value, format=pattern, locale=LOCALES[self.lang])


@lru_cache(maxsize=len(LANGUAGES))
def texts(lang: str | None) -> Texts:
    """The texts of `lang` (Swedish when the service does not speak it)."""
    return Texts(language(lang))


def _context_texts(context: jinja2.runtime.Context) -> Texts:
    return texts(context.get("lang"))


def _format(text: str, variables: dict[str, Any]) -> str:
    # as Jinja's newstyle gettext, but plain text: autoescaping happens when it is printed
    return text % variables if variables else text


@jinja2.pass_context
def _gettext(context: jinja2.runtime.Context, message: str, **variables: Any) -> str:
    return _format(_context_texts(context).gettext(message), variables)


@jinja2.pass_context
def _pgettext(context: jinja2.runtime.Context, ctx: str, message: str, **variables: Any) -> str:
    return _format(_context_texts(context).pgettext(ctx, message), variables)


@jinja2.pass_context
def _ngettext(context: jinja2.runtime.Context, singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return _format(_context_texts(context).ngettext(singular, plural, num), variables)


JINJA_GLOBALS: dict[str, Callable[..., str]] = {
    "_": _gettext,
    "gettext": _gettext,
    "pgettext": _pgettext,
    "ngettext": _ngettext,
}
"""The template functions of gettext; each reads the render's `lang`, so one environment serves all."""


def install(environment: jinja2.Environment) -> jinja2.Environment:
    """Give `environment` the i18n extension (newstyle) and gettext functions that follow `lang`.

    Thread-safe without one environment per language: the language is the render context's
    `lang`, never state of the environment.
    """
    environment.add_extension("jinja2.ext.i18n")
    environment.newstyle_gettext = True  # type: ignore[attr-defined]  # what install_gettext_* set
    environment.globals.update(JINJA_GLOBALS)
    return environment
