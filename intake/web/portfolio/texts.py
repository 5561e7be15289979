"""Texts of the portfolio pages, Swedish first; looked up before the shared catalogues."""

from __future__ import annotations

import re

SV: dict[str, str] = {
    "portfolio_heading": "Portföljen",
    "portfolio_intro": (
        "Utvecklingsinitiativ som redan finns i den gemensamma portföljen. Finns ditt behov här? "
        "Öppna initiativet och anslut dig till det i stället för att starta ett nytt."
    ),
    "search_label": "Sök i portföljen",
    "search_hint": "Ord i Nr, rubrik, projektnummer eller beskrivning. Alla ord måste finnas med.",
    "filter_focus": "Fokusområde",
    "filter_focus_none": "Inget fokusområde",
    "filter_year": "År",
    "filter_all": "Alla",
    "filter_sort": "Sortering",
    "filter_apply": "Sök",
    "filter_reset": "Rensa sökning",
    "filters_label": "Sök och filtrera portföljen",
    "sort_nr": "Efter Nr",
    "sort_newest": "Nyaste året först",
    "sort_cost": "Högsta kostnad först",
    "count_none": "Inga initiativ matchar.",
    "count_all": "{total} initiativ.",
    "count_range": "Visar {first}–{last} av {total} initiativ.",
    "results_caption": "Initiativ i portföljen",
    "col_nr": "Nr",
    "col_title": "Utvecklingsärende",
    "col_year": "År",
    "col_focus": "Fokusområde",
    "col_step": "Steg",
    "col_cost": "Kostnad (totalt)",
    "none": "–",
    "pagination": "Sidor",
    "page_of": "Sida {page} av {pages}",
    "page_prev": "Föregående sida",
    "page_next": "Nästa sida",
    "export_heading": "Exportera och importera",
    "export_csv": "Ladda ned som CSV",
    "export_xlsx": "Ladda ned som Excel",
    "import_link": "Importera en fil",
    # one item
    "item_title": "Initiativ {nr}",
    "item_back": "Tillbaka till portföljen",
    "item_facts": "Uppgifter om initiativet",
    "field_nr": "Nr",
    "field_year": "År",
    "field_title": "Utvecklingsärende",
    "field_project_number": "Projektnr",
    "field_cost": "Kostnad (totalt)",
    "field_two_percent": "Belopp ur 2 %-medlen (2%-aren)",
    "field_two_percent_funded": "Finansierat ur 2 %-medlen?",
    "field_focus": "Fokusområde",
    "field_step": "Steg",
    "field_description": "Beskrivning",
    "field_source": "Senast importerat från",
    "field_updated": "Senast ändrat",
    "yes": "Ja",
    "no": "Nej",
    "amount_unread": "{text} (står så i portföljen; kunde inte läsas som ett belopp)",
    "join_heading": "Vill du ansluta dig?",
    "join_text": "Vill du ansluta dig till detta initiativ? Beskriv ditt behov och nämn {nr}.",
    "join_link": "Beskriv ditt behov",
    "flagged_heading": "Inskickade ärenden som liknar initiativet",
    "flagged_intro": "Öppna ärenden där tjänsten har föreslagit initiativet som möjlig dubblett.",
    "flagged_caption": "Ärenden som kan vara dubbletter av {nr}",
    "flagged_none": "Inget öppet ärende har flaggat initiativet som möjlig dubblett.",
    "col_reference": "Referens",
    "col_submission_title": "Rubrik",
    "col_score": "Likhet",
    "col_decision": "Bedömning",
    "decision_pending": "Ej bedömd",
    "decision_confirmed": "Bekräftad dubblett",
    "bad_format_heading": "Okänt format",
    "bad_format_text": "Portföljen kan laddas ned som CSV eller Excel (format=csv eller format=xlsx).",
    "not_found_heading": "Initiativet finns inte",
    "not_found_text": "Det finns inget initiativ med Nr {nr} i portföljen.",
    # import
    "import_heading": "Importera portföljen",
    "import_intro": (
        "Ladda upp portföljen som CSV eller Excel (.xlsx) med samma kolumner som exporten. "
        "Initiativ läggs till eller uppdateras efter Nr; inget tas bort."
    ),
    "import_file": "Fil (CSV eller Excel)",
    "import_file_hint": (
        "Högst {size} MB. Första raden ska vara rubrikerna, till exempel Nr, År och Utvecklingsärende."
    ),
    "import_dry_run": "Provkör: visa vad som skulle ändras utan att spara något",
    "import_submit": "Importera",
    "report_heading_dry": "Provkörning av {name}: inget har sparats",
    "report_heading_done": "{name} är importerad",
    "report_heading_refused": "{name} importerades inte",
    "report_refused": (
        "Några rader i filen kunde inte läsas, så inget har sparats. Rätta raderna nedan och "
        "importera filen igen."
    ),
    "report_caption": "Resultat av importen",
    "report_created": "Nya initiativ",
    "report_updated": "Ändrade initiativ",
    "report_unchanged": "Oförändrade initiativ",
    "report_rejected": "Rader som inte kunde läsas",
    "report_warnings": "Varningar",
    "report_count": "Antal",
    "report_what": "Utfall",
    "upload_heading": "Ladda upp en fil",
    "report_changed": "Initiativ som ändras eller läggs till",
    "report_errors": "Rader att rätta",
    "report_warning_list": "Varningar (raden importeras ändå)",
    "report_line": "Rad {line}",
    "report_ignored": "Kolumner som inte används",
    "report_notes": "Att tänka på",
    "report_messages_en": "Radernas felbeskrivningar är på engelska.",
    "upload_error_heading": "Filen kunde inte importeras",
    "upload_missing": "Välj en fil att importera.",
    "upload_type": (
        "Filen är varken CSV eller Excel (.xlsx). Spara den i något av de formaten och försök igen."
    ),
    "upload_empty": "Filen är tom eller har inga rader med initiativ.",
    "upload_unreadable": "Filen gick inte att läsa som en portfölj. Inget har sparats.",
    "upload_too_large": "Filen är för stor. Den får vara högst {size} MB.",
    "upload_bad_form": "Formuläret kunde inte läsas. Ladda om sidan och försök igen.",
    "upload_detail": "Detaljer",
    "upload_conflict": "Någon annan ändrade portföljen samtidigt, så inget har sparats. Försök igen.",
    "index_later": "Sökindexet uppdateras strax, så att förslagen i formuläret tar med ändringarna.",
    # the intake form, when someone comes from an initiative
    "mention": "Jag vill ansluta mig till initiativ {nr} i portföljen. ",
}

EN: dict[str, str] = {
    "portfolio_heading": "The portfolio",
    "portfolio_intro": (
        "Development initiatives already in the common portfolio. Is your need here? Open the "
        "initiative and join it instead of starting a new one."
    ),
    "search_label": "Search the portfolio",
    "search_hint": "Words in the Nr, title, project number or description. Every word must match.",
    "filter_focus": "Focus area",
    "filter_focus_none": "No focus area",
    "filter_year": "Year",
    "filter_all": "All",
    "filter_sort": "Sort",
    "filter_apply": "Search",
    "filter_reset": "Clear search",
    "filters_label": "Search and filter the portfolio",
    "sort_nr": "By Nr",
    "sort_newest": "Newest year first",
    "sort_cost": "Highest cost first",
    "count_none": "No initiative matches.",
    "count_all": "{total} initiatives.",
    "count_range": "Showing {first}–{last} of {total} initiatives.",
    "results_caption": "Initiatives in the portfolio",
    "col_nr": "Nr",
    "col_title": "Initiative",
    "col_year": "Year",
    "col_focus": "Focus area",
    "col_step": "Step",
    "col_cost": "Cost (total)",
    "none": "–",
    "pagination": "Pages",
    "page_of": "Page {page} of {pages}",
    "page_prev": "Previous page",
    "page_next": "Next page",
    "export_heading": "Export and import",
    "export_csv": "Download as CSV",
    "export_xlsx": "Download as Excel",
    "import_link": "Import a file",
    "item_title": "Initiative {nr}",
    "item_back": "Back to the portfolio",
    "item_facts": "About the initiative",
    "field_nr": "Nr",
    "field_year": "Year",
    "field_title": "Initiative",
    "field_project_number": "Project number",
    "field_cost": "Cost (total)",
    "field_two_percent": "Amount from the 2 % fund (2%-aren)",
    "field_two_percent_funded": "Funded from the 2 % fund?",
    "field_focus": "Focus area",
    "field_step": "Step",
    "field_description": "Description",
    "field_source": "Last imported from",
    "field_updated": "Last changed",
    "yes": "Yes",
    "no": "No",
    "amount_unread": "{text} (as written in the portfolio; not readable as an amount)",
    "join_heading": "Do you want to join?",
    "join_text": "Would you like to join this initiative? Describe your need and mention {nr}.",
    "join_link": "Describe your need",
    "flagged_heading": "Submissions similar to the initiative",
    "flagged_intro": (
        "Open submissions for which the service suggested this initiative as a possible duplicate."
    ),
    "flagged_caption": "Submissions that may duplicate {nr}",
    "flagged_none": "No open submission has flagged this initiative as a possible duplicate.",
    "col_reference": "Reference",
    "col_submission_title": "Title",
    "col_score": "Similarity",
    "col_decision": "Assessment",
    "decision_pending": "Not assessed",
    "decision_confirmed": "Confirmed duplicate",
    "bad_format_heading": "Unknown format",
    "bad_format_text": "The portfolio can be downloaded as CSV or Excel (format=csv or format=xlsx).",
    "not_found_heading": "No such initiative",
    "not_found_text": "The portfolio has no initiative with Nr {nr}.",
    "import_heading": "Import the portfolio",
    "import_intro": (
        "Upload the portfolio as CSV or Excel (.xlsx) with the columns of the export. Initiatives "
        "are added or updated by Nr; nothing is deleted."
    ),
    "import_file": "File (CSV or Excel)",
    "import_file_hint": (
        "At most {size} MB. The first row holds the headers, such as Nr, År and Utvecklingsärende."
    ),
    "import_dry_run": "Dry run: show what would change without saving anything",
    "import_submit": "Import",
    "report_heading_dry": "Dry run of {name}: nothing was saved",
    "report_heading_done": "{name} is imported",
    "report_heading_refused": "{name} was not imported",
    "report_refused": (
        "Some rows of the file could not be read, so nothing was saved. Fix the rows below and "
        "import the file again."
    ),
    "report_caption": "Result of the import",
    "report_created": "New initiatives",
    "report_updated": "Changed initiatives",
    "report_unchanged": "Unchanged initiatives",
    "report_rejected": "Rows that could not be read",
    "report_warnings": "Warnings",
    "report_count": "Count",
    "report_what": "Outcome",
    "upload_heading": "Upload a file",
    "report_changed": "Initiatives added or changed",
    "report_errors": "Rows to fix",
    "report_warning_list": "Warnings (the row is imported all the same)",
    "report_line": "Line {line}",
    "report_ignored": "Columns not used",
    "report_notes": "Notes",
    "report_messages_en": "The rows' problems are described in English.",
    "upload_error_heading": "The file could not be imported",
    "upload_missing": "Choose a file to import.",
    "upload_type": (
        "The file is neither CSV nor Excel (.xlsx). Save it in one of those formats and try again."
    ),
    "upload_empty": "The file is empty or has no rows of initiatives.",
    "upload_unreadable": "The file could not be read as a portfolio. Nothing was saved.",
    "upload_too_large": "The file is too large. It may be at most {size} MB.",
    "upload_bad_form": "The form could not be read. Reload the page and try again.",
    "upload_detail": "Details",
    "upload_conflict": (
        "Someone else changed the portfolio at the same time, so nothing was saved. Try again."
    ),
    "index_later": "The search index is updated shortly, so that the form's suggestions include the changes.",
    "mention": "I would like to join initiative {nr} of the portfolio. ",
}

CATALOGUES = {"sv": SV, "en": EN}

_NR = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-/.]{0,31}")
"""What a Nr looks like (22-04): short, plain characters; anything else is not one."""


def mention(about: str | None, lang: str) -> str:
    """The opening words of an intake text that joins initiative `about`; empty if it is no Nr.

    The intake form calls this for `/?about=22-04`, the link on an initiative's page.
    """
    nr = (about or "").strip()
    if not _NR.fullmatch(nr):
        return ""
    return CATALOGUES.get(lang, SV).get("mention", SV["mention"]).format(nr=nr)
