"""The gettext catalogues hold every text in both languages, and language choice follows the visitor."""

from __future__ import annotations

import re

import jinja2
import pytest
from babel.messages.catalog import Catalog

from intake.locale import LANGUAGES, install, texts
from intake.locale.catalogues import extract, problems, read
from intake.web.i18n import pick_language


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    return extract()


def test_the_catalogues_match_the_code_and_the_templates(extracted: Catalog) -> None:
    found = problems(extracted, {lang: read(lang) for lang in LANGUAGES})
    assert not found, "run `make messages` and translate:\n" + "\n".join(found)
    assert len(extracted) > 400, "the extraction sees the Python code and the templates"


def test_the_check_fails_on_a_missing_an_untranslated_and_a_stale_text(extracted: Catalog) -> None:
    english = read("en")
    sample = next(m for m in english if m.id and isinstance(m.id, str))
    english.delete(sample.id, context=sample.context)  # missing
    english.add("Bara i katalogen", "Only in the catalogue")  # stale
    fuzzy = next(m for m in english if m.id and isinstance(m.id, str))
    fuzzy.flags.add("fuzzy")  # untranslated
    english.add("Skicka", "", context="utan översättning")  # stale, and untranslated but not counted
    found = problems(extracted, {"en": english, "sv": read("sv")})
    assert (
        f"en: missing {sample.id!r}" + (f" (context {sample.context!r})" if sample.context else "") in found
    )
    assert "en: stale 'Bara i katalogen'" in found
    assert any(line.startswith(f"en: untranslated {fuzzy.id!r}") for line in found)
    assert not [line for line in found if line.startswith("sv:")]


def test_placeholders_agree_in_both_languages() -> None:
    for message in read("en"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set().union(*(re.findall(r"{(\w+)}", i) for i in ids))
        got = set().union(*(re.findall(r"{(\w+)}", s) for s in strings))
        assert got <= wanted and (wanted - got) <= {"n", "count"}, (message.id, message.string)


def test_language_choice_order() -> None:
    assert pick_language("en", "sv", "sv") == "en"
    assert pick_language(None, "en", "sv") == "en"
    assert pick_language("xx", None, "sv") == "sv"
    assert pick_language(None, None, "en") == "en"


def test_texts_are_swedish_msgids_in_english_or_in_swedish() -> None:
    assert texts("en")("Skicka") == "Send"
    assert texts("sv")("Skicka") == "Skicka"
    assert texts("de")("Skicka") == "Skicka", "an unknown language gets Swedish"
    assert texts("en").pgettext("plural", "Forum") == "Forums" and texts("en")("Forum") == "Forum"
    one, many = "Den öppna punkten: {link}", "Alla {n} öppna punkter: {link}"
    assert texts("en").ngettext(one, many, 1) == "The open item: {link}"
    assert texts("en").ngettext(one, many, 3) == "All {n} open items: {link}"


def test_templates_follow_the_renders_language() -> None:
    env = install(jinja2.Environment(autoescape=True))
    page = env.from_string(
        '{{ _("Skicka") }}|{{ pgettext("plural", "Forum") }}|'
        "{% trans count=n %}1 liknande{% pluralize %}{{ count }} liknande{% endtrans %}"
    )
    assert page.render(lang="en", n=1) == "Send|Forums|1 liknande"
    assert page.render(lang="sv", n=2) == "Skicka|Forum|2 liknande"


def test_dates_and_numbers_follow_the_language() -> None:
    from datetime import date

    assert texts("sv").number(0.8234, decimals=2) == "0,82"
    assert texts("en").number(0.8234, decimals=2) == "0.82"
    assert texts("sv").date(date(2026, 12, 1)) == "1 december 2026"
    assert texts("en").date(date(2026, 12, 1)) == "December 1, 2026"
