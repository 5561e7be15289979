"""The agenda as a standalone HTML page: one file, styles inline, made to be printed or mailed."""

from __future__ import annotations

from functools import lru_cache

import jinja2

from intake.agenda import formats, view
from intake.agenda.model import Agenda
from intake.locale import install


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # Built on first use, not at import (no import-time side effects).
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("intake.agenda", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return install(environment)


def render_html(agenda: Agenda, lang: str = "sv") -> str:
    """Return the agenda as a complete HTML document in `lang` ("sv" or "en")."""
    lang = "en" if lang == "en" else "sv"
    template = _environment().get_template("agenda.html")
    return template.render(
        agenda=agenda,
        lang=lang,
        view=view,
        score=lambda value: formats.score(value, lang),
    )
