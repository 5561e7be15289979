"""Duplicate decisions, merge and undo on SQLite and PostgreSQL: texts and submitters stay, undo restores."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.domain.duplicates import Decision, ItemKind
from intake.domain.process import load_process
from intake.domain.submission import Channel, NewSubmission
from intake.drafting.checklists import load_checklists
from intake.models import AuditEvent, DuplicateCandidate, StepChange, Submission
from intake.services import merging, submissions, workflow
from intake.settings import Settings

# the items here name the portfolio initiative 22-04 as a possible duplicate, or merge into it
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("initiative")]

PROCESS = load_process()
CHECKLISTS = load_checklists()
TEXT_A = "Skolan behöver boka skolans lokaler för föreningar på kvällarna, i dag sker det med papper."
TEXT_B = "Föreningar vill boka skolans lokaler för föreningar på kvällarna direkt i en app."


def _submit(engine: Engine, settings: Settings, text: str, name: str, step: str = "steg-1") -> str:
    new = NewSubmission(text=text, channel=Channel.WEB, submitter_name=name, submitter_email=None)
    accepted = submissions.accept(engine, new, settings.intake, actor="test")
    with Session(engine) as session:
        row = session.get(Submission, accepted.id)
        assert row is not None
        row.step = step
        session.add(row)
        session.commit()
    return accepted.reference


def _candidate(engine: Engine, reference: str, other: str, decision: Decision = Decision.PENDING) -> None:
    kind = ItemKind.SUBMISSION if other.startswith("IN-") else ItemKind.PORTFOLIO
    with Session(engine) as session:
        session.add(
            DuplicateCandidate(
                submission_id=_submission_id(engine, reference),
                other_kind=kind,
                other_key=other,
                score=0.91,
                parts={"dense": 0.93, "lexical": 0.71},
                reason="Gemensamma avsnitt: »boka skolans lokaler för föreningar på kvällarna».",
                decision=decision,
                decided_by="earlier@kommun.se" if decision != Decision.PENDING else None,
            )
        )
        session.commit()


def _pair(engine: Engine, settings: Settings) -> tuple[str, str]:
    a = _submit(engine, settings, TEXT_A, "Anna Andersson")
    b = _submit(engine, settings, TEXT_B, "Bertil Berg")
    _candidate(engine, b, a)
    _candidate(engine, b, "22-04")
    return a, b


def _row(engine: Engine, reference: str) -> Submission:
    with Session(engine) as session:
        return session.exec(select(Submission).where(col(Submission.reference) == reference)).one()


def _submission_id(engine: Engine, reference: str) -> int:
    """The database id of the submission `reference`, for rows that point at it."""
    found = _row(engine, reference).id
    assert found is not None
    return found


def _decision(engine: Engine, reference: str, other: str) -> DuplicateCandidate:
    with Session(engine) as session:
        row = _row(engine, reference)
        return session.exec(
            select(DuplicateCandidate)
            .where(col(DuplicateCandidate.submission_id) == row.id)
            .where(col(DuplicateCandidate.other_key) == other)
        ).one()


def _actions(engine: Engine, reference: str) -> list[str]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(AuditEvent.action)
                .where(col(AuditEvent.entity_key) == reference)
                .order_by(col(AuditEvent.id))
            ).all()
        )


def _merge(engine: Engine, reference: str, into: str, actor: str = "sara@kommun.se") -> StepChange:
    return merging.merge(
        engine, reference, into, actor, process=PROCESS, checklists=CHECKLISTS, note="samma behov"
    )


def test_link_marks_related_and_no_longer_blocks_the_next_step(engine: Engine, settings: Settings) -> None:
    a, b = _pair(engine, settings)
    merging.decide(engine, b, "22-04", Decision.DISMISSED, "sara@kommun.se")
    with pytest.raises(workflow.TransitionRefused, match=a):
        workflow.move(
            engine, b, "steg-2", "sara@kommun.se", process=load_process(), checklists=load_checklists()
        )  # the pending candidate blocks
    linked = merging.link(engine, b, a.lower(), "sara@kommun.se", note="  samma skola, annat behov ")
    assert linked.decision == Decision.LINKED and _decision(engine, b, a).decided_by == "sara@kommun.se"
    workflow.move(
        engine, b, "steg-2", "sara@kommun.se", process=load_process(), checklists=load_checklists()
    )  # linked counts as resolved
    assert _row(engine, b).step == "steg-2"
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "duplicate.linked")).one()
    assert event.note == "samma skola, annat behov" and event.changes["decision"] == ["pending", "linked"]


def test_a_decision_needs_a_real_choice_and_a_known_candidate(engine: Engine, settings: Settings) -> None:
    _, b = _pair(engine, settings)
    with pytest.raises(merging.MergeError, match="confirm, dismiss or link"):
        merging.decide(engine, b, "22-04", Decision.PENDING, "sara@kommun.se")
    with pytest.raises(workflow.SubmissionNotFound):
        merging.link(engine, b, "99-99", "sara@kommun.se")
    with pytest.raises(workflow.SubmissionNotFound):
        merging.link(engine, "IN-1999-00001", "22-04", "sara@kommun.se")


def test_merge_keeps_both_texts_and_submitters_and_lists_the_item_at_the_target(
    engine: Engine, settings: Settings
) -> None:
    a, b = _pair(engine, settings)
    before_a, before_b = _row(engine, a), _row(engine, b)
    change = _merge(engine, b, a)
    assert (change.kind, change.from_step, change.to_step) == ("merge", "steg-1", "sammanslagen")
    assert (change.merged_into_kind, change.merged_into_key, change.reason) == (
        ItemKind.SUBMISSION,
        a,
        "samma behov",
    )
    after_a, after_b = _row(engine, a), _row(engine, b)
    assert after_b.step == "sammanslagen" and after_a.step == "steg-1"
    for old, new in ((before_a, after_a), (before_b, after_b)):
        assert (new.raw_text, new.title, new.submitter_name) == (old.raw_text, old.title, old.submitter_name)
    assert _decision(engine, b, a).decision == Decision.CONFIRMED
    here = merging.merged_into_here(engine, a.lower())
    assert [(m.reference, m.submitter_name, m.merged_by) for m in here] == [
        (b, "Bertil Berg", "sara@kommun.se")
    ]
    assert merging.merged_into_here(engine, b) == []
    assert _actions(engine, b)[-3:] == ["submission.moved", "duplicate.confirmed", "submission.merged"]
    # while merged, the candidates are part of the merge: decisions wait for an undo
    with pytest.raises(merging.MergeError, match="undo the merge first"):
        merging.decide(engine, b, "22-04", Decision.DISMISSED, "sara@kommun.se")
    with pytest.raises(workflow.TransitionRefused, match="no merge from sammanslagen"):
        _merge(engine, b, "22-04")
    with pytest.raises(workflow.TransitionRefused, match="already merged"):
        _merge(engine, a, b)


def test_merge_into_a_portfolio_initiative(engine: Engine, settings: Settings) -> None:
    _, b = _pair(engine, settings)
    _merge(engine, b, "22-04")
    assert [m.reference for m in merging.merged_into_here(engine, "22-04")] == [b]
    assert _decision(engine, b, "22-04").decision == Decision.CONFIRMED


def test_undo_restores_the_step_and_the_decision_as_it_was(engine: Engine, settings: Settings) -> None:
    a = _submit(engine, settings, TEXT_A, "Anna Andersson")
    b = _submit(engine, settings, TEXT_B, "Bertil Berg", step="steg-2")
    _candidate(engine, b, a, decision=Decision.DISMISSED)
    dismissed = _decision(engine, b, a)
    _merge(engine, b, a)
    assert _decision(engine, b, a).decision == Decision.CONFIRMED
    back = merging.undo_merge(engine, b, "olle@kommun.se")
    assert (back.kind, back.from_step, back.to_step, back.reason) == (
        "undo-merge",
        "sammanslagen",
        "steg-2",
        "ångrad sammanslagning",
    )
    assert _row(engine, b).step == "steg-2"
    restored = _decision(engine, b, a)
    assert (restored.decision, restored.decided_by, restored.decided_at) == (
        Decision.DISMISSED,
        "earlier@kommun.se",
        dismissed.decided_at,
    )
    assert merging.merged_into_here(engine, a) == []
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "submission.unmerged")).one()
    assert event.actor == "olle@kommun.se" and event.changes["step"] == ["sammanslagen", "steg-2"]
    assert event.changes["decision"] == ["confirmed", "dismissed"]


def test_undo_of_a_pending_candidate_makes_it_pending_again(engine: Engine, settings: Settings) -> None:
    a, b = _pair(engine, settings)
    _merge(engine, b, a)
    merging.undo_merge(engine, b, "olle@kommun.se")
    again = _decision(engine, b, a)
    assert (again.decision, again.decided_by, again.decided_at) == (Decision.PENDING, None, None)


def test_undo_is_refused_when_not_merged_or_moved_since(engine: Engine, settings: Settings) -> None:
    a, b = _pair(engine, settings)
    with pytest.raises(merging.MergeError, match="not merged"):
        merging.undo_merge(engine, b, "olle@kommun.se")
    _merge(engine, b, a)
    merging.undo_merge(engine, b, "olle@kommun.se")
    with pytest.raises(merging.MergeError, match="not merged"):
        merging.undo_merge(engine, b, "olle@kommun.se")  # undone already
    # merged, then another move: the merge is no longer the latest move, so it stays
    _merge(engine, b, a)
    with Session(engine) as session:
        session.add(
            StepChange(
                submission_id=_submission_id(engine, b),
                from_step="sammanslagen",
                to_step="sammanslagen",
                kind="note",
                actor="admin",
            )
        )
        session.commit()
    with pytest.raises(merging.MergeError, match="has moved since the merge"):
        merging.undo_merge(engine, b, "olle@kommun.se")
    assert _row(engine, b).step == "sammanslagen"


def test_two_merges_at_once_only_one_succeeds(engine: Engine, settings: Settings) -> None:
    a, b = _pair(engine, settings)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(into: str) -> None:
        barrier.wait()
        try:
            _merge(engine, b, into, actor=f"{into}@kommun.se")
            result = "merged"
        except workflow.TransitionRefused as exc:
            result = "refused: " + str(exc)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(key,)) for key in (a, "22-04")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(o.split(":")[0] for o in outcomes) == ["merged", "refused"], outcomes
    with Session(engine) as session:
        row = _row(engine, b)
        merges = session.exec(
            select(StepChange)
            .where(col(StepChange.submission_id) == row.id)
            .where(col(StepChange.kind) == "merge")
        ).all()
        events = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "submission.merged")).all()
    assert len(merges) == 1 and len(events) == 1 and row.step == "sammanslagen"
    winner = merges[0].merged_into_key
    assert winner is not None
    loser = "22-04" if winner == a else a
    assert _decision(engine, b, winner).decision == Decision.CONFIRMED
    assert _decision(engine, b, loser).decision == Decision.PENDING, "the refused merge left nothing behind"


def test_two_undos_at_once_only_one_succeeds(engine: Engine, settings: Settings) -> None:
    a, b = _pair(engine, settings)
    _merge(engine, b, a)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            merging.undo_merge(engine, b, "olle@kommun.se")
            outcomes.append("undone")
        except (workflow.TransitionRefused, merging.MergeError):
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused", "undone"]
    with Session(engine) as session:
        undos = session.exec(select(StepChange).where(col(StepChange.kind) == "undo-merge")).all()
    assert len(undos) == 1 and _row(engine, b).step == "steg-1"


def test_the_panel_shows_score_parts_judge_decision_and_merge_in_both_languages(
    engine: Engine, settings: Settings
) -> None:
    from intake.services.similarity import SimilarityService
    from intake.web.review.duplicates import load_panel
    from intake.web.state import AppServices

    services = AppServices(
        settings=settings,
        engine=engine,
        similarity=SimilarityService.from_settings(settings, engine),  # built, never loaded here
        process=PROCESS,
    )
    a, b = _pair(engine, settings)
    with Session(engine) as session:
        row = session.exec(select(DuplicateCandidate).where(col(DuplicateCandidate.other_key) == a)).one()
        row.judge_verdict, row.judge_reason = "duplicate", "Samma behov."
        session.add(row)
        session.commit()
    sv = load_panel(services, b.lower(), "sv")
    first = sv.candidates[0]
    assert (sv.reference, first.key, first.score) == (b, a, "0,91")
    assert first.parts == [("Semantisk likhet", "0,93"), ("Textlikhet", "0,71")]
    assert (first.judge, first.judge_reason, first.decision_text) == (
        "dubblett",
        "Samma behov.",
        "Väntar på beslut",
    )
    assert first.can_merge and first.can_decide and sv.merged is None
    assert any(s.shared == "passage" for s in first.item.segments + first.other.segments)
    assert first.other.submitter == "Inskickat av Anna Andersson" and first.other.href == f"/review/items/{a}"
    _merge(engine, b, a)
    en = load_panel(services, b, "en", done="merge")
    assert en.notice() == "The item is merged. You can undo it below." and en.notice("bogus") is None
    assert en.merged is not None and en.merged.undo_url == f"/review/items/{b}/unmerge"
    assert en.merged.text.startswith(f"This item was merged into {a} by sara@kommun.se")
    assert not any(c.can_merge or c.can_decide for c in en.candidates)
    assert en.candidates[0].decision_text.startswith("Confirmed duplicate, by sara@kommun.se")
    target = load_panel(services, a, "sv")
    assert [m.text for m in target.merged_here] == [f"{b} (Bertil Berg)"]
    with pytest.raises(workflow.SubmissionNotFound):
        load_panel(services, "IN-1999-00001", "sv")
