"""Moves and decisions on SQLite and PostgreSQL: guards, overrides, audit trail, merges and the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.domain.drafts import DraftState
from intake.domain.duplicates import Decision, ItemKind
from intake.domain.process import load_process
from intake.domain.submission import Channel, NewSubmission
from intake.drafting.checklists import load_checklists
from intake.models import AuditEvent, Draft, DuplicateCandidate, StepChange, Submission
from intake.services import submissions, workflow
from intake.settings import Settings
from tests.server import cli

# the items here name the portfolio initiative 22-04 as a possible duplicate, or merge into it
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("initiative"), pytest.mark.calendar]

ALL_COVERED = [
    {"checklist_id": "uppstartsmote", "item_id": "tidsplan", "status": "covered"},
    {"checklist_id": "uppstartsmote", "item_id": "deltagare", "status": "missing"},  # not mandatory
]
OPEN_GAP = {"checklist_id": "uppstartsmote", "item_id": "nyttor-och-effekter", "status": "missing"}

SHIPPED = {"process": load_process(), "checklists": load_checklists()}
"""The shipped process and checklists, passed as the configured ones (there is no default)."""


def _item(
    engine: Engine,
    settings: Settings,
    *,
    step: str = "steg-0",
    initiative_type: str | None = None,
    shared_infrastructure: str = "no",
    gaps: list[dict[str, Any]] | None = None,
    duplicates: tuple[str, ...] = (),
) -> str:
    """Store a submission with a draft and duplicate candidates, placed in `step` as an import would."""
    new = NewSubmission(
        text="Vi behöver utreda digital ansökan om parkeringstillstånd för boende.",
        channel=Channel.WEB,
        submitter_name="Anna Andersson",
    )
    accepted = submissions.accept(engine, new, settings.intake, actor="test")
    with Session(engine) as session:
        row = session.get(Submission, accepted.id)
        assert row is not None and row.id is not None
        row.step = step
        content = {
            "initiative_type": {
                "value": initiative_type,
                "basis": "inferred" if initiative_type else "empty",
            },
            "shared_infrastructure": {"value": shared_infrastructure, "basis": "inferred"},
        }
        session.add(row)
        session.add(
            Draft(
                submission_id=row.id,
                state=DraftState.RULES_ONLY,
                content=content,
                gaps=ALL_COVERED if gaps is None else gaps,
                masked_text=row.raw_text,
            )
        )
        for key in duplicates:
            kind = ItemKind.SUBMISSION if key.startswith("IN-") else ItemKind.PORTFOLIO
            session.add(
                DuplicateCandidate(
                    submission_id=row.id, other_kind=kind, other_key=key, score=0.9, reason="r"
                )
            )
        session.commit()
    return accepted.reference


def _step(engine: Engine, reference: str) -> str:
    found = submissions.get_by_reference(engine, reference)
    assert found is not None
    return found.step


def _events(engine: Engine, reference: str, action: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(col(AuditEvent.entity_key) == reference)
                .where(col(AuditEvent.action) == action)
                .order_by(col(AuditEvent.id))
            ).all()
        )


def test_a_move_changes_the_step_and_writes_history_and_audit(engine: Engine, settings: Settings) -> None:
    reference = _item(engine, settings)
    before = submissions.get_by_reference(engine, reference)
    assert before is not None

    moved = workflow.move(engine, reference.lower(), "steg-1", "digit:karin", **SHIPPED)

    assert moved.step == "steg-1" == _step(engine, reference)
    assert moved.updated_at > before.updated_at  # the index picks up the new step
    [change] = workflow.history(engine, reference)
    assert (change.from_step, change.to_step, change.kind, change.actor) == (
        "steg-0",
        "steg-1",
        "forward",
        "digit:karin",
    )
    [event] = _events(engine, reference, "submission.moved")
    assert event.actor == "digit:karin"
    assert event.changes["step"] == ["steg-0", "steg-1"] and event.changes["override"] is False


def test_an_illegal_move_changes_nothing_and_says_why(engine: Engine, settings: Settings) -> None:
    reference = _item(engine, settings)
    with pytest.raises(workflow.TransitionRefused, match="möjliga: steg-1") as refused:
        workflow.move(engine, reference, "steg-3", "digit:karin", **SHIPPED)
    assert "Formulera och utforska behov (steg-0)" in str(refused.value)
    assert "the move from Formulate and explore the need (steg-0)" in str(refused.value)
    assert _step(engine, reference) == "steg-0"
    assert workflow.history(engine, reference) == []
    assert _events(engine, reference, "submission.moved") == []
    with pytest.raises(workflow.SubmissionNotFound):
        workflow.move(engine, "IN-1999-00001", "steg-1", "digit:karin", **SHIPPED)


def test_duplicates_must_be_resolved_before_an_item_leaves_step_1(engine: Engine, settings: Settings) -> None:
    reference = _item(engine, settings, step="steg-1", duplicates=("22-04",))
    with pytest.raises(workflow.TransitionRefused, match="22-04"):
        workflow.move(engine, reference, "steg-2", "digit:karin", override=True, reason="bråttom", **SHIPPED)
    [option] = [c for c in workflow.allowed_moves(engine, reference, **SHIPPED) if c.target == "steg-2"]
    assert [b.code for b in option.blockers] == ["duplicates_resolved"]

    candidate = workflow.resolve_duplicate(engine, reference, "22-04", Decision.DISMISSED, "digit:karin")
    assert candidate.decision == Decision.DISMISSED and candidate.decided_by == "digit:karin"
    assert workflow.move(engine, reference, "steg-2", "digit:karin", **SHIPPED).step == "steg-2"
    assert _events(engine, reference, "duplicate.dismissed")


def test_going_on_from_losningsforum_takes_a_prestudy_past_arkitektforum(
    engine: Engine, settings: Settings
) -> None:
    prestudy = _item(engine, settings, step="steg-1", initiative_type="forstudie")
    procurement = _item(engine, settings, step="steg-1", initiative_type="upphandling")
    on_shared = _item(
        engine, settings, step="steg-1", initiative_type="forstudie", shared_infrastructure="yes"
    )

    assert (
        workflow.decide(engine, prestudy, "losningsforum", "gå vidare", "forum:lf", **SHIPPED).step
        == "steg-3"
    )
    assert (
        workflow.decide(engine, procurement, "losningsforum", "go-on", "forum:lf", **SHIPPED).step == "steg-2"
    )
    assert (
        workflow.decide(engine, on_shared, "losningsforum", "go-on", "forum:lf", **SHIPPED).step == "steg-2"
    )

    [change] = workflow.history(engine, prestudy)
    assert (change.kind, change.forum, change.decision, change.actor) == (
        "shortcut",
        "losningsforum",
        "go-on",
        "forum:lf",
    )
    [decided] = _events(engine, prestudy, "submission.decided")
    assert decided.actor == "forum:lf"
    assert decided.changes == {"forum": "losningsforum", "decision": "go-on", "step": ["steg-1", "steg-3"]}
    [moved] = _events(engine, prestudy, "submission.moved")
    assert moved.changes["decision"] == "go-on" and moved.note == "Beslut i Lösningsforum: Gå vidare"


def test_a_decision_needs_the_item_in_the_forums_step(engine: Engine, settings: Settings) -> None:
    reference = _item(engine, settings, step="steg-2")
    with pytest.raises(workflow.TransitionRefused, match="not in the forum's step"):
        workflow.decide(engine, reference, "losningsforum", "go-on", "forum:lf", **SHIPPED)
    with pytest.raises(workflow.TransitionRefused, match="unknown decision"):
        workflow.decide(engine, reference, "arkitektforum", "avslå", "forum:af", **SHIPPED)
    assert _events(engine, reference, "submission.decided") == []


def test_open_mandatory_gaps_need_an_override_with_a_reason(engine: Engine, settings: Settings) -> None:
    reference = _item(engine, settings, step="fardigberedd", gaps=[*ALL_COVERED, OPEN_GAP])
    with pytest.raises(workflow.TransitionRefused, match="nyttor-och-effekter"):
        workflow.move(engine, reference, "klar-for-beslut", "digit:karin", **SHIPPED)
    with pytest.raises(workflow.TransitionRefused, match="an override needs a reason"):
        workflow.move(engine, reference, "klar-for-beslut", "digit:karin", override=True, **SHIPPED)

    reason = "IT-direktören vill ta ställning före budgetbeslutet"
    workflow.move(
        engine, reference, "klar-for-beslut", "digit:karin", override=True, reason=reason, **SHIPPED
    )

    [change] = workflow.history(engine, reference)
    assert change.override and change.overridden == ["no_open_mandatory_gaps"] and change.reason == reason
    [event] = _events(engine, reference, "submission.moved")
    assert event.note == reason
    assert event.changes["override"] is True and event.changes["overridden"] == ["no_open_mandatory_gaps"]


def test_a_paused_item_resumes_in_the_step_it_left(engine: Engine, settings: Settings) -> None:
    reference = _item(engine, settings, step="steg-2")
    with pytest.raises(workflow.TransitionRefused, match="needs a reason"):
        workflow.move(engine, reference, "pausad", "digit:karin", **SHIPPED)
    workflow.move(engine, reference, "pausad", "digit:karin", reason="väntar på upphandling", **SHIPPED)
    assert [c.target for c in workflow.allowed_moves(engine, reference, **SHIPPED)] == [
        "steg-2",
        "avslutad",
        "sammanslagen",
    ]
    assert workflow.move(engine, reference, "steg-2", "digit:karin", **SHIPPED).step == "steg-2"
    # A forum's decision is its own reason.
    assert (
        workflow.decide(engine, reference, "arkitektforum", "pausa", "forum:af", **SHIPPED).step == "pausad"
    )
    assert workflow.move(engine, reference, "steg-2", "digit:karin", **SHIPPED).step == "steg-2"
    assert [c.kind for c in workflow.history(engine, reference)] == ["pause", "resume", "pause", "resume"]


def test_a_merge_keeps_both_items_and_records_the_link(engine: Engine, settings: Settings) -> None:
    target = _item(engine, settings, step="steg-1")
    reference = _item(engine, settings, step="steg-1", duplicates=(target, "22-04"))

    with pytest.raises(workflow.TransitionRefused, match="merge needs the item"):
        workflow.decide(engine, reference, "losningsforum", "merge", "forum:lf", **SHIPPED)
    with pytest.raises(workflow.TransitionRefused, match="cannot merge into itself"):
        workflow.decide(
            engine, reference, "losningsforum", "merge", "forum:lf", merge_into=reference, **SHIPPED
        )
    with pytest.raises(workflow.TransitionRefused, match="no submission or portfolio initiative"):
        workflow.decide(
            engine,
            reference,
            "losningsforum",
            "slå ihop",
            "forum:lf",
            merge_into="IN-1999-00009",
            **SHIPPED,
        )
    with pytest.raises(workflow.TransitionRefused, match="only a merge has a target"):
        workflow.decide(engine, reference, "losningsforum", "pause", "forum:lf", merge_into=target, **SHIPPED)

    merged = workflow.decide(
        engine,
        reference,
        "losningsforum",
        "slå ihop",
        "forum:lf",
        note="samma behov",
        merge_into=target.lower(),
        **SHIPPED,
    )

    assert merged.step == "sammanslagen" and _step(engine, target) == "steg-1"
    with Session(engine) as session:
        rows = session.exec(
            select(Submission).where(col(Submission.reference).in_([reference, target]))
        ).all()
        assert {r.submitter_name for r in rows} == {"Anna Andersson"} and len(rows) == 2
        candidates = {
            c.other_key: c.decision
            for c in session.exec(select(DuplicateCandidate).where(col(DuplicateCandidate.other_key) != ""))
        }
    assert candidates == {target: Decision.CONFIRMED, "22-04": Decision.PENDING}
    [change] = workflow.history(engine, reference)
    assert (change.merged_into_kind, change.merged_into_key) == (ItemKind.SUBMISSION, target)
    [decided] = _events(engine, reference, "submission.decided")
    assert decided.changes["merged_into"] == f"submission:{target}" and decided.note == "samma behov"
    other = _item(engine, settings, step="steg-1")
    with pytest.raises(workflow.TransitionRefused, match="already merged"):
        workflow.decide(engine, other, "losningsforum", "merge", "forum:lf", merge_into=reference, **SHIPPED)


def test_a_merge_into_a_portfolio_initiative(engine: Engine, settings: Settings) -> None:
    reference = _item(engine, settings, step="steg-2")
    workflow.decide(engine, reference, "arkitektforum", "merge", "forum:af", merge_into="22-04", **SHIPPED)
    with Session(engine) as session:
        change = session.exec(select(StepChange).where(col(StepChange.merged_into_key) == "22-04")).one()
    assert change.merged_into_kind == ItemKind.PORTFOLIO and change.to_step == "sammanslagen"


def test_the_cli_moves_decides_and_explains(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    env = {"BEREDNING_DATA_DIR": str(tmp_path), "BEREDNING_DATABASE__URL": settings.database_url}
    reference = _item(engine, settings, step="steg-1", initiative_type="forstudie", duplicates=("22-04",))

    shown = cli(["moves", reference], env)
    assert shown.returncode == 0, shown.stderr
    assert "är i / is in Lösningsforum (steg-1)" in shown.stdout
    assert "-> Arkitektforum (steg-2) [forward]: spärrad / blocked" in shown.stdout
    assert "possible duplicates await confirmation or dismissal: 22-04" in shown.stdout

    refused = cli(["move", reference, "--to", "steg-2", "--as", "digit:karin"], env)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "Error: " in refused.stderr and "nekas / the move" in refused.stderr and "22-04" in refused.stderr

    dismissed = cli(["duplicate", reference, "22-04", "--dismiss", "--as", "digit:karin"], env)
    assert dismissed.returncode == 0, dismissed.stderr

    decided = cli(
        ["decide", reference, "--forum", "Lösningsforum", "--decision", "gå vidare", "--as", "it:lf"], env
    )
    assert decided.returncode == 0, decided.stderr
    assert "Gå vidare, Lösningsforum (steg-1) -> Slutberedning och planering (steg-3)" in decided.stdout

    back = cli(["move", reference, "--to", "Lösningsforum", "--reason", "omtag", "--as", "digit:karin"], env)
    assert back.returncode == 0, back.stderr
    assert _step(engine, reference) == "steg-1"
    assert [e.actor for e in _events(engine, reference, "submission.moved")] == ["it:lf", "digit:karin"]

    for args in (
        ["move", "IN-1999-00001", "--to", "steg-1"],
        ["decide", reference, "--forum", "x", "--decision", "y"],
    ):
        result = cli(args, env)
        assert result.returncode == 1 and "Traceback" not in result.stderr and "Error: " in result.stderr


def test_a_move_made_meanwhile_by_someone_else_wins(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = _item(engine, settings, step="steg-1")
    read_facts = workflow._facts
    racing: list[str] = []

    def facts_then_someone_else_moves(*args: Any) -> Any:
        facts = read_facts(*args)
        if not racing:  # the other person's move reads facts too, and must not race again
            racing.append("digit:other")
            workflow.move(engine, reference, "pausad", "digit:other", reason="samtidigt", **SHIPPED)
        return facts

    monkeypatch.setattr(workflow, "_facts", facts_then_someone_else_moves)
    with pytest.raises(workflow.TransitionRefused, match="someone else just moved it"):
        workflow.move(engine, reference, "steg-2", "digit:karin", **SHIPPED)
    monkeypatch.undo()
    assert _step(engine, reference) == "pausad"
    assert [(c.actor, c.to_step) for c in workflow.history(engine, reference)] == [("digit:other", "pausad")]
