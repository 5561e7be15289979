"""The mailbox against a real Dovecot on loopback (IMAPS and STARTTLS), on SQLite and PostgreSQL.

Fetch, store, handle, move: every mail ends in the processed or the quarantine folder only after
its outcome is committed, a crash before the move costs nothing but a second look, and two
pollers at once still make one submission per mail. The hostile-corpus run (100 mails; 500 in
`make bench-e2e`) prints the figures.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from beredning_bench.benchmark.mail_corpus import synthetic_mails
from intake.db import create_db_engine
from intake.domain.mail import MailState
from intake.mail import ImapMailbox, MailboxError, PollReport, classify, parse_mail, poll
from intake.migrate import upgrade
from intake.models import InboundMail, Submission
from intake.settings import Settings
from tests.dovecot import Dovecot, running_dovecot

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).parents[1] / "mail"
MAILS = int(os.environ.get("BEREDNING_E2E_MAILS", "100"))
"""Mails in the hostile-corpus run: 100 in the suite, 500 in `make bench-e2e`."""
PROCESSED, QUARANTINE = "Beredning-behandlad", "Beredning-karantan"


@pytest.fixture(scope="module")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    with running_dovecot(tmp_path_factory.mktemp("dovecot")) as server:
        yield server


@pytest.fixture
def mailbox(dovecot: Dovecot, request: pytest.FixtureRequest) -> Iterator[Dovecot]:
    """The server with empty folders for each test."""
    dovecot.empty("INBOX", PROCESSED, QUARANTINE)
    yield dovecot


def _settings(tmp_path: Path, database_url: str, server: Dovecot, **mailbox: object) -> Settings:
    box = server.mailbox_settings(acknowledge=False, **mailbox).model_dump()
    return Settings(data_dir=tmp_path, database={"url": database_url}, mailbox=box)


def _engine(settings: Settings) -> Engine:
    engine = create_db_engine(settings)
    upgrade(engine)
    return engine


def _count(engine: Engine, table: type, *where: object) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(table).where(*where)).one())  # type: ignore[arg-type]


def _poll(engine: Engine, settings: Settings) -> PollReport:
    with ImapMailbox(settings.mailbox) as source:
        return poll(engine, settings, source)


def test_poll_moves_each_mail_after_its_outcome(mailbox: Dovecot, tmp_path: Path, database_url: str) -> None:
    settings = _settings(tmp_path, database_url, mailbox)
    engine = _engine(settings)
    names = ["swedish_qp_iso8859.eml", "html_only_hidden.eml", "exchange_oof_sv.eml", "bounce_dsn.eml"]
    mailbox.append(*[(CORPUS / n).read_bytes() for n in [*names, "binary_garbage.eml"]])
    report = _poll(engine, settings)
    assert (report.fetched, report.submissions, report.automatic, report.quarantined, report.failed) == (
        5, 2, 2, 1, 0,
    )  # fmt: skip
    assert (mailbox.count("INBOX"), mailbox.count(PROCESSED), mailbox.count(QUARANTINE)) == (0, 4, 1)
    with Session(engine) as session:
        titles = set(session.exec(select(Submission.title)))
    assert titles == {"Förslag på bättre skidbussar till Åre", "Digital signering av avtal"}
    again = _poll(engine, settings)
    assert again.fetched == 0 and _count(engine, Submission) == 2


def test_starttls_and_the_copy_expunge_fallback(mailbox: Dovecot, tmp_path: Path, database_url: str) -> None:
    settings = _settings(tmp_path, database_url, mailbox, security="starttls", port=mailbox.plain_port)
    engine = _engine(settings)
    mailbox.append(
        (CORPUS / "multipart_alternative.eml").read_bytes(), (CORPUS / "precedence_bulk.eml").read_bytes()
    )
    with ImapMailbox(settings.mailbox) as source:
        source._can_move = False  # as on a server without MOVE (RFC 6851)
        report = poll(engine, settings, source)
    assert (report.submissions, report.automatic, report.moved) == (1, 1, 2)
    assert (mailbox.count("INBOX"), mailbox.count(PROCESSED)) == (0, 2)


def test_bad_certificate_or_password_is_a_clear_error(mailbox: Dovecot, tmp_path: Path) -> None:
    untrusted = mailbox.mailbox_settings(ca_file=None)
    with pytest.raises(MailboxError, match="CERTIFICATE_VERIFY_FAILED"), ImapMailbox(untrusted):
        pass
    wrong = mailbox.mailbox_settings(password="fel")
    with pytest.raises(MailboxError, match=r"AUTHENTICATIONFAILED|Authentication failed"), ImapMailbox(wrong):
        pass


class _CrashBeforeMove:
    """A source whose first move fails as if the process died between storing and moving."""

    def __init__(self, inner: ImapMailbox) -> None:
        self.inner = inner
        self.crashed = False

    def uids(self, limit: int) -> list[str]:
        return self.inner.uids(limit)

    def fetch(self, uid: str, max_bytes: int):  # type: ignore[no-untyped-def]
        return self.inner.fetch(uid, max_bytes)

    def fetch_header(self, uid: str) -> bytes:
        return self.inner.fetch_header(uid)

    def move(self, uid: str, folder: str) -> None:
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("killed between storing and moving")
        self.inner.move(uid, folder)


def test_crash_between_storing_and_moving_gives_one_submission(
    mailbox: Dovecot, tmp_path: Path, database_url: str
) -> None:
    settings = _settings(tmp_path, database_url, mailbox)
    engine = _engine(settings)
    mailbox.append((CORPUS / "attachments.eml").read_bytes())
    with ImapMailbox(settings.mailbox) as inner:
        first = poll(engine, settings, _CrashBeforeMove(inner))
    assert (first.failed, mailbox.count("INBOX"), _count(engine, Submission)) == (1, 1, 1)
    second = _poll(engine, settings)
    assert (second.fetched, second.duplicates, second.submissions) == (1, 1, 1)
    assert (mailbox.count("INBOX"), mailbox.count(PROCESSED), _count(engine, Submission)) == (0, 1, 1)


@pytest.mark.parametrize("exclusive", [False, True], ids=["no-lease", "lease"])
def test_two_pollers_at_once_store_each_mail_once(
    mailbox: Dovecot, tmp_path: Path, database_url: str, exclusive: bool
) -> None:
    """Without the poll lease the unique key alone keeps it exactly-once; with it, the folders stay clean."""
    settings = _settings(tmp_path, database_url, mailbox)
    engine = _engine(settings)
    mails = synthetic_mails(40, seed=11)
    mailbox.append(*[m.raw for m in mails])
    barrier = threading.Barrier(2)
    reports: list[PollReport] = []

    def run() -> None:
        with ImapMailbox(settings.mailbox) as source:
            barrier.wait()
            reports.append(poll(engine, settings, source, exclusive=exclusive))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(reports) == 2
    _poll(engine, settings)  # whatever one left to the other is finished here
    expected = Counter(m.kind for m in mails)
    assert _count(engine, Submission) == expected["submission"]
    assert _count(engine, InboundMail) == len(mails)
    assert _count(engine, InboundMail, col(InboundMail.state) == MailState.AUTOMATIC) == expected["automatic"]
    assert mailbox.count("INBOX") == 0
    moved = mailbox.count(PROCESSED) + mailbox.count(QUARANTINE)
    if exclusive:
        assert sorted(r.skipped for r in reports) in ([False, False], [False, True])
        assert moved == len(mails), "one copy of each mail"
    else:
        assert moved >= len(mails), "two MOVEs of one mail may leave two copies; the database has one"


@pytest.mark.slow
def test_many_mails_with_the_hostile_corpus(
    mailbox: Dovecot, tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.mail import generate

    # every file but the empty one, which IMAP cannot hold ("Can't save a zero byte message")
    hostile = [(p.name, p.read_bytes()) for p in sorted(CORPUS.glob("*.eml")) if p.stat().st_size]
    hostile += [
        ("encoded_word_bomb", generate.encoded_word_bomb()),
        ("huge_attachment", generate.huge_attachment(8)),
        ("too_large", generate.huge_attachment(12, "too-large")),
        ("many_parts", generate.many_parts(3000)),
        ("header_flood", generate.header_flood()),
        ("huge_html", generate.huge_html(4)),
    ]
    settings = _settings(tmp_path, database_url, mailbox, max_mail_bytes=10 * 1024 * 1024, batch_size=1000)
    engine = _engine(settings)
    synthetic = synthetic_mails(MAILS - len(hostile), seed=3)
    expected: list[str] = []
    for _name, raw in hostile:
        parsed = parse_mail(raw)
        kind = classify(parsed)[0]
        too_short = len(f"{parsed.subject or ''}\n\n{parsed.text}".strip()) < settings.intake.min_text_chars
        if len(raw) > settings.mailbox.max_mail_bytes or (kind == "submission" and too_short):
            kind = "quarantine"  # too large to parse; too little text to be a submission
        expected.append(kind)
    expected += [m.kind for m in synthetic]
    mailbox.append(*[raw for _, raw in hostile], *[m.raw for m in synthetic])
    mailbox.append(synthetic[0].raw, synthetic[1].raw)  # delivered twice: stored once each
    report = _poll(engine, settings)
    wanted = Counter(expected)
    assert report.failed == 0 and report.fetched == MAILS + 2
    assert report.duplicates == 2
    assert _count(engine, InboundMail) == MAILS, "every mail stored exactly once"
    assert _count(engine, Submission) == wanted["submission"], "every human mail is one submission"
    assert _count(engine, InboundMail, col(InboundMail.state) == MailState.AUTOMATIC) == wanted["automatic"]
    assert (
        _count(engine, InboundMail, col(InboundMail.state) == MailState.QUARANTINED) == wanted["quarantine"]
    )
    assert mailbox.count("INBOX") == 0
    with capsys.disabled():
        print(
            f"\n{MAILS}-mail run ({engine.dialect.name}): "
            f"{report.fetched} fetched in {report.seconds:.1f} s, "
            f"{report.mails_per_second:.1f} mails/s, slowest {report.slowest_seconds * 1000:.0f} ms "
            f"(UID {report.slowest_uid}); {dict(wanted)}"
        )
