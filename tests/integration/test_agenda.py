"""Forum agendas on SQLite and PostgreSQL: what is due, order, masking, the CLI, and e-mail over SMTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from intake.agenda import build_agenda, render_html, render_ics, render_markdown
from intake.agenda.ics import unfold
from intake.db import create_db_engine
from intake.domain.drafts import DraftState
from intake.domain.duplicates import Decision, ItemKind
from intake.domain.process import load_process
from intake.drafting.checklists import load_checklists
from intake.migrate import upgrade
from intake.models import Draft as DraftRow
from intake.models import DuplicateCandidate, PortfolioItem
from intake.settings import Settings
from tests.factories import add_submission
from tests.server import cli, free_port
from tests.smtp_sink import SmtpSink

pytestmark = [pytest.mark.integration, pytest.mark.calendar]

MEETING = date(2026, 12, 1)
START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 in Stockholm
PERSONAL = ("Karin", "070-123 45 67", "811218-9876", "Sven Olsson", "Anna Andersson")


def gap(item_id: str, status: str, question: str | None = None, checklist_id: str = "uppstartsmote") -> Any:
    return {
        "checklist_id": checklist_id,
        "item_id": item_id,
        "status": status,
        "evidence": None,
        "question": question,
    }


def content(title: str | None = None, summary: str | None = None, **values: str) -> dict[str, Any]:
    fields = {"title": title, "summary": summary, **values}
    return {k: {"value": v, "basis": "inferred" if v else "empty", "quote": None} for k, v in fields.items()}


@dataclass
class Seeded:
    engine: Engine
    url: str
    data_dir: Path


def _draft(session: Session, submission_id: int, masked: str, body: dict[str, Any], gaps: list[Any]) -> None:
    session.add(
        DraftRow(
            submission_id=submission_id,
            state=DraftState.RULES_ONLY,
            content=body,
            gaps=gaps,
            masked_text=masked,
        )
    )


def _candidate(
    session: Session, submission_id: int, kind: ItemKind, key: str, score: float, decision: Decision
) -> None:
    session.add(
        DuplicateCandidate(
            submission_id=submission_id,
            other_kind=kind,
            other_key=key,
            score=score,
            # shared words come from the unmasked texts: here a first name from two signatures
            reason="Gemensamma ord: parkeringstillstånd, Karin. Textlikhet 0,70.",
            shared_terms=["parkeringstillstånd", "Karin"],
            decision=decision,
        )
    )


@pytest.fixture
def seeded(tmp_path: Path, database_url: str) -> Seeded:
    """Eight submissions around one Lösningsforum meeting; see each comment for its role."""
    engine = create_db_engine(Settings(data_dir=tmp_path, database={"url": database_url}))
    upgrade(engine)
    all_covered = [gap("slutmote", "missing", "När kan ett slutmöte bokas?")]
    with Session(engine) as session:
        session.add(PortfolioItem(nr="22-04", title="SBK Parkeringsstillstånd"))
        session.add(PortfolioItem(nr="22-07", title="Öka takten i e-arkiv"))
        # 1: drafted, nothing mandatory open, no duplicates -> ready, first
        s1 = add_submission(
            session, "IN-2026-00001", "steg-1", START - timedelta(days=10), "Bygglov på webben."
        )
        _draft(
            session,
            s1,
            "Bygglov på webben.",
            content(
                "Boka bygglovsrådgivning",
                "Medborgare bokar rådgivning på webben.",
                initiative_type="e-tjanst",
            ),
            all_covered,
        )
        # 2: the submitter's name and phone in the text; rules-only draft without summary; time plan open
        s2 = add_submission(
            session,
            "IN-2026-00002",
            "steg-1",
            START - timedelta(days=9),
            "Ansökan om parkeringstillstånd ska bli digital. Ring Karin Lundqvist på 070-123 45 67.",
            title="Digital ansökan om parkeringstillstånd",
            submitter_name="Karin Lundqvist",
        )
        _draft(
            session,
            s2,
            "Digital ansökan om parkeringstillstånd\n"
            "Ansökan om parkeringstillstånd ska bli digital. Ring [PERSON_1] på [TELEFON_1].",
            content("Digital ansökan om parkeringstillstånd"),
            [gap("tidsplan", "missing", "När behöver lösningen vara på plats?"), *all_covered],
        )
        # 3: ready by itself, but flagged as a duplicate of 2 (stored on 3's side only): grouped with 2
        s3 = add_submission(
            session, "IN-2026-00003", "steg-1", START - timedelta(days=8), "Parkeringstillstånd."
        )
        _draft(
            session,
            s3,
            "Parkeringstillstånd. Ring [PERSON_1] på [TELEFON_1].",
            content("E-tjänst för parkeringstillstånd", "E-tjänst."),
            [],
        )
        _candidate(session, s3, ItemKind.SUBMISSION, "IN-2026-00002", 0.7626, Decision.PENDING)
        _candidate(session, s3, ItemKind.PORTFOLIO, "22-04", 0.61, Decision.DISMISSED)
        # 4: no draft yet: masked on the fly from the text
        add_submission(
            session,
            "IN-2026-00004",
            "steg-1",
            START - timedelta(days=7),
            "Min granne Sven Olsson (811218-9876) väntade två månader. Det borde gå snabbare! Tredje.",
        )
        # 5: still in step 0: not due, but its draft title shows in 8's warning
        s5 = add_submission(
            session,
            "IN-2026-00005",
            "steg-0",
            START - timedelta(days=20),
            "Text.",
            title="Anna Anderssons idé",
        )
        _draft(session, s5, "[PERSON_1]s idé\nText.", content("Gemensam bokning"), [])
        # 6: at the architecture forum: not due here
        add_submission(session, "IN-2026-00006", "steg-2", START - timedelta(days=6), "Nätverk.")
        # 7: arrived after the meeting started: not due
        add_submission(session, "IN-2026-00007", "steg-1", START + timedelta(minutes=30), "För sent.")
        # 8: nothing mandatory open and a confirmed portfolio duplicate, but a pending one to an item
        #    that is not on this agenda: not ready, and alone (received last, so last)
        s8 = add_submission(session, "IN-2026-00008", "steg-1", START - timedelta(days=6), "E-arkiv.")
        _draft(session, s8, "E-arkiv.", content("Snabbare e-arkiv", "Mer i e-arkivet."), all_covered)
        _candidate(session, s8, ItemKind.PORTFOLIO, "22-07", 0.9, Decision.CONFIRMED)
        _candidate(session, s8, ItemKind.SUBMISSION, "IN-2026-00005", 0.58, Decision.PENDING)
        session.commit()
    return Seeded(engine, database_url, tmp_path)


def test_build_agenda_picks_orders_and_masks(seeded: Seeded) -> None:
    now = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)
    agenda = build_agenda(
        seeded.engine, load_process(), "losningsforum", MEETING, now=now, checklists=load_checklists()
    )
    refs = [i.reference for i in agenda.items]
    assert refs == ["IN-2026-00001", "IN-2026-00002", "IN-2026-00003", "IN-2026-00004", "IN-2026-00008"]
    by_ref = {i.reference: i for i in agenda.items}
    assert [i.reference for i in agenda.ready] == ["IN-2026-00001"]
    assert by_ref["IN-2026-00002"].group == by_ref["IN-2026-00003"].group == 1
    assert by_ref["IN-2026-00008"].group is None

    # the pair shows on both sides; the dismissed portfolio candidate is gone
    (two,) = by_ref["IN-2026-00002"].duplicates
    assert (two.other_key, two.other_title, two.on_agenda, two.decision) == (
        "IN-2026-00003",
        "E-tjänst för parkeringstillstånd",
        True,
        "pending",
    )
    assert [d.other_key for d in by_ref["IN-2026-00003"].duplicates] == ["IN-2026-00002"]
    # the reason in a few words comes from the masked texts: the stored shared words name "Karin"
    assert two.common and all("karin" not in w.casefold() for w in two.common)
    assert "parkeringstillstånd" in {w.casefold() for w in two.common}
    assert not {"person", "telefon"} & {w.casefold() for w in two.common}, "placeholders are not words"
    assert (two_rec := by_ref["IN-2026-00002"].recommendation).action == "merge"
    assert two_rec.other == "IN-2026-00003"
    assert by_ref["IN-2026-00001"].recommendation.action == "decide"
    assert by_ref["IN-2026-00004"].recommendation.grounds == "not_drafted"
    assert by_ref["IN-2026-00001"].link == "/forums/losningsforum/items/IN-2026-00001"
    eight = by_ref["IN-2026-00008"].duplicates
    assert [(d.other_kind, d.other_key, d.other_title, d.decision) for d in eight] == [
        ("portfolio", "22-07", "Öka takten i e-arkiv", "confirmed"),
        ("submission", "IN-2026-00005", "Gemensam bokning", "pending"),
    ]

    # summaries: the draft's, else the masked text's first sentences without the title line
    one, two_item, four = by_ref["IN-2026-00001"], by_ref["IN-2026-00002"], by_ref["IN-2026-00004"]
    assert (one.summary, one.summary_source) == ("Medborgare bokar rådgivning på webben.", "draft")
    assert (
        two_item.summary == "Ansökan om parkeringstillstånd ska bli digital. Ring [PERSON_1] på [TELEFON_1]."
    )
    assert two_item.summary_source == "text" and two_item.title == "Digital ansökan om parkeringstillstånd"
    assert not four.drafted and four.summary_source == "text" and not four.ready
    assert "Sven Olsson" not in four.summary and "811218-9876" not in four.summary
    assert four.summary.endswith("Det borde gå snabbare!")

    # gaps: mandatory with their questions; the rest apart
    assert [(g.item_id, g.mandatory, g.question) for g in two_item.gaps] == [
        ("tidsplan", True, "När behöver lösningen vara på plats?"),
        ("slutmote", False, "När kan ett slutmöte bokas?"),
    ]
    assert [(n.sv, v.sv) for n, v in one.facts] == [("Initiativtyp", "E-tjänst")]
    assert agenda.meeting.start == START and agenda.members

    rendered = (
        render_markdown(agenda),
        render_markdown(agenda, "en"),
        render_html(agenda),
        render_ics(agenda, organizer="beredning@example.org"),
    )
    for text in rendered:
        for value in PERSONAL:
            assert value not in text
        assert "IN-2026-00006" not in text and "IN-2026-00007" not in text and "22-04" not in text


def test_other_forums_and_an_empty_meeting(seeded: Seeded) -> None:
    process = load_process()
    architecture = build_agenda(
        seeded.engine, process, "arkitektforum", date(2026, 12, 3), checklists=load_checklists()
    )
    assert [i.reference for i in architecture.items] == ["IN-2026-00006"]
    assert (
        build_agenda(
            seeded.engine, process, "it-direktor", date(2026, 12, 14), checklists=load_checklists()
        ).items
        == ()
    )
    # a meeting long before the items arrived has nothing due
    assert (
        build_agenda(
            seeded.engine, process, "losningsforum", date(2026, 1, 13), checklists=load_checklists()
        ).items
        == ()
    )


def _env(seeded: Seeded) -> dict[str, str]:
    return {"BEREDNING_DATA_DIR": str(seeded.data_dir / "data"), "BEREDNING_DATABASE__URL": seeded.url}


def test_cli_builds_every_format(seeded: Seeded, tmp_path: Path) -> None:
    env = _env(seeded)
    result = cli(["agenda", "build", "--forum", "losningsforum", "--date", "2026-12-01"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Dagordning: Lösningsforum, tisdag 1 december 2026\n")
    assert "Ärenden: 5 (klara att ta ställning till: 1, behöver beredas mer: 4)." in result.stdout
    assert result.stderr == ""

    ics_file = tmp_path / "möte.ics"
    args = ["agenda", "build", "--forum", "losningsforum", "--date", "2026-12-01", "--format", "ics"]
    result = cli([*args, "--out", str(ics_file), "--sender", "digit@example.org"], env)
    assert result.returncode == 0, result.stderr
    raw = ics_file.read_bytes()
    assert raw.count(b"\r\n") > 20 and b"\r\r\n" not in raw
    lines = unfold(raw.decode("utf-8"))
    assert "DTSTART:20261201T080000Z" in lines
    assert "ORGANIZER;CN=Beredning:mailto:digit@example.org" in lines

    result = cli([*args[:-1], "html", "--lang", "en"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('<!doctype html>\n<html lang="en">')

    # a day without a meeting is built anyway, with a note
    result = cli(["agenda", "build", "--forum", "losningsforum", "--date", "2026-12-02"], env)
    assert result.returncode == 0, result.stderr
    assert "no meeting on 2026-12-02 by its cadence (next: 2026-12-15)" in result.stderr


def test_cli_errors_are_plain(seeded: Seeded) -> None:
    env = _env(seeded)
    result = cli(["agenda", "build", "--forum", "nope", "--date", "2026-12-01"], env)
    assert result.returncode == 2
    assert (
        "Invalid value for '--forum': no forum 'nope'; the process file has: losningsforum" in result.stderr
    )
    assert "Traceback" not in result.stderr
    result = cli(["agenda", "build", "--forum", "losningsforum", "--date", "2026-13-01"], env)
    assert result.returncode == 2 and "'2026-13-01' does not match the format '%Y-%m-%d'" in result.stderr
    result = cli(["agenda", "next", "--forum", "losningsforum", "--after", "2026-11-25", "--count", "2"], env)
    assert (result.returncode, result.stdout) == (0, "2026-12-01\n2026-12-15\n")


def test_send_mails_the_members_with_the_invitation(seeded: Seeded) -> None:
    members = load_process().forums[0].members
    with SmtpSink(refuse={members[-1]}) as sink:
        env = {
            **_env(seeded),
            "BEREDNING_SMTP__HOST": sink.host,
            "BEREDNING_SMTP__PORT": str(sink.port),
            "BEREDNING_SMTP__SENDER": "digit@example.org",
        }
        result = cli(["agenda", "send", "--forum", "losningsforum", "--date", "2026-12-01"], env)
        assert result.returncode == 0, result.stderr
        assert f"to {len(members) - 1}: {', '.join(members[:-1])}" in result.stdout
        (mail,) = sink.messages
        assert mail.mail_from == "digit@example.org"
        assert mail.rcpt_to == members[:-1]
        message = mail.message()
        assert message["Subject"] == "Dagordning Lösningsforum 2026-12-01"
        assert message["To"] == ", ".join(members)
        plain = message.get_body(("plain",))
        assert plain is not None and "### 1. IN-2026-00001: Boka bygglovsrådgivning" in plain.get_content()
        (invitation,) = list(message.iter_attachments())
        assert invitation.get_content_type() == "text/calendar"
        assert invitation.get_param("method") == "REQUEST"
        lines = unfold(invitation.get_content())
        assert "METHOD:REQUEST" in lines and "DTSTART:20261201T080000Z" in lines
        assert [x.rsplit("mailto:", 1)[1] for x in lines if x.startswith("ATTENDEE")] == members
        for value in PERSONAL:
            assert value not in mail.data.decode("utf-8", "replace")

        # options win over the environment; --to replaces the members
        args = ["agenda", "send", "--forum", "losningsforum", "--date", "2026-12-01", "--to", "x@example.org"]
        result = cli([*args, "--sender", "other@example.org"], env)
        assert result.returncode == 0, result.stderr
        assert sink.messages[-1].rcpt_to == ["x@example.org"]
        assert sink.messages[-1].mail_from == "other@example.org"


def test_send_to_a_server_that_is_down_fails_clearly(seeded: Seeded) -> None:
    port = free_port()
    args = ["agenda", "send", "--forum", "losningsforum", "--date", "2026-12-01"]
    result = cli([*args, "--smtp-host", "127.0.0.1", "--smtp-port", str(port)], _env(seeded))
    assert result.returncode == 1
    assert f"could not send the agenda through 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
