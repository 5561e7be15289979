"""The mail parser over the hostile corpus in tests/mail: exact Swedish, hidden text, caps, never a crash."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from intake.mail import MailLimits, classify, parse_mail
from intake.mail.headers import decode_words
from intake.mail.htmltext import html_to_text
from intake.mail.parse import peek_message_id
from tests.mail import generate

CORPUS = Path(__file__).parents[1] / "mail"


def _parse(name: str):  # type: ignore[no-untyped-def]
    return parse_mail((CORPUS / name).read_bytes())


def test_iso_8859_1_quoted_printable_decodes_exactly() -> None:
    mail = _parse("swedish_qp_iso8859.eml")
    assert mail.subject == "Förslag på bättre skidbussar till Åre"
    assert mail.sender_name == "Göran Åström"
    assert mail.sender == "goran.astrom@sundsvall.se", "addresses are kept in lower case"
    assert "Jag föreslår att kommunen ordnar bättre skidbussar till Åre under sportlovet" in mail.text
    assert mail.degraded == []


def test_utf8_split_across_encoded_words_decodes_exactly() -> None:
    mail = _parse("swedish_utf8_split_words.eml")
    assert mail.subject == "Förslag på en digital ansökan om färdtjänst"
    assert mail.sender_name == "Åsa Öberg"
    assert mail.text.startswith("Färdtjänstresor bokas i dag per telefon.")


def test_windows_1252_under_a_latin_1_label() -> None:
    mail = _parse("windows1252_labelled_latin1.eml")
    assert mail.subject == "Kostnad € och “citat”"
    assert mail.text == "Licensen kostar 40 000 € per år – det “sparar” tid för skolorna i Sundsvall."
    assert mail.sender_name == "Lena Nyström"


def test_raw_utf8_headers() -> None:
    mail = _parse("raw_utf8_headers.eml")
    assert (mail.sender_name, mail.subject) == ("Göran Åström", "Förslag på laddstolpar vid Åre östra")
    assert mail.degraded == []


def test_unknown_charset_is_guessed_and_flagged() -> None:
    mail = _parse("unknown_charset.eml")
    assert mail.subject == "Okänd teckenuppsättning"
    assert mail.text == "Behov av bättre wifi i äldreboendena."
    assert {"subject_charset_guessed", "body_charset_guessed"} <= set(mail.degraded)


def test_html_only_mail_keeps_visible_text_and_drops_hidden() -> None:
    mail = _parse("html_only_hidden.eml")
    assert "Vi behöver digital signering av avtal för att slippa skicka papper." in mail.text
    assert "Upphandling" in mail.text and "Tack & hälsningar" in mail.text
    assert "HIDDEN" not in mail.text
    assert "hidden_html_text_dropped" in mail.degraded


def test_plain_alternative_is_preferred_to_html() -> None:
    mail = _parse("multipart_alternative.eml")
    assert mail.text == "Skolorna vill kunna boka idrottshallar och aulor i ett gemensamt system."


def test_attachments_are_listed_never_read() -> None:
    mail = _parse("attachments.eml")
    assert mail.text == "Bifogar underlag om e-arkivet och en bild pa dagens flode."
    listed = [(a.name, a.content_type) for a in mail.attachments]
    assert listed == [
        ("Förslag åäö.pdf", "application/pdf"),
        ("flöde.png", "image/png"),
        ("notes.txt", "text/plain"),
    ]
    assert mail.attachments[0].size == len(b"%PDF-1.4 NOTOPENED ") + 256 * 40
    assert "ATTACHEDTEXT" not in mail.text, "a text attachment is an attachment, not the message"


@pytest.mark.parametrize(
    ("name", "flag", "text"),
    [
        ("malformed_no_boundary.eml", "mime_defects:", "parkeringstillstand"),
        ("malformed_unclosed_boundary.eml", "CloseBoundaryNotFoundDefect", "chattbot"),
        ("malformed_headers.eml", "no_sender", "digitala matsedlar"),
        ("nested_multipart.eml", "nested_too_deeply", ""),
    ],
)
def test_malformed_mime_is_kept_and_flagged(name: str, flag: str, text: str) -> None:
    mail = parse_mail((CORPUS / name).read_bytes())
    assert mail.quarantine is None
    assert any(flag in d for d in mail.degraded), mail.degraded
    assert text in mail.text
    assert classify(mail)[0] == "submission"


def test_broken_encoded_words_are_kept_as_written() -> None:
    mail = _parse("malformed_headers.eml")
    assert mail.subject is not None and mail.subject.startswith("=?utf-8?B?broken-base64!!?=")


def test_bad_base64_body_still_yields_text() -> None:
    assert _parse("bad_base64_body.eml").text.startswith("Vi behöver en bättre intranät")


@pytest.mark.parametrize("name", ["binary_garbage.eml", "empty.eml"])
def test_what_is_not_a_mail_is_quarantined(name: str) -> None:
    mail = _parse(name)
    assert mail.quarantine is not None
    assert classify(mail)[0] == "quarantine"


def test_a_448_kb_encoded_subject_is_handled_in_well_under_a_second() -> None:
    raw = generate.encoded_word_bomb(448 * 1024)
    assert len(raw) > 448 * 1024
    started = time.perf_counter()
    mail = parse_mail(raw)
    took = time.perf_counter() - started
    assert took < 1.0, f"{took:.3f} s"
    assert mail.subject is not None and mail.subject.startswith("Förslag på ÅreFörslag på Åre")
    assert "subject_truncated" in mail.degraded
    assert mail.sender_name == "Göran Åström"
    assert classify(mail)[0] == "submission"


def test_a_huge_attachment_is_listed_with_its_size() -> None:
    raw = generate.huge_attachment(5)
    started = time.perf_counter()
    mail = parse_mail(raw)
    assert time.perf_counter() - started < 3
    (attachment,) = mail.attachments
    assert (attachment.name, attachment.content_type) == ("ritning.dwg", "application/octet-stream")
    assert abs(attachment.size - 5 * 1024 * 1024) < 2048
    assert mail.text == "Se bifogad ritning över lokalerna."


def test_a_mail_over_the_size_cap_is_quarantined_from_its_headers() -> None:
    limits = MailLimits(max_mail_bytes=2 * 1024 * 1024)
    mail = parse_mail(generate.huge_attachment(3), limits)
    assert mail.quarantine == f"the mail is larger than {2 * 1024 * 1024} bytes"
    assert mail.subject == "Stor bilaga 3 MB"


def test_thousands_of_parts_are_capped() -> None:
    started = time.perf_counter()
    mail = parse_mail(generate.many_parts(5000))
    assert time.perf_counter() - started < 3
    assert mail.text == "Texten kommer först, sedan tusentals bilagor."
    assert len(mail.attachments) == MailLimits().max_attachments
    assert {"too_many_parts", "too_many_attachments"} <= set(mail.degraded)


def test_a_header_flood_is_cut_and_the_body_kept() -> None:
    mail = parse_mail(generate.header_flood(3 * 1024 * 1024))
    assert mail.text == "Texten efter en flod av rubriker."
    assert "headers_truncated" in mail.degraded


def test_huge_nested_html_is_bounded() -> None:
    started = time.perf_counter()
    mail = parse_mail(generate.huge_html(8))
    assert time.perf_counter() - started < 5
    assert mail.text == "Synlig text om gatubelysning."
    assert "text_part_truncated" in mail.degraded


def test_peek_message_id_reads_only_the_headers() -> None:
    assert peek_message_id((CORPUS / "attachments.eml").read_bytes()) == "attach-1@kommunen.se"
    assert peek_message_id(b"") == ""
    assert peek_message_id((CORPUS / "no_message_id.eml").read_bytes()) == ""


def test_decode_words_joins_adjacent_words_and_keeps_plain_text() -> None:
    assert decode_words("=?utf-8?q?G=C3?= =?utf-8?q?=B6ran?= och =?iso-8859-1?q?=C5str=F6m?=") == (
        "Göran och Åström",
        False,
    )
    assert decode_words("ingen kodning") == ("ingen kodning", False)


@pytest.mark.parametrize(
    ("html", "visible"),
    [
        ("<p>synlig</p><p style='display: none'>dold</p>", "synlig"),
        ("<div hidden><p>dold</p></div>synlig", "synlig"),
        ("<span style='color:rgb(255, 255, 255)'>dold</span>synlig", "synlig"),
        ("<div style='font-size:1px'>dold</div>synlig", "synlig"),
        ("<div style='mso-hide:all'>dold</div>synlig", "synlig"),
        ("<p>synlig<script>dold()</script></p></div></div>", "synlig"),
        ("<div style='display:none'><br><img src=x>dold</div>synlig", "synlig"),
    ],
)
def test_hidden_html(html: str, visible: str) -> None:
    text, dropped = html_to_text(html)
    assert text == visible
    assert dropped
