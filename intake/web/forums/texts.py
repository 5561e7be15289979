"""Texts of the forum pages, Swedish first. The agenda's own texts come from `intake.agenda.texts`."""

from __future__ import annotations

SV: dict[str, str] = {
    "forums_heading": "Forum",
    "forums_intro": (
        "Beredningsprocessens forum och deras nästa möte. Öppna dagordningen för att läsa, skriva ut "
        "och registrera forumets beslut."
    ),
    "forums_caption": "Forumen och deras nästa möte",
    "col_forum": "Forum",
    "col_next": "Nästa möte",
    "col_items": "Ärenden",
    "col_earlier": "Tidigare dagordningar",
    "no_meeting": "Inget schemalagt möte",
    "none": "–",
    "open_agenda": "Dagordning för {forum}",
    "print": "Skriv ut",
    "pdf": "PDF",
    "pdf_label": "Dagordningen som PDF ({forum}, {day})",
    "back_to_forums": "Alla forum",
    "agenda_actions": "Dagordningen",
    "stored_heading": "Dagordningen som skickades",
    "stored_intro": (
        "Den här dagordningen byggdes {built} och visas som den skickades. Den går inte att ändra, och "
        "beslut registreras på dagordningen för nästa möte."
    ),
    "stored_frame": "Dagordning {day}, som den skickades",
    "stored_missing": "Ingen sparad dagordning för {forum} den {day}.",
    "decided_heading": "Beslut vid detta möte ({n})",
    "decided_none": "Inga beslut registrerade för det här mötet än.",
    "decided_caption": "Beslut som registrerats för mötet",
    "col_reference": "Ärende",
    "col_decision": "Beslut",
    "col_moved": "Flyttades till",
    "col_by": "Av",
    "col_at": "När",
    "col_note": "Anteckning",
    "decide_legend": "Beslut för {reference}",
    "decide_choice": "Forumets beslut",
    "decide_note": "Anteckning (frivillig)",
    "decide_note_hint": "Kommer med i ärendets historik. Skriv inga personuppgifter.",
    "decide_merge": "Slå ihop med (referens eller portfölj-Nr, bara vid Slå ihop)",
    "decide_submit": "Registrera beslut för {reference}",
    "decided_notice": "Beslutet {decision} för {reference} är registrerat. Ärendet är nu i {step}.",
    "refused_heading": "Beslutet kunde inte registreras",
    "refused_intro": "Det här hindrar beslutet för {reference}:",
    "refused_keep": "Dina val finns kvar i formuläret nedan.",
    "bad_day": "Datumet ska skrivas ÅÅÅÅ-MM-DD, till exempel 2026-12-01.",
    "unknown_forum": "Det finns inget forum med nyckeln {key}. Kända forum: {known}.",
    "unknown_item": "Det finns inget ärende med referensen {reference}.",
    "no_decision": "Välj ett beslut.",
    "back": "Tillbaka till forumen",
    "error_heading": "Sidan kunde inte visas",
}

EN: dict[str, str] = {
    "forums_heading": "Forums",
    "forums_intro": (
        "The forums of the preparation process and their next meeting. Open the agenda to read, print "
        "and record the forum's decisions."
    ),
    "forums_caption": "The forums and their next meeting",
    "col_forum": "Forum",
    "col_next": "Next meeting",
    "col_items": "Items",
    "col_earlier": "Earlier agendas",
    "no_meeting": "No scheduled meeting",
    "none": "–",
    "open_agenda": "Agenda of {forum}",
    "print": "Print",
    "pdf": "PDF",
    "pdf_label": "The agenda as PDF ({forum}, {day})",
    "back_to_forums": "All forums",
    "agenda_actions": "The agenda",
    "stored_heading": "The agenda as it was sent",
    "stored_intro": (
        "This agenda was built {built} and is shown as it was sent. It cannot be changed, and "
        "decisions are recorded on the agenda of the next meeting."
    ),
    "stored_frame": "Agenda {day}, as it was sent",
    "stored_missing": "No stored agenda for {forum} on {day}.",
    "decided_heading": "Decisions at this meeting ({n})",
    "decided_none": "No decisions recorded for this meeting yet.",
    "decided_caption": "Decisions recorded for the meeting",
    "col_reference": "Item",
    "col_decision": "Decision",
    "col_moved": "Moved to",
    "col_by": "By",
    "col_at": "When",
    "col_note": "Note",
    "decide_legend": "Decision on {reference}",
    "decide_choice": "The forum's decision",
    "decide_note": "Note (optional)",
    "decide_note_hint": "Goes into the item's history. Write no personal data.",
    "decide_merge": "Merge into (reference or portfolio Nr, for Merge only)",
    "decide_submit": "Record the decision on {reference}",
    "decided_notice": "The decision {decision} on {reference} is recorded. The item is now in {step}.",
    "refused_heading": "The decision could not be recorded",
    "refused_intro": "This stops the decision on {reference}:",
    "refused_keep": "Your choices are kept in the form below.",
    "bad_day": "Write the date as YYYY-MM-DD, for example 2026-12-01.",
    "unknown_forum": "There is no forum with the key {key}. Known forums: {known}.",
    "unknown_item": "There is no item with the reference {reference}.",
    "no_decision": "Choose a decision.",
    "back": "Back to the forums",
    "error_heading": "The page could not be shown",
}

CATALOGUES = {"sv": SV, "en": EN}
