"""People's mail becomes a submission; auto-replies, bounces and list mail never do."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.mail import classify, parse_mail
from intake.mail.parse import ParsedMail

CORPUS = Path(__file__).parents[1] / "mail"

AUTOMATIC = {
    "auto_submitted_auto_replied.eml": "Auto-Submitted: auto-replied",
    "auto_submitted_auto_generated.eml": "Auto-Submitted: auto-generated",
    "precedence_bulk.eml": "Precedence: bulk",
    "precedence_junk.eml": "Precedence: junk",
    "precedence_list.eml": "Precedence: list",
    "precedence_auto_reply.eml": "Precedence: auto_reply",
    "return_path_empty.eml": "empty Return-Path (a bounce)",
    "bounce_dsn.eml": "multipart/report (delivery-status report)",
    "read_receipt_mdn.eml": "multipart/report (disposition-notification report)",
    "exchange_oof_sv.eml": "X-Auto-Response-Suppress: All",
    "exchange_oof_subject_only.eml": "auto-reply subject: Automatic reply: Your suggestion",
    "exchange_inbox_rule.eml": "Exchange generated: Mailbox Rules Agent",
    "mailing_list.eml": "mailing list",
    "x_autoreply.eml": "x-autoreply header",
}
HUMAN = [
    "swedish_qp_iso8859.eml",
    "swedish_utf8_split_words.eml",
    "windows1252_labelled_latin1.eml",
    "raw_utf8_headers.eml",
    "html_only_hidden.eml",
    "multipart_alternative.eml",
    "attachments.eml",
    "auto_submitted_no.eml",
    "reused_message_id_a.eml",
    "reused_message_id_b.eml",
    "subject_only.eml",
    "no_message_id.eml",
    "unknown_charset.eml",
    "bad_base64_body.eml",
]


def test_the_corpus_is_covered() -> None:
    listed = set(AUTOMATIC) | set(HUMAN)
    others = {"binary_garbage.eml", "empty.eml", "malformed_headers.eml", "malformed_no_boundary.eml"}
    others |= {"malformed_unclosed_boundary.eml", "nested_multipart.eml"}
    assert {p.name for p in CORPUS.glob("*.eml")} == listed | others


@pytest.mark.parametrize(("name", "reason"), sorted(AUTOMATIC.items()))
def test_automatic_mail(name: str, reason: str) -> None:
    assert classify(parse_mail((CORPUS / name).read_bytes())) == ("automatic", reason)


@pytest.mark.parametrize("name", HUMAN)
def test_human_mail(name: str) -> None:
    assert classify(parse_mail((CORPUS / name).read_bytes())) == ("submission", None)


@pytest.mark.parametrize(
    ("headers", "subject", "sender", "kind"),
    [
        ({"auto-submitted": "No"}, "Idé", "a@b.se", "submission"),
        ({"precedence": "first-class"}, "Idé", "a@b.se", "submission"),
        ({"x-auto-response-suppress": "OOF, AutoReply"}, "Idé", "a@b.se", "automatic"),
        ({"x-auto-response-suppress": "RN, NRN"}, "Idé", "a@b.se", "submission"),
        ({"return-path": "< >"}, "Idé", "a@b.se", "automatic"),
        ({"return-path": "<a@b.se>"}, "Idé", "a@b.se", "submission"),
        ({}, "Idé", "mailer-daemon@mx.b.se", "automatic"),
        ({}, "Idé", "postmaster@b.se", "automatic"),
        ({}, "Frånvaromeddelande: Idé", "a@b.se", "automatic"),
        ({}, "Olevererbart: Idé", "a@b.se", "automatic"),
        ({}, "Undeliverable: Idé", "a@b.se", "automatic"),
        ({}, "Sv: Automatiskt svar om parkering", "a@b.se", "submission"),
        ({}, "Idé", "beredning@kommunen.se", "automatic"),
    ],
)
def test_rules(headers: dict[str, str], subject: str, sender: str, kind: str) -> None:
    mail = ParsedMail(sender=sender, subject=subject, text="text", headers=headers)
    assert classify(mail, ("beredning@kommunen.se",))[0] == kind


def test_quarantine_wins_over_everything() -> None:
    mail = ParsedMail(quarantine="broken", headers={"auto-submitted": "auto-replied"})
    assert classify(mail) == ("quarantine", "broken")
