"""Exactly once on SQLite and PostgreSQL: raw bytes first, one submission per mail, replies, acks."""

from __future__ import annotations

import threading
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from intake.db import create_db_engine
from intake.domain.mail import MailState
from intake.domain.submission import Channel, NewSubmission
from intake.mail import handle, ingest, store
from intake.mail.pipeline import actor, handle_pending
from intake.mail.replies import conversation
from intake.migrate import upgrade
from intake.models import AuditEvent, DuplicateCandidate, InboundMail, Job, Submission, utcnow
from intake.services import submissions
from intake.services.similarity import submission_document
from intake.settings import Settings
from tests.smtp_sink import SmtpSink

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).parents[1] / "mail"
MAIL: sa.Table = InboundMail.__table__  # type: ignore[attr-defined]


def _settings(tmp_path: Path, database_url: str, sink: SmtpSink | None = None, **mailbox: object) -> Settings:
    smtp = {"host": sink.host, "port": sink.port, "sender": "beredning@kommunen.se"} if sink else {}
    mailbox = {
        "address": "ideer@kommunen.se",
        "acknowledge": sink is not None,
        "ack_domains": ["kommunen.se", "sundsvall.se"],
        **mailbox,
    }
    return Settings(data_dir=tmp_path, database={"url": database_url}, smtp=smtp, mailbox=mailbox)


@pytest.fixture
def engine(tmp_path: Path, database_url: str) -> Engine:
    found = create_db_engine(_settings(tmp_path, database_url))
    upgrade(found)
    return found


def _count(engine: Engine, table: type, *where: object) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(table).where(*where)).one())  # type: ignore[arg-type]


def _mail(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def test_a_mail_becomes_one_submission_with_its_triage_job(
    engine: Engine, tmp_path: Path, database_url: str
) -> None:
    settings = _settings(tmp_path, database_url)
    first = ingest(engine, _mail("swedish_qp_iso8859.eml"), settings, source="test")
    assert first.kind == "submission" and first.reference and not first.duplicate
    again = ingest(engine, _mail("swedish_qp_iso8859.eml"), settings, source="test")
    assert (again.kind, again.reference, again.duplicate, again.mail_id) == (
        "submission",
        first.reference,
        True,
        first.mail_id,
    )
    assert _count(engine, Submission) == 1 and _count(engine, InboundMail) == 1
    row = submissions.get_by_reference(engine, first.reference)
    assert row is not None
    assert (row.channel, row.submitter_email, row.submitter_name, row.title) == (
        Channel.EMAIL,
        "goran.astrom@sundsvall.se",
        "Göran Åström",
        "Förslag på bättre skidbussar till Åre",
    )
    assert "skidbussar till Åre under sportlovet" in row.raw_text
    assert _count(engine, Job, col(Job.submission_id) == row.id) == 1
    stored = store.get(engine, first.mail_id)
    assert stored.raw == _mail("swedish_qp_iso8859.eml"), "the raw bytes are kept exactly"
    assert stored.state == MailState.SUBMITTED and stored.submission_id == row.id


def test_reused_message_id_with_different_bytes_gives_two_submissions(
    engine: Engine, tmp_path: Path, database_url: str
) -> None:
    settings = _settings(tmp_path, database_url)
    a = ingest(engine, _mail("reused_message_id_a.eml"), settings, source="test")
    b = ingest(engine, _mail("reused_message_id_b.eml"), settings, source="test")
    assert a.kind == b.kind == "submission" and a.reference != b.reference
    with Session(engine) as session:
        ids = session.exec(select(InboundMail.message_id)).all()
    assert ids == ["same-id-reused@broken-client.local"] * 2


def test_automatic_mail_is_recorded_not_submitted(engine: Engine, tmp_path: Path, database_url: str) -> None:
    settings = _settings(tmp_path, database_url)
    names = ["bounce_dsn.eml", "exchange_oof_sv.eml", "precedence_bulk.eml", "return_path_empty.eml"]
    outcomes = [ingest(engine, _mail(n), settings, source="test") for n in names]
    assert {o.kind for o in outcomes} == {"automatic"}
    assert _count(engine, Submission) == 0
    assert _count(engine, InboundMail, col(InboundMail.state) == MailState.AUTOMATIC) == 4
    assert store.get(engine, outcomes[1].mail_id).automatic_reason == "X-Auto-Response-Suppress: All"


def test_unusable_mail_is_quarantined_with_raw_bytes_kept(
    engine: Engine, tmp_path: Path, database_url: str
) -> None:
    settings = _settings(tmp_path, database_url)
    outcome = ingest(engine, _mail("binary_garbage.eml"), settings, source="test")
    assert outcome.kind == "quarantine" and outcome.note
    row = store.get(engine, outcome.mail_id)
    assert row.state == MailState.QUARANTINED and row.raw == _mail("binary_garbage.eml")


def test_concurrent_ingest_of_the_same_mail_gives_one_submission(
    engine: Engine, tmp_path: Path, database_url: str
) -> None:
    settings = _settings(tmp_path, database_url)
    raw = _mail("swedish_utf8_split_words.eml")
    barrier = threading.Barrier(6)
    results: list[object] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(ingest(engine, raw, settings, source="test"))
        except Exception as exc:  # recorded and asserted on below
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert _count(engine, Submission) == 1 and _count(engine, InboundMail) == 1
    handle_pending(engine, settings)
    assert _count(engine, Submission) == 1
    assert store.get(engine, results[0].mail_id).state == MailState.SUBMITTED  # type: ignore[attr-defined]


def test_crash_after_storing_is_handled_by_the_next_pass(
    engine: Engine, tmp_path: Path, database_url: str
) -> None:
    settings = _settings(tmp_path, database_url)
    raw = _mail("multipart_alternative.eml")
    stored = store.store_raw(engine, raw, "alt-1@kommunen.se", source="test", keep_bytes=10**7)
    # ...the process dies here: stored, not handled, still in the inbox.
    assert store.pending(engine) == [stored.mail_id]
    outcome = ingest(engine, raw, settings, source="test")  # the next fetch of the same mail
    assert outcome.kind == "submission" and outcome.duplicate
    assert _count(engine, Submission) == 1 and store.pending(engine) == []


def test_a_poll_cannot_take_a_mail_its_ingester_is_handling(
    engine: Engine, tmp_path: Path, database_url: str
) -> None:
    """The served app's mail loop once took an uploaded mail between insert and handling (CI)."""
    settings = _settings(tmp_path, database_url)
    raw = _mail("multipart_alternative.eml")
    lease = timedelta(minutes=5)
    stored = store.store_raw(
        engine, raw, "alt-1@kommunen.se", source="test", keep_bytes=10**7, claim_for=lease
    )
    assert stored.created and stored.state == MailState.HANDLING
    assert store.pending(engine) == [], "a poll at this moment would take the ingester's mail"
    assert handle_pending(engine, settings) == []
    # ...the ingester dies here: once its lease runs out, a poll handles the mail.
    later = utcnow() + lease + timedelta(seconds=1)
    assert store.pending(engine, now=later) == [stored.mail_id]
    assert store.claim(engine, stored.mail_id, now=later)


def test_an_uploaded_mail_is_handled_by_its_own_request_while_a_poll_runs(
    engine: Engine, tmp_path: Path, database_url: str
) -> None:
    settings = _settings(tmp_path, database_url)
    raws = [_mail(name) for name in ("multipart_alternative.eml", "swedish_qp_iso8859.eml")]
    stop = threading.Event()
    polled: list[object] = []

    def poll() -> None:
        while not stop.is_set():
            polled.extend(handle_pending(engine, settings))

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        outcomes = [ingest(engine, raw, settings, source="upload") for raw in raws]
    finally:
        stop.set()
        poller.join(timeout=30)
    assert [o.kind for o in outcomes] == ["submission", "submission"], outcomes
    assert polled == [], "the poll took a mail its ingester was handling"
    assert _count(engine, Submission) == 2


def test_crash_between_submission_and_link_does_not_submit_twice(
    engine: Engine, tmp_path: Path, database_url: str
) -> None:
    settings = _settings(tmp_path, database_url)
    raw = _mail("attachments.eml")
    stored = store.store_raw(engine, raw, "attach-1@kommunen.se", source="test", keep_bytes=10**7)
    assert store.claim(engine, stored.mail_id)
    # The handler created the submission (committed with its audit event) and died before linking.
    new = NewSubmission(text="Bifogar underlag om e-arkivet.", channel=Channel.EMAIL)
    created = submissions.accept(engine, new, settings.intake, actor=actor(stored.mail_id))
    assert handle(engine, stored.mail_id, settings).kind == "pending", "its lease still holds"
    with engine.begin() as connection:  # the lease runs out
        connection.execute(sa.update(MAIL).values(lease_until=utcnow() - timedelta(seconds=1)))
    outcome = handle(engine, stored.mail_id, settings)
    assert (outcome.kind, outcome.reference) == ("submission", created.reference)
    assert _count(engine, Submission) == 1
    with Session(engine) as session:
        assert (
            session.exec(
                select(func.count())
                .select_from(AuditEvent)
                .where(col(AuditEvent.action) == "submission.received")
            ).one()
            == 1
        )


def test_acknowledgement_reply_and_rate_limit(tmp_path: Path, database_url: str, engine: Engine) -> None:
    with SmtpSink() as sink:
        settings = _settings(tmp_path, database_url, sink, acks_per_address_per_day=2)
        first = ingest(engine, _mail("swedish_qp_iso8859.eml"), settings, source="test")
        assert first.ack == "sent"
        (ack,) = sink.messages
        message = ack.message()
        assert ack.rcpt_to == ["goran.astrom@sundsvall.se"]
        assert first.reference in str(message["Subject"]) and first.reference in message.get_content()
        assert message["Reply-To"] == "ideer@kommunen.se"
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["In-Reply-To"] == "<qp-iso-1@sundsvall.se>"

        # The submitter answers the acknowledgement: linked by In-Reply-To, quote and signature stripped.
        reply = EmailMessage()
        reply["From"] = "Göran Åström <goran.astrom@sundsvall.se>"
        reply["To"] = "ideer@kommunen.se"
        reply["Subject"] = f"Sv: {message['Subject']}"
        reply["Message-ID"] = "<reply-1@sundsvall.se>"
        reply["In-Reply-To"] = str(message["Message-ID"])
        reply.set_content(
            "Hej igen!\n\nBussarna borde också stanna vid Järpen.\n\nMed vänliga hälsningar\nGöran\n\n"
            "Den 16 nov. 2026 skrev Beredning <beredning@kommunen.se>:\n"
            f"> Tack för ditt förslag {first.reference}\n"
        )
        answered = ingest(engine, reply.as_bytes(), settings, source="test")
        assert (answered.kind, answered.reference) == ("reply", first.reference)
        assert len(sink.messages) == 1, "a reply gets no acknowledgement"
        row = submissions.get_by_reference(engine, first.reference)
        assert row is not None and row.id is not None
        assert "Järpen" not in row.raw_text, "the original submission is never altered"
        assert row.follow_up_text == "Bussarna borde också stanna vid Järpen."
        assert "Järpen" in submission_document(row).body, "the reply is compared and indexed"
        assert conversation(engine, row.id) == [
            ("goran.astrom@sundsvall.se", "Bussarna borde också stanna vid Järpen.")
        ]

        # A reference in the subject links nothing, even from the submitter's address (From can be
        # forged): a new submission, marked as a possible reply for staff, and the original unchanged.
        spoofed = EmailMessage()
        spoofed["From"] = "goran.astrom@sundsvall.se"
        spoofed["Subject"] = f"Angående {first.reference.lower()}"
        spoofed["Message-ID"] = "<reply-2@sundsvall.se>"
        spoofed.set_content("Ett tillägg: även helger vore bra för skidbussarna.")
        forged = ingest(engine, spoofed.as_bytes(), settings, source="test")
        assert forged.kind == "submission" and forged.reference != first.reference
        row = submissions.get_by_reference(engine, first.reference)
        assert row is not None and row.follow_up_text == "Bussarna borde också stanna vid Järpen."
        new = submissions.get_by_reference(engine, str(forged.reference))
        assert new is not None and new.possible_reply_to == first.reference
        with Session(engine) as session:
            (candidate,) = session.exec(
                select(DuplicateCandidate).where(DuplicateCandidate.submission_id == new.id)
            ).all()
        assert candidate.other_key == first.reference and "är samma adress" in candidate.reason
        stranger = EmailMessage()
        stranger["From"] = "okand@sundsvall.se"
        stranger["Subject"] = f"Angående {first.reference}"
        stranger["Message-ID"] = "<stranger-1@sundsvall.se>"
        stranger["In-Reply-To"] = (
            "<qp-iso-1@sundsvall.se>"  # the original mail's id: not one the service sent
        )
        stranger.set_content("Jag har en helt annan idé om snöröjning i centrum.")
        other = ingest(engine, stranger.as_bytes(), settings, source="test")
        assert other.kind == "submission"
        marked = submissions.get_by_reference(engine, str(other.reference))
        assert marked is not None and marked.possible_reply_to == first.reference

        # Rate limit: at most 2 acknowledgements per address and day, `+tag` and case counted as one.
        outcomes = []
        for n, sender in enumerate(
            ("Goran.Astrom+ide@sundsvall.se", "goran.astrom@SUNDSVALL.se", "goran.astrom@sundsvall.se")
        ):
            more = EmailMessage()
            more["From"] = sender
            more["Subject"] = f"Nytt förslag {n}"
            more["Message-ID"] = f"<more-{n}@sundsvall.se>"
            more.set_content(f"Förslag nummer {n} om cykelbanor vid Sidsjön.")
            outcomes.append(ingest(engine, more.as_bytes(), settings, source="test").ack)
        assert outcomes == ["limited", "limited", "limited"], "the first and the forged mail took both"
        to_goran = [
            m
            for m in sink.messages
            if "sundsvall.se" in m.rcpt_to[0].lower() and "goran" in m.rcpt_to[0].lower()
        ]
        assert len(to_goran) == 2


def test_acknowledgements_go_only_to_configured_domains_under_a_daily_cap_without_the_subject(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    with SmtpSink() as sink:
        settings = _settings(tmp_path, database_url, sink, acks_per_day=2)
        outcomes = []
        for n, sender in enumerate(
            (
                "offer@evil.example",
                "a@kommunen.se.evil.example",
                "b@kommunen.se",
                "c@it.kommunen.se",
                "d@kommunen.se",
            )
        ):
            mail = EmailMessage()
            mail["From"] = sender
            mail["Subject"] = f"Köp billiga klockor på http://evil.example/{n}"
            mail["Message-ID"] = f"<cap-{n}@example>"
            mail.set_content(f"Ett förslag nummer {n} om bättre skyltning i stadshuset.")
            outcomes.append(ingest(engine, mail.as_bytes(), settings, source="test").ack)
        assert outcomes == ["foreign_domain", "foreign_domain", "sent", "sent", "capped"]
        assert [m.rcpt_to for m in sink.messages] == [["b@kommunen.se"], ["c@it.kommunen.se"]]
        for sent in sink.messages:
            text = sent.message().get_content() + str(sent.message()["Subject"])
            assert "evil.example" not in text and "klockor" not in text, "the subject is echoed"
    assert _count(engine, Submission) == 5, "every mail is taken in, answered or not"


def test_automatic_senders_never_get_an_acknowledgement(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    with SmtpSink() as sink:
        settings = _settings(tmp_path, database_url, sink)
        for name in ("exchange_oof_sv.eml", "auto_submitted_auto_replied.eml", "bounce_dsn.eml"):
            assert ingest(engine, _mail(name), settings, source="test").kind == "automatic"
        assert sink.messages == []


def test_an_acknowledgement_that_cannot_be_sent_keeps_the_submission(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    settings = _settings(tmp_path, database_url)
    settings.mailbox.acknowledge = True
    settings.smtp.host, settings.smtp.port, settings.smtp.timeout_seconds = "127.0.0.1", 1, 2
    outcome = ingest(engine, _mail("swedish_qp_iso8859.eml"), settings, source="test")
    assert (outcome.kind, outcome.ack) == ("submission", "failed")
    assert _count(engine, Submission) == 1


def test_a_mail_that_breaks_the_handler_is_quarantined_and_the_next_goes_on(
    engine: Engine, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, database_url)
    from intake.mail import pipeline as handle_module

    real = handle_module.parse_mail

    def breaks_on_bombs(raw: bytes, limits: object = None):  # type: ignore[no-untyped-def]
        if b"qp-iso-1" in raw:
            raise ValueError("a bug the corpus found")
        return real(raw, limits)  # type: ignore[arg-type]

    monkeypatch.setattr(handle_module, "parse_mail", breaks_on_bombs)
    broken = ingest(engine, _mail("swedish_qp_iso8859.eml"), settings, source="test")
    assert broken.kind == "quarantine" and "ValueError: a bug the corpus found" in (broken.note or "")
    assert store.get(engine, broken.mail_id).raw == _mail("swedish_qp_iso8859.eml")
    assert ingest(engine, _mail("multipart_alternative.eml"), settings, source="test").kind == "submission"
    assert store.pending(engine) == []
