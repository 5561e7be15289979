"""The personal-data lifecycle on SQLite and PostgreSQL, with real Chroma and real triage steps.

Register extracts and erasure by e-mail, by reference and by name; anonymise versus delete by the
schedule's rules; erasure while a triage run is embedding; erasure then a rebuilt index; culling
at the boundary dates with a frozen clock; the daily culling flow running once; backup and
restore that erase again. Every check of "nothing left" reads every row of every table, and
every document in Chroma, as text and looks for the person's surname, address and personnummer
in it, as an auditor would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel, col, select

from flows import triage_steps
from flows.triage_steps import TriageServices
from intake.db import create_db_engine
from intake.domain.accounts import Role
from intake.domain.mail import MailState
from intake.domain.process import load_process
from intake.domain.retention import ErasureRule, Schedule, load_schedule
from intake.domain.submission import Channel, NewSubmission
from intake.drafting.checklists import load_checklists
from intake.migrate import upgrade
from intake.models import (
    Account,
    AuditEvent,
    AuthSession,
    Draft,
    Erasure,
    GapQuestion,
    InboundMail,
    LoginAttempt,
    StepChange,
    Submission,
)
from intake.services import backup, erasure, follow, register, retention, submissions
from intake.services.drafting import DraftingService
from intake.services.similarity import SimilarityService, submission_key
from intake.settings import Settings
from retrieval import ChromaIndex
from tests.factories import submission
from tests.fakes import FakeEmbedder

pytestmark = pytest.mark.integration

SURNAME = "Zetterqvist"
EMAIL = "karin.zetterqvist@sundsvall.se"
PNR = "811228-9874"
SECRETS = (SURNAME, EMAIL, PNR, PNR.replace("-", ""), "karin.zetterqvist")
"""What must never be found again after Karin Zetterqvist is erased (compared case-insensitively)."""

PARKING = (
    f"Hej, jag heter Karin {SURNAME} (personnummer {PNR}). Ansökan om parkeringstillstånd för "
    f"rörelsehindrade borde bli digital, med status i Mina sidor. Mvh Karin {SURNAME}"
)
ROOMS = f"Bättre digitalt stöd för att boka lokaler och möteslokaler i skolorna. /Karin {SURNAME}"
ARCHIVE = "Vi behöver ett gemensamt e-arkiv för kommunens bolag. Mvh Per Olsson"


@dataclass
class World:
    settings: Settings
    engine: Engine
    similarity: SimilarityService
    index: ChromaIndex
    drafting: DraftingService
    schedule: Schedule
    refs: dict[str, str]


def _build(tmp_path: Path, database_url: str, embedder: Any = None) -> World:
    settings = Settings(data_dir=tmp_path, database={"url": database_url}, similarity={"flag_threshold": 0.0})
    engine = create_db_engine(settings)
    upgrade(engine)
    embedder = embedder or FakeEmbedder()
    index = ChromaIndex(path=tmp_path / "chroma", collection="test", model_id=embedder.model_id)
    similarity = SimilarityService.with_parts(engine, embedder, index, settings.similarity)
    drafting = DraftingService(engine, load_process(), load_checklists(), None, redraft_after=timedelta(0))
    return World(settings, engine, similarity, index, drafting, load_schedule(), {})


def _accept(world: World, text: str, name: str, email: str, channel: Channel = Channel.WEB) -> Submission:
    new = NewSubmission(text=text, channel=channel, submitter_name=name, submitter_email=email)
    return submissions.accept(world.engine, new, world.settings.intake, actor="test")


def _populate(world: World, *, triage: bool = True) -> None:
    """Karin sends two ideas (one by mail, with an attachment and her personnummer), Per one."""
    parking = _accept(world, PARKING, f"Karin {SURNAME}", EMAIL, Channel.EMAIL)
    rooms = _accept(world, ROOMS, f"Karin {SURNAME}", EMAIL)
    archive = _accept(world, ARCHIVE, "Per Olsson", "per.olsson@sundsvall.se")
    world.refs = {"parking": parking.reference, "rooms": rooms.reference, "archive": archive.reference}
    raw = f"From: Karin {SURNAME} <{EMAIL}>\r\nSubject: Parkering\r\n\r\n{PARKING}\r\n".encode()
    with Session(world.engine) as session:
        session.add(
            InboundMail(
                message_id=f"<{SURNAME.lower()}.1@sundsvall.se>",
                sha256="0" * 64,
                raw=raw,
                size=len(raw),
                source="upload",
                state=MailState.SUBMITTED,
                sender=EMAIL,
                sender_name=f"Karin {SURNAME}",
                subject="Parkering",
                text=PARKING,
                attachments=[
                    {"filename": f"intyg-{SURNAME}.pdf", "content_type": "application/pdf", "size": 10}
                ],
                submission_id=parking.id,
            )
        )
        session.add(
            GapQuestion(
                submission_id=parking.id,
                gap_key="a/b",
                question="Vem berörs?",
                asked_by="digit@kommun.se",
                answer=f"Jag, Karin {SURNAME}, och mina kollegor.",
                answered_by="submitter",
            )
        )
        account = Account(email=EMAIL, name=f"Karin {SURNAME}", role=Role.SUBMITTER)
        session.add(account)
        session.add(LoginAttempt(email=EMAIL, address="10.0.0.1", success=True))
        session.commit()
        session.refresh(account)
        assert account.id is not None
        session.add(AuthSession(id="f" * 64, account_id=account.id, address="10.0.0.1"))
        session.commit()
    follow.issue(world.engine, parking.id or 0)
    if triage:
        services = TriageServices(world.engine, world.similarity, world.drafting)
        for submission in (parking, rooms, archive):
            assert submission.id is not None
            triage_steps.run_in_process(services, submission.id)


def _leaks(world: World, secrets: tuple[str, ...] = SECRETS) -> list[str]:
    """Every value in every table and in Chroma that names Karin: what an auditor would find."""
    found: list[str] = []
    with world.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                text = " ".join(
                    v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row
                ).lower()
                found += [f"{table.name}: {s}" for s in secrets if s.lower() in text]
    collection = world.index._col()
    got = collection.get(include=["documents", "metadatas"])
    for doc, meta in zip(got["documents"] or [], got["metadatas"] or [], strict=True):
        text = f"{doc} {meta}".lower()
        found += [f"chroma: {s}" for s in secrets if s.lower() in text]
    for key, held in world.similarity.search_engine.documents.items():
        found += [f"memory {key}: {s}" for s in secrets if s.lower() in held.text.lower()]
    return found


def _index_keys(world: World) -> set[str]:
    return set(world.index._col().get()["ids"])


def _erase(
    world: World,
    subject: register.Subject | None = None,
    schedule: Schedule | None = None,
    *,
    actor: str = "t",
    reason: str | None = None,
) -> erasure.Plan:
    """Erase as the staff page does (Prefect's runs left to a job loop); Karin by default."""
    return erasure.carry_out(
        world.engine,
        world.similarity,
        world.settings,
        subject or register.Subject.of(email=EMAIL),
        schedule or world.schedule,
        actor=actor,
        reason=reason,
        prefect=False,
    )


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    built = _build(tmp_path, database_url)
    yield built
    built.engine.dispose()


# --- extracts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "value", "expected"),
    [
        ("email", EMAIL, ["parking", "rooms"]),
        ("name", f"karin {SURNAME}", ["parking", "rooms"]),
        ("reference", None, ["parking"]),
    ],
)
def test_extract_by_email_name_and_reference(
    world: World, how: str, value: str | None, expected: list[str]
) -> None:
    _populate(world)
    subject = register.Subject.of(**{how: value or world.refs["parking"]})
    data = register.extract(world.engine, subject)
    assert [s["reference"] for s in data["submissions"]] == [world.refs[k] for k in expected]
    parking = data["submissions"][0]
    assert parking["text"] == PARKING
    assert parking["mails"][0]["attachments"][0]["filename"] == f"intyg-{SURNAME}.pdf"
    assert parking["questions"][0]["answer"].startswith("Jag, Karin")
    originals = {m["original"] for m in parking["draft"]["masking_map"]}
    assert PNR in originals, "the extract shows the masking map with the masked originals"
    assert len(parking["follow_links"]) == 1
    if how != "reference":
        assert data["account"]["email"] == EMAIL and len(data["account"]["sessions"]) == 1
        assert data["login_attempts"] and data["login_attempts"][0]["address"] == "10.0.0.1"
    else:
        assert data["account"] is None
    assert any(e["action"] == "submission.received" for e in data["audit_events"])
    html = register.render_html(data, "Europe/Stockholm")
    assert "<h1>Registerutdrag</h1>" in html and f"intyg-{SURNAME}.pdf" in html and "@media print" in html
    assert "ARCHIVE" not in html and "e-arkiv" not in html, (
        "another person's submission is not in the extract"
    )


# --- erasure --------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["email", "name"])
def test_erase_a_person_leaves_nothing_and_the_other_person_untouched(world: World, how: str) -> None:
    _populate(world)
    with Session(world.engine) as session:
        before = session.exec(
            select(Submission).where(col(Submission.reference) == world.refs["archive"])
        ).one()
    value = EMAIL if how == "email" else f"Karin {SURNAME}"
    plan = _erase(
        world,
        register.Subject.of(**{how: value}),
        actor="dpo@kommun.se",
        reason=f"Begäran från Karin {SURNAME}, KS 2026/17",
    )
    assert [p.action for p in plan.submissions] == ["delete", "delete"], "undecided items are deleted"
    assert plan.counts["account_deleted"] == 1 and plan.counts["login_attempt_deleted"] == 1
    assert _leaks(world) == []
    assert (
        submission(world.engine, world.refs["parking"]) is None
        and submission(world.engine, world.refs["rooms"]) is None
    )
    after = submission(world.engine, world.refs["archive"])
    assert after is not None and (after.raw_text, after.submitter_email) == (
        before.raw_text,
        before.submitter_email,
    )
    keys = _index_keys(world)
    assert submission_key(world.refs["archive"]) in keys
    assert not keys & {submission_key(world.refs["parking"]), submission_key(world.refs["rooms"])}
    found = world.similarity.find_similar(PARKING, limit=10)
    assert all(m.document.ref not in (world.refs["parking"], world.refs["rooms"]) for m in found)
    with Session(world.engine) as session:
        ledger = session.exec(select(Erasure)).one()
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "privacy.erase")).one()
    assert ledger.actor == "dpo@kommun.se" and ledger.subject_hash and len(ledger.subject_hash) == 64
    assert SURNAME not in (ledger.reason or "-") and "KS 2026/17" in (ledger.reason or "")
    assert event.entity_key == f"erasure-{ledger.id}" and event.changes["rules"] == [
        "erase-person",
        "erase-undecided",
    ]
    assert register.holds_anything(register.extract(world.engine, register.Subject.of(email=EMAIL))) is False


def test_erase_by_reference_takes_only_that_submission(world: World) -> None:
    _populate(world)
    subject = register.Subject.of(reference=world.refs["parking"])
    _erase(world, subject)
    assert submission(world.engine, world.refs["parking"]) is None
    rooms = submission(world.engine, world.refs["rooms"])
    assert rooms is not None and rooms.submitter_email == EMAIL, "her other idea stays"
    with Session(world.engine) as session:
        assert session.exec(select(Account).where(Account.email == EMAIL)).first() is not None
        assert session.exec(select(InboundMail)).all() == [], "the mail of the erased idea went with it"
    assert PNR not in str(register.extract(world.engine, register.Subject.of(email=EMAIL)))


def test_a_decided_item_is_anonymised_and_kept_an_undecided_one_deleted(world: World) -> None:
    _populate(world)
    parking = submission(world.engine, world.refs["parking"])
    assert parking is not None
    with Session(world.engine) as session:
        session.add(
            StepChange(
                submission_id=parking.id or 0,
                from_step="steg-1",
                to_step="steg-2",
                kind="forward",
                actor="forum@kommun.se",
                forum="losningsforum",
                decision="go-on",
                reason=f"Bra idé av Karin {SURNAME}",
            )
        )
        session.commit()
    plan = _erase(world)
    assert {p.reference: (p.action, p.rule) for p in plan.submissions} == {
        world.refs["parking"]: ("anonymise", "erase-decided"),
        world.refs["rooms"]: ("delete", "erase-undecided"),
    }
    kept = submission(world.engine, world.refs["parking"])
    assert kept is not None and kept.anonymised_at is not None
    assert (kept.submitter_name, kept.submitter_email) == (None, None)
    assert "parkeringstillstånd" in kept.raw_text and "[PNR_1]" in kept.raw_text
    with Session(world.engine) as session:
        draft = session.exec(select(Draft).where(Draft.submission_id == kept.id)).one()
        step = session.exec(
            select(StepChange).where(
                StepChange.submission_id == kept.id, col(StepChange.decision).is_not(None)
            )
        ).one()
    assert "spans" not in draft.redaction and "anonymised_at" in draft.redaction and step.decision == "go-on"
    assert _leaks(world) == []
    documents = world.index.get_documents([submission_key(kept.reference)])
    assert "parkeringstillstånd" in documents[submission_key(kept.reference)].body, (
        "the anonymised text stays findable"
    )


class BlockingEmbedder(FakeEmbedder):
    """Embeds like the fake, but the first document batch waits until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.go = threading.Event()
        self.armed = False

    def embed_documents(self, texts: Any) -> Any:
        if self.armed:
            self.armed = False
            self.entered.set()
            assert self.go.wait(60)
        return super().embed_documents(texts)


@pytest.mark.parametrize("action", ["delete", "anonymise"])
def test_erasure_while_triage_embeds_the_old_text_recreates_nothing(
    tmp_path: Path, database_url: str, action: str
) -> None:
    embedder = BlockingEmbedder()
    world = _build(tmp_path, database_url, embedder)
    _populate(world, triage=False)
    schedule = world.schedule
    if action == "anonymise":
        schedule = schedule.model_copy(
            update={"erasure": (ErasureRule(id="keep-all", action="anonymise", source="test"),)}
        )
    parking = submission(world.engine, world.refs["parking"])
    assert parking is not None and parking.id is not None
    services = TriageServices(world.engine, world.similarity, world.drafting)
    outcome: dict[str, Any] = {}

    def triage() -> None:
        try:
            outcome["step"] = triage_steps.run_in_process(services, parking.id or 0)
        except (LookupError, SQLAlchemyError) as exc:  # the run may fail: the item is gone
            outcome["error"] = exc

    def erase() -> None:
        outcome["plan"] = _erase(world, register.Subject.of(reference=parking.reference), schedule=schedule)

    embedder.armed = True
    runner = threading.Thread(target=triage)
    runner.start()
    assert embedder.entered.wait(60), "triage reached the embedding of the old text"
    eraser = threading.Thread(target=erase)
    eraser.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the SQL part commits while the embedder still holds the text
        with Session(world.engine) as session:
            row = session.get(Submission, parking.id)
            if row is None or row.anonymised_at is not None:
                break
        time.sleep(0.05)
    embedder.go.set()
    runner.join(120)
    eraser.join(120)
    assert not runner.is_alive() and not eraser.is_alive()
    assert "plan" in outcome
    if action == "anonymise":
        # a retry of the job (or the run itself, if it came after) works from the anonymised row
        triage_steps.run_in_process(services, parking.id)
    # only the parking idea was erased: its personnummer (and, deleted, its words) must be gone everywhere
    parking_only = (PNR, PNR.replace("-", "")) + (("rörelsehindrade",) if action == "delete" else ())
    assert _leaks(world, parking_only) == [], f"triage outcome: {outcome.get('error') or outcome.get('step')}"
    if action == "delete":
        assert submission_key(parking.reference) not in _index_keys(world)
        with Session(world.engine) as session:
            assert session.exec(select(Draft)).all() == []


def test_erase_then_reindex_brings_nothing_back(world: World) -> None:
    _populate(world)
    _erase(world)
    fresh = SimilarityService.with_parts(world.engine, FakeEmbedder(), world.index, world.settings.similarity)
    fresh.rebuild()
    assert _index_keys(world) == {submission_key(world.refs["archive"])}
    assert _leaks(world) == []
    assert all(m.document.ref == world.refs["archive"] for m in fresh.find_similar(ROOMS, limit=5))


def test_erasing_nobody_is_refused(world: World) -> None:
    _populate(world, triage=False)
    with pytest.raises(erasure.NothingToErase):
        erasure.preview(world.engine, register.Subject.of(email="ingen@kommun.se"), world.schedule)
    with pytest.raises(register.SubjectError):
        register.Subject.of(email=EMAIL, reference="IN-2026-00001")


# --- culling --------------------------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _age(world: World, reference: str, *, processed: datetime, closed: datetime | None = None) -> None:
    with Session(world.engine) as session:
        submission = session.exec(select(Submission).where(col(Submission.reference) == reference)).one()
        submission.received_at = submission.processed_at = submission.updated_at = processed
        if closed is not None:
            submission.step = "avslutad"
            session.add(
                StepChange(
                    submission_id=submission.id or 0,
                    from_step="steg-1",
                    to_step="avslutad",
                    kind="stop",
                    actor="digit@kommun.se",
                    at=closed,
                )
            )
        session.add(submission)
        if closed is not None:
            for attempt in session.exec(select(LoginAttempt)):
                attempt.at = processed
                session.add(attempt)
        session.commit()


def _counts(world: World, now: datetime) -> dict[str, int]:
    return retention.cull(world.engine, world.schedule, now=now).counts


def test_culling_at_the_boundaries_with_a_frozen_clock(world: World) -> None:
    _populate(world)
    _age(world, world.refs["parking"], processed=T0, closed=T0)
    _age(world, world.refs["rooms"], processed=T0 + timedelta(days=400))
    _age(world, world.refs["archive"], processed=T0 + timedelta(days=400))
    minute = timedelta(minutes=1)
    assert (
        retention.cull(
            world.engine, world.schedule, now=T0 + timedelta(days=30) - minute, dry_run=True
        ).counts["raw-mail-after-triage"]
        == 0
    )
    counts = _counts(world, T0 + timedelta(days=30) - minute)
    assert counts["raw-mail-after-triage"] == 0 and counts["login-attempts"] == 0
    counts = _counts(world, T0 + timedelta(days=30) + minute)
    assert counts["raw-mail-after-triage"] == 1 and counts["login-attempts"] == 1
    with Session(world.engine) as session:
        mail = session.exec(select(InboundMail)).one()
    assert (mail.raw, mail.text, mail.attachments) == (b"", None, []) and mail.sender == EMAIL, (
        "bytes go, the record stays"
    )
    counts = _counts(world, T0 + timedelta(days=90) + minute)
    assert counts["masking-map-after-close"] == 1 and counts["follow-link-after-close"] == 1
    assert _counts(world, T0 + timedelta(days=730) - minute)["submission-after-close"] == 0
    report = retention.cull(world.engine, world.schedule, now=T0 + timedelta(days=730) + minute)
    assert report.counts["submission-after-close"] == 1 and report.counts["gap-question-after-close"] == 1
    assert report.counts["draft-after-close"] == 1, (
        "the draft is anonymised although its map was culled before"
    )
    again = _counts(world, T0 + timedelta(days=730) + minute)
    assert again["draft-after-close"] == 0 and again["submission-after-close"] == 0, "each record once"
    parking = submission(world.engine, world.refs["parking"])
    assert parking is not None and parking.anonymised_at is not None and parking.submitter_email is None
    rooms = submission(world.engine, world.refs["rooms"])
    assert rooms is not None and rooms.submitter_email == EMAIL, (
        "an open item is not culled by the closed rule"
    )
    retention.record_run(world.engine, report, world.schedule)
    with Session(world.engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "privacy.cull")).one()
    assert event.changes["counts"]["submission-after-close"] == 1
    assert event.changes["sources"]["submission-after-close"].startswith("DHP DigIT 3.1")
    assert not [s for s in SECRETS if s.lower() in str(event.changes).lower()]
    # the anonymised text replaced the original in the index at the next sync
    world.similarity.sync()
    doc = world.index.get_documents([submission_key(parking.reference)])[submission_key(parking.reference)]
    assert PNR not in doc.body and SURNAME not in doc.body


def test_audit_events_are_anonymised_after_three_years(world: World) -> None:
    _populate(world, triage=False)
    with Session(world.engine) as session:
        for event in session.exec(select(AuditEvent)):
            event.at = T0
            session.add(event)
        session.commit()
    assert _counts(world, T0 + timedelta(days=1095) - timedelta(minutes=1))["audit-events"] == 0
    assert _counts(world, T0 + timedelta(days=1095) + timedelta(minutes=1))["audit-events"] > 0
    with Session(world.engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.entity_kind != "privacy")).all()
    assert events and all(e.actor == "anonymiserad" and e.changes == {} for e in events)


# --- backups --------------------------------------------------------------------------------------


def test_a_restore_erases_again_what_was_erased_after_the_backup(world: World, tmp_path: Path) -> None:
    _populate(world)
    folder = tmp_path / "backups"
    made = backup.backup(world.engine, folder, world.schedule.backup_days())
    assert made.manifest.database == world.engine.dialect.name and made.path.parent == folder
    with pytest.raises(backup.BackupError, match="is a backup itself"):
        backup.backup(world.engine, made.path)
    _erase(world)
    result = backup.restore(world.engine, folder, world.schedule)  # the newest backup in the folder
    assert result["backup"] == str(made.path)
    assert result["erasures_carried"] == 1 and result["reapplied"] >= 2
    world.similarity.rebuild()
    assert _leaks(world) == []
    archive = submission(world.engine, world.refs["archive"])
    assert archive is not None and archive.raw_text == ARCHIVE, "the rest of the backup is back"
    with Session(world.engine) as session:
        assert len(session.exec(select(Erasure)).all()) == 1


def test_backups_age_out_by_the_schedule(world: World, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    (folder / "notes").mkdir(parents=True)  # not a backup: never touched
    days = world.schedule.backup_days()
    assert days == 35
    old = backup.backup(world.engine, folder, days, now=T0)
    kept = backup.backup(world.engine, folder, days, now=T0 + timedelta(days=days - 1))
    assert kept.pruned == [] and old.path.is_dir()
    newest = backup.backup(world.engine, folder, days, now=T0 + timedelta(days=days, minutes=1))
    assert newest.pruned == [old.path] and not old.path.exists()
    assert sorted(p.name for p in folder.iterdir()) == sorted(["notes", kept.path.name, newest.path.name])
