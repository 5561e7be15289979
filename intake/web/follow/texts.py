"""Texts of the submitter's follow pages, Swedish first."""

from __future__ import annotations

SV: dict[str, str] = {
    "mine_heading": "Mina idéer",
    "mine_intro": (
        "Det du har skickat in från {email}. Öppna ett förslag för att se var det är och svara på frågor."
    ),
    "mine_caption": "Dina inskickade idéer, nyast först",
    "mine_none": "Vi hittade inget som skickats in från {email}.",
    "mine_limit": "Listan visar de {n} senaste.",
    "mine_open": "Öppna {reference}",
    "mine_col_reference": "Referens",
    "mine_col_title": "Rubrik",
    "mine_col_received": "Inkom",
    "mine_col_step": "Var den är nu",
    "mine_send": "Skicka en ny idé",
    "follow_heading": "Ditt förslag",
    "follow_intro": (
        "Här ser du hur det går för ditt förslag och svarar på DigIT:s frågor. Länken är personlig: "
        "den som har den kan se förslaget och svara, så dela den inte."
    ),
    "follow_reference": "Referens",
    "follow_title": "Rubrik",
    "follow_received": "Inkom",
    "follow_step_heading": "Var förslaget är nu",
    "follow_questions_heading": "Frågor till dig",
    "follow_questions_none": "DigIT har inga obesvarade frågor till dig just nu.",
    "follow_question_asked": "Frågan ställdes {date}",
    "follow_answer_label": "Ditt svar",
    "follow_answer_hint": "Högst {n} tecken.",
    "follow_answer_submit": "Skicka svaret",
    "follow_answered_heading": "Besvarade frågor",
    "follow_answered_on": "Besvarad {date}",
    "follow_question": "Fråga",
    "follow_answer": "Svar",
    "follow_thanks": "Tack för ditt svar! DigIT ser det i ärendet.",
    "follow_error_empty": "Skriv ett svar innan du skickar.",
    "follow_error_long": "Svaret är för långt: högst {n} tecken.",
    "follow_error_closed": "Frågan är redan besvarad eller stängd. Sidan visar hur det ser ut nu.",
    "follow_history_heading": "Vad har hänt",
    "follow_history_caption": "Förslagets väg genom beredningen",
    "follow_history_date": "Datum",
    "follow_history_event": "Händelse",
    "follow_history_received": "Förslaget kom in",
    "follow_history_moved": "Flyttat till: {place}",
    "follow_not_found_heading": "Sidan finns inte",
    "follow_not_found_text": (
        "Länken fungerar inte. Den kan vara felskriven eller inte längre giltig. Kontrollera att du "
        "har kopierat hela länken från mejlet eller kvittot, eller kontakta DigIT."
    ),
}

EN: dict[str, str] = {
    "mine_heading": "My ideas",
    "mine_intro": "What you have sent from {email}. Open one to see where it is and to answer questions.",
    "mine_caption": "Your submitted ideas, newest first",
    "mine_none": "We found nothing sent from {email}.",
    "mine_limit": "The list shows the {n} most recent.",
    "mine_open": "Open {reference}",
    "mine_col_reference": "Reference",
    "mine_col_title": "Title",
    "mine_col_received": "Received",
    "mine_col_step": "Where it is now",
    "mine_send": "Send a new idea",
    "follow_heading": "Your idea",
    "follow_intro": (
        "Here you see how your idea is doing and answer DigIT's questions. The link is personal: "
        "whoever has it can see the idea and answer, so do not share it."
    ),
    "follow_reference": "Reference",
    "follow_title": "Title",
    "follow_received": "Received",
    "follow_step_heading": "Where the idea is now",
    "follow_questions_heading": "Questions for you",
    "follow_questions_none": "DigIT has no unanswered questions for you just now.",
    "follow_question_asked": "Asked on {date}",
    "follow_answer_label": "Your answer",
    "follow_answer_hint": "At most {n} characters.",
    "follow_answer_submit": "Send the answer",
    "follow_answered_heading": "Answered questions",
    "follow_answered_on": "Answered on {date}",
    "follow_question": "Question",
    "follow_answer": "Answer",
    "follow_thanks": "Thank you for your answer! DigIT sees it with the idea.",
    "follow_error_empty": "Write an answer before sending.",
    "follow_error_long": "The answer is too long: at most {n} characters.",
    "follow_error_closed": "The question is answered or closed already. The page shows how things stand now.",
    "follow_history_heading": "What has happened",
    "follow_history_caption": "The idea's way through the preparation",
    "follow_history_date": "Date",
    "follow_history_event": "Event",
    "follow_history_received": "The idea was received",
    "follow_history_moved": "Moved to: {place}",
    "follow_not_found_heading": "The page does not exist",
    "follow_not_found_text": (
        "The link does not work. It may be mistyped or no longer valid. Check that you copied the "
        "whole link from the mail or the receipt, or contact DigIT."
    ),
}

CATALOGUES = {"sv": SV, "en": EN}
