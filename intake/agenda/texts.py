"""The agenda's fixed texts in Swedish (first) and English, and dates and numbers as people write them.

Kept apart from the web app's catalogue: an agenda is a document sent by e-mail and printed, not a
page of the app, and it must not depend on the web package.
"""

from __future__ import annotations

from datetime import date, datetime

LANGUAGES = ("sv", "en")

SV: dict[str, str] = {
    "agenda": "Dagordning",
    "time": "Tid",
    "place": "Plats",
    "invited": "Kallade",
    "purpose": "Forumets uppgift",
    "questions": "Frågor att ta ställning till för varje ärende",
    "overview": "Ärenden: {n} (klara att ta ställning till: {ready}, behöver beredas mer: {rest}).",
    "overview_none": "Inga ärenden väntar på forumet till det här mötet.",
    "ready_heading": "Klara att ta ställning till",
    "ready_intro": "Inga öppna obligatoriska punkter i checklistan och inga oavgjorda dubbletter.",
    "not_ready_heading": "Behöver beredas mer",
    "not_ready_intro": (
        "Obligatoriska punkter saknas eller möjliga dubbletter är inte avgjorda. Forumet kan hjälpa "
        "ärendet vidare eller bordlägga det."
    ),
    "group": "Möjliga dubbletter: {refs} liknar varandra och tas upp tillsammans.",
    "received": "Inkom",
    "summary_from_text": "(ur den inskickade texten)",
    "not_drafted": "Inget utkast ännu: checklistan är inte kontrollerad.",
    "duplicates": "Möjliga dubbletter",
    "duplicate_pending": "ej avgjord",
    "duplicate_confirmed": "bekräftad dubblett",
    "kind_submission": "inskickad idé",
    "kind_portfolio": "portföljinitiativ",
    "on_agenda": "på denna dagordning",
    "score": "likhet",
    "gaps": "Öppna obligatoriska punkter",
    "other_gaps": "Även öppet",
    "status_missing": "saknas",
    "status_partly": "delvis",
    "no_gaps": "Alla obligatoriska punkter i checklistan är besvarade.",
    "decision": "Beslut",
    "decision_options": "☐ Gå vidare  ☐ Ändra  ☐ Pausa  ☐ Avsluta  ☐ Slå ihop med annat ärende",
    "notes": "Anteckningar",
    "generated": "Sammanställd {at} av Beredning. Personuppgifter är maskerade ([PERSON_1] m.fl.).",
    "all_day": "heldag",
    "untitled": "(utan rubrik)",
    "subject": "Dagordning {forum} {day}",
    "mail_intro": "Här är dagordningen till mötet. Kalenderinbjudan finns som bilaga.",
    "of_shown": "{shown} av {n}",
    "common": "gemensamt",
    "recommendation": "Förslag",
    "action_decide": "Klart att besluta",
    "action_prepare": "Bered mer",
    "action_merge": "Slå ihop med {other}",
    "grounds_complete": "alla obligatoriska punkter är besvarade och ingen dubblett väntar.",
    "grounds_confirmed": "bekräftad dubblett (likhet {score}).",
    "grounds_pending": "möjlig dubblett (likhet {score}) som ingen har avgjort.",
    "grounds_not_drafted": "inget utkast ännu, checklistan är inte kontrollerad.",
    "grounds_gaps_one": "en obligatorisk punkt är öppen.",
    "grounds_gaps": "{count} obligatoriska punkter är öppna.",
    "grounds_group": "tas upp med sina möjliga dubbletter, och någon av dem behöver beredas mer.",
    "key_questions": "Viktigaste öppna frågorna",
    "full_page": "Alla {n} öppna punkter: {link}",
    "full_page_none": "Ärendets sida: {link}",
    "full_page_one": "Den öppna punkten: {link}",
}

EN: dict[str, str] = {
    "agenda": "Agenda",
    "time": "Time",
    "place": "Place",
    "invited": "Invited",
    "purpose": "The forum's task",
    "questions": "Questions to decide for each item",
    "overview": "Items: {n} (ready to decide on: {ready}, need more preparation: {rest}).",
    "overview_none": "No items are waiting for the forum at this meeting.",
    "ready_heading": "Ready to decide on",
    "ready_intro": "No open mandatory checklist items and no undecided duplicates.",
    "not_ready_heading": "Need more preparation",
    "not_ready_intro": (
        "Mandatory items are missing or possible duplicates are undecided. The forum can help the "
        "item on or postpone it."
    ),
    "group": "Possible duplicates: {refs} resemble each other and are taken together.",
    "received": "Received",
    "summary_from_text": "(from the submitted text)",
    "not_drafted": "No draft yet: the checklist has not been checked.",
    "duplicates": "Possible duplicates",
    "duplicate_pending": "undecided",
    "duplicate_confirmed": "confirmed duplicate",
    "kind_submission": "submitted idea",
    "kind_portfolio": "portfolio initiative",
    "on_agenda": "on this agenda",
    "score": "similarity",
    "gaps": "Open mandatory items",
    "other_gaps": "Also open",
    "status_missing": "missing",
    "status_partly": "partly",
    "no_gaps": "Every mandatory checklist item is answered.",
    "decision": "Decision",
    "decision_options": "☐ Go on  ☐ Change  ☐ Pause  ☐ Stop  ☐ Merge into another item",
    "notes": "Notes",
    "generated": "Compiled {at} by Beredning. Personal data is masked ([PERSON_1] etc.).",
    "all_day": "all day",
    "untitled": "(untitled)",
    "subject": "Agenda {forum} {day}",
    "mail_intro": "Here is the agenda for the meeting. The calendar invitation is attached.",
    "of_shown": "{shown} of {n}",
    "common": "shared",
    "recommendation": "Recommendation",
    "action_decide": "Ready to decide",
    "action_prepare": "Prepare more",
    "action_merge": "Merge with {other}",
    "grounds_complete": "every mandatory item is answered and no duplicate waits.",
    "grounds_confirmed": "confirmed duplicate (similarity {score}).",
    "grounds_pending": "possible duplicate (similarity {score}) nobody has decided yet.",
    "grounds_not_drafted": "no draft yet, the checklist has not been checked.",
    "grounds_gaps_one": "one mandatory item is open.",
    "grounds_gaps": "{count} mandatory items are open.",
    "grounds_group": "taken with its possible duplicates, and one of them needs more preparation.",
    "key_questions": "Open questions that matter most",
    "full_page": "All {n} open items: {link}",
    "full_page_none": "The item's page: {link}",
    "full_page_one": "The open item: {link}",
}

_WEEKDAYS = {
    "sv": ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "sv": (
        "januari", "februari", "mars", "april", "maj", "juni",
        "juli", "augusti", "september", "oktober", "november", "december",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


def text(key: str, lang: str) -> str:
    """Return the fixed text `key` in `lang`; Swedish when the language is not English."""
    return (EN if lang == "en" else SV)[key]


def long_date(day: date, lang: str) -> str:
    """Write `day` as people do: "tisdag 1 december 2026", "Tuesday 1 December 2026"."""
    lang = "en" if lang == "en" else "sv"
    return f"{_WEEKDAYS[lang][day.weekday()]} {day.day} {_MONTHS[lang][day.month - 1]} {day.year}"


def clock(moment: datetime) -> str:
    """Return the local time of day, "09:00"."""
    return moment.strftime("%H:%M")


def timestamp(moment: datetime) -> str:
    """Return an ISO date and time to the minute, "2026-11-28 06:00"."""
    return moment.strftime("%Y-%m-%d %H:%M")


def score(value: float, lang: str) -> str:
    """Write a 0-1 score with two decimals and the language's decimal sign: "0,82" in Swedish."""
    written = f"{value:.2f}"
    return written if lang == "en" else written.replace(".", ",")
