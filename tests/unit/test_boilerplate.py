"""Boilerplate removal: what makes unrelated texts look alike goes, what carries the need stays."""

from __future__ import annotations

from retrieval.boilerplate import strip_boilerplate

MAIL = """Hej!

Vi vill att medborgare ska kunna boka tid för bygglovsrådgivning via webben.
Idag ringer alla in och det tar mycket tid.

Med vänliga hälsningar
Anna Andersson
Handläggare, Stadsbyggnadskontoret
Sundsvalls kommun
060-19 10 00
"""


def test_greeting_and_signature_are_removed_and_the_need_stays() -> None:
    cleaned = strip_boilerplate(MAIL)
    assert cleaned == (
        "Vi vill att medborgare ska kunna boka tid för bygglovsrådgivning via webben.\n"
        "Idag ringer alla in och det tar mycket tid."
    )


def test_quoted_reply_is_cut_at_its_header() -> None:
    text = (
        "Ja, det gäller även förskolorna.\n\n"
        "Den 3 mars 2026 kl. 10:14 skrev Anna Andersson <anna@example.se>:\n"
        "> Gäller det även förskolorna?\n"
        "> Mvh Anna"
    )
    assert strip_boilerplate(text) == "Ja, det gäller även förskolorna."


def test_outlook_original_message_block_is_cut() -> None:
    text = "Svar: vi behöver det före sommaren.\n-----Ursprungligt meddelande-----\nFrån: x\nÄmne: y"
    assert strip_boilerplate(text) == "Svar: vi behöver det före sommaren."


def test_quoted_lines_without_header_are_dropped() -> None:
    text = "> tidigare text\nNy idé: digital signering av avtal."
    assert strip_boilerplate(text) == "Ny idé: digital signering av avtal."


def test_form_headings_and_machine_lines_are_dropped_but_labelled_content_stays() -> None:
    text = (
        "User Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/115.0\n\n"
        "Steps to reproduce:\n\nOpen the mail window.\n\nActual results:\n\nIt crashes.\n"
        "Beskrivning: ett nytt ärendesystem"
    )
    assert strip_boilerplate(text) == "Open the mail window.\nIt crashes.\nBeskrivning: ett nytt ärendesystem"


def test_a_sentence_that_starts_with_a_greeting_word_survives() -> None:
    text = "Hej då till pappersblanketterna: vi vill ha e-tjänster för hela förskolan.\nMer text."
    assert strip_boilerplate(text).startswith("Hej då till pappersblanketterna")


def test_sign_off_early_in_a_long_text_is_not_a_signature() -> None:
    lines = ["Hälsningar från skolan: vi behöver nya datorer."] + [f"Rad {n} om behovet." for n in range(12)]
    text = "\n".join(lines)
    assert strip_boilerplate(text) == text


def test_known_template_lines_are_removed() -> None:
    text = "Beskriv din idé här\nEtt gemensamt bokningssystem för lokaler."
    assert strip_boilerplate(text, ["beskriv  din idé HÄR"]) == "Ett gemensamt bokningssystem för lokaler."


def test_text_made_only_of_boilerplate_is_kept_as_it_is() -> None:
    assert strip_boilerplate("Hej!\n\nMvh\nAnna") == "Hej!\n\nMvh\nAnna"


def test_greeting_after_a_title_is_removed() -> None:
    assert strip_boilerplate("Bygglov på webben\nHej alla,\nVi vill boka tid.") == (
        "Bygglov på webben\nVi vill boka tid."
    )
