"""The pages' texts in Swedish (first) and English.

A missing English text falls back to Swedish; a test checks that both catalogues have the
same keys.
"""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("sv", "en")

SV: dict[str, str] = {
    "app_name": "Beredning",
    "skip_to_content": "Hoppa till innehållet",
    "switch_language": "In English",
    "form_heading": "Lämna en idé eller ett behov",
    "form_intro": (
        "Beskriv din idé, ditt behov, problem eller din utmaning med egna ord. DigIT läser allt "
        "som kommer in och hjälper dig att formulera ett initiativ. Du får ett referensnummer "
        "direkt."
    ),
    "field_title": "Rubrik (frivillig)",
    "field_text": "Beskriv din idé eller ditt behov",
    "field_text_hint": "Vad vill du uppnå, för vem, och vad händer i dag?",
    "field_name": "Ditt namn",
    "field_email": "Din e-postadress",
    "field_unit": "Förvaltning eller bolag",
    "optional": "frivillig",
    "submit": "Skicka",
    "errors_heading": "Något behöver rättas",
    "receipt_heading": "Tack! Vi har tagit emot din idé",
    "receipt_reference": "Ditt referensnummer",
    "receipt_keep": "Spara numret: det behövs om du vill fråga om ditt ärende.",
    "receipt_retry": (
        "Vi kunde inte jämföra med portföljen just nu. Din idé är sparad och jämförs automatiskt lite senare."
    ),
    "similar_heading": "Liknande initiativ och idéer",
    "similar_intro": (
        "Finns ditt behov redan? Då kan du ansluta dig till det initiativet i stället för att "
        "starta ett nytt."
    ),
    "similar_none": "Vi hittade inget som liknar din idé.",
    "kind_portfolio": "Portföljinitiativ",
    "kind_submission": "Inskickad idé",
    "score": "Likhet",
    "possible_duplicate": "Möjlig dubblett",
    "send_another": "Skicka en idé till",
    "suggestions_live": "Liknande initiativ medan du skriver",
    "untitled": "(utan rubrik)",
    "receipt_follow_heading": "Följ ditt förslag",
    "receipt_follow_text": (
        "Spara länken. Där ser du hur det går för förslaget och svarar på DigIT:s frågor, utan konto. "
        "Länken är personlig: dela den inte."
    ),
    "suggestions_hint": (
        "Öppna ett initiativ för att läsa mer (det öppnas i en ny flik, så din text finns kvar här)."
    ),
    "suggestions_count_one": "1 liknande initiativ eller idé hittades.",
    "suggestions_count_many": "{n} liknande initiativ eller idéer hittades.",
    "suggestions_count_none": "Inget liknande hittades än.",
    "new_tab": "öppnas i ny flik",
}

EN: dict[str, str] = {
    "app_name": "Beredning",
    "skip_to_content": "Skip to content",
    "switch_language": "På svenska",
    "form_heading": "Submit an idea or a need",
    "form_intro": (
        "Describe your idea, need, problem or challenge in your own words. DigIT reads everything "
        "that comes in and helps you shape an initiative. You get a reference number at once."
    ),
    "field_title": "Title (optional)",
    "field_text": "Describe your idea or need",
    "field_text_hint": "What do you want to achieve, for whom, and what happens today?",
    "field_name": "Your name",
    "field_email": "Your e-mail address",
    "field_unit": "Department or company",
    "optional": "optional",
    "submit": "Send",
    "errors_heading": "Something needs fixing",
    "receipt_heading": "Thank you! We have received your idea",
    "receipt_reference": "Your reference number",
    "receipt_keep": "Keep the number: you need it to ask about your submission.",
    "receipt_retry": (
        "We could not compare it with the portfolio just now. Your idea is saved and will be "
        "compared automatically a little later."
    ),
    "similar_heading": "Similar initiatives and ideas",
    "similar_intro": (
        "Does your need exist already? Then you can join that initiative instead of starting a new one."
    ),
    "similar_none": "We found nothing similar to your idea.",
    "kind_portfolio": "Portfolio initiative",
    "kind_submission": "Submitted idea",
    "score": "Similarity",
    "possible_duplicate": "Possible duplicate",
    "send_another": "Send another idea",
    "suggestions_live": "Similar initiatives while you type",
    "untitled": "(untitled)",
    "receipt_follow_heading": "Follow your idea",
    "receipt_follow_text": (
        "Keep the link. There you see how your idea is doing and answer DigIT's questions, with no "
        "account. The link is personal: do not share it."
    ),
    "suggestions_hint": "Open an initiative to read more (it opens in a new tab, so your text stays here).",
    "suggestions_count_one": "1 similar initiative or idea found.",
    "suggestions_count_many": "{n} similar initiatives or ideas found.",
    "suggestions_count_none": "Nothing similar found yet.",
    "new_tab": "opens in a new tab",
}

CATALOGUES = {"sv": SV, "en": EN}


def pick_language(query_value: str | None, cookie_value: str | None, default: str) -> str:
    """Choose the page language: an explicit `?lang=`, then the cookie, then the default."""
    for candidate in (query_value, cookie_value):
        if candidate in LANGUAGES:
            return str(candidate)
    return default if default in LANGUAGES else "sv"


def translator(lang: str) -> Callable[[str], str]:
    """Return a function that looks up a text in `lang`, falling back to Swedish."""
    catalogue = CATALOGUES.get(lang, SV)

    def t(key: str) -> str:
        return catalogue.get(key) or SV[key]

    return t
