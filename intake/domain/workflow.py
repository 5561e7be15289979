"""The workflow rules in one place: which moves an item may make now, and what blocks the others.

The moves, and which guard each needs, are data (`transitions` and `decisions` in process.yaml);
what each guard means is code, here and nowhere else. Everything in this module is pure: the
service gathers what the guards may know about one item (`Facts`) from SQL, and asks `check`.
Every blocker is worded in Swedish and English, because the same text reaches the CLI, the review
page and the error a flow logs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from intake.domain.process import DecisionRule, GuardName, Move, ProcessDefinition, Transitions

COVERED: Final = "covered"
_STATUS_SV: Final = {"partly": "delvis", "missing": "saknas"}


@dataclass(frozen=True)
class GapFact:
    """One checklist gap of the item's draft, and whether its checklist item is mandatory."""

    checklist_id: str
    item_id: str
    status: str
    mandatory: bool


@dataclass(frozen=True)
class Facts:
    """What the guards may know about one item; the service reads it from SQL in the move's transaction."""

    reference: str
    step: str
    has_draft: bool = False
    initiative_type: str | None = None
    shared_infrastructure: str | None = None
    gaps: tuple[GapFact, ...] = ()
    pending_duplicates: tuple[str, ...] = ()
    return_step: str | None = None
    """Where the item was before it entered the state it is in; the target of a resume."""


@dataclass(frozen=True)
class Blocker:
    """One reason why a move cannot be made now: a guard's name or a missing part of the request."""

    code: str
    sv: str
    en: str
    overridable: bool = False

    def __str__(self) -> str:
        mark = (
            " (kan åsidosättas med en anledning / may be overridden with a reason)"
            if self.overridable
            else ""
        )
        return f"{self.sv} / {self.en}{mark}"


@dataclass(frozen=True)
class Check:
    """A move from where the item is, where it leads, and what blocks it now (nothing: allowed)."""

    move: Move | None
    source: str
    target: str
    blockers: tuple[Blocker, ...] = ()
    overridden: tuple[str, ...] = ()
    """The guards a person overrode for this move, with a reason."""

    @property
    def allowed(self) -> bool:
        """Whether the move may be made now."""
        return not self.blockers


class TransitionRefused(Exception):
    """Raised when a move or decision is not allowed; the message lists every blocker, sv and en."""

    def __init__(self, reference: str, sv: str, en: str, blockers: list[Blocker]) -> None:
        self.reference = reference
        self.blockers = blockers
        lines = [f"{reference}: {sv} nekas / {en} refused:", *(f"  - {b}" for b in blockers)]
        super().__init__("\n".join(lines))


Guard = Callable[[Facts, Transitions], tuple[str, str] | None]
"""A guard returns None when it holds, else why not, in Swedish and English."""


def _prestudy_only(facts: Facts, transitions: Transitions) -> tuple[str, str] | None:
    if facts.initiative_type is not None and facts.initiative_type in transitions.prestudy_types:
        return None
    sv_type, en_type = (facts.initiative_type,) * 2 if facts.initiative_type else ("okänd", "unknown")
    return (
        f"bara en förstudie får gå den vägen; utkastets initiativtyp är {sv_type} "
        "(rätta initiativtypen i utkastet om det är en förstudie)",
        f"only a pre-study may take this way; the draft's initiative type is {en_type} "
        "(correct the initiative type in the draft if it is a pre-study)",
    )


def _no_open_mandatory_gaps(facts: Facts, transitions: Transitions) -> tuple[str, str] | None:
    if not facts.has_draft:
        return (
            "det finns inget utkast, så checklistan är inte kontrollerad",
            "there is no draft, so the checklist has not been checked",
        )
    open_gaps = [g for g in facts.gaps if g.mandatory and g.status != COVERED]
    if not open_gaps:
        return None
    sv = ", ".join(f"{g.checklist_id}/{g.item_id} ({_STATUS_SV.get(g.status, g.status)})" for g in open_gaps)
    en = ", ".join(f"{g.checklist_id}/{g.item_id} ({g.status})" for g in open_gaps)
    return f"obligatoriska checklistpunkter är öppna: {sv}", f"mandatory checklist items are open: {en}"


def _duplicates_resolved(facts: Facts, transitions: Transitions) -> tuple[str, str] | None:
    if not facts.pending_duplicates:
        return None
    keys = ", ".join(facts.pending_duplicates)
    return (
        f"möjliga dubbletter väntar på att bekräftas eller avfärdas: {keys}",
        f"possible duplicates await confirmation or dismissal: {keys}",
    )


def _shared_infrastructure_needs_arkitektforum(
    facts: Facts, transitions: Transitions
) -> tuple[str, str] | None:
    if facts.shared_infrastructure != "yes":
        return None
    return (
        "utkastet säger att initiativet berör gemensam infrastruktur, så det ska till Arkitektforum",
        "the draft says the initiative touches shared infrastructure, so it goes to the architecture forum",
    )


GUARDS: Final[dict[GuardName, Guard]] = {
    "prestudy_only": _prestudy_only,
    "no_open_mandatory_gaps": _no_open_mandatory_gaps,
    "duplicates_resolved": _duplicates_resolved,
    "shared_infrastructure_needs_arkitektforum": _shared_infrastructure_needs_arkitektforum,
}
"""Every guard a process file may name (a unit test checks that none is missing)."""


def guard_blockers(process: ProcessDefinition, move: Move, facts: Facts) -> list[Blocker]:
    """Return what the guards of `move` say against it for the item described by `facts`."""
    blockers = []
    for name in move.guards:
        failed = GUARDS[name](facts, process.transitions)
        if failed is not None:
            blockers.append(Blocker(name, *failed, overridable=name in process.transitions.overridable))
    return blockers


def options(process: ProcessDefinition, facts: Facts) -> list[Check]:
    """Return every move from where the item is, with what its guards say against it now.

    Whether a reason or a merge target is needed is on the move itself (`reason`, `kind`); those
    are parts of the request, not blockers, so they are not listed here.
    """
    checks = []
    for move in process.transitions.moves:
        target = facts.return_step if move.kind == "resume" else move.to
        if facts.step in move.sources and target is not None:
            checks.append(Check(move, facts.step, target, tuple(guard_blockers(process, move, facts))))
    return checks


def check(
    process: ProcessDefinition,
    facts: Facts,
    target: str,
    *,
    reason: str | None = None,
    override: bool = False,
    merge_into: str | None = None,
) -> Check:
    """Check the move of the item to `target` as requested; `blockers` is empty when it may be made.

    An override lifts only the blockers of guards the process lists as overridable, and only with
    a reason; the guards it lifted are returned in `overridden` for the audit trail.
    """
    reason = (reason or "").strip() or None
    open_moves = options(process, facts)
    found = [c for c in open_moves if c.target == target]
    if not found:
        return Check(None, facts.step, target, (_no_move(process, facts, target, open_moves),))
    # A resume and a plain move may lead to the same place; the plain move is the one meant.
    option = sorted(found, key=lambda c: c.move is not None and c.move.kind == "resume")[0]
    assert option.move is not None
    blockers = list(option.blockers)
    if option.move.reason and reason is None:
        blockers.append(Blocker("reason", "flytten kräver en anledning", "this move needs a reason"))
    if option.move.kind == "merge" and not merge_into:
        blockers.append(
            Blocker(
                "merge_target",
                "en sammanslagning kräver ärendet den slås ihop med (beslut slå ihop)",
                "a merge needs the item it merges into (a merge decision)",
            )
        )
    if option.move.kind != "merge" and merge_into:
        blockers.append(
            Blocker("merge_target", "bara en sammanslagning har ett mål", "only a merge has a target")
        )
    if override and reason is None:
        blockers.append(Blocker("reason", "att åsidosätta kräver en anledning", "an override needs a reason"))
    overridden: tuple[str, ...] = ()
    if override and reason is not None:
        overridden = tuple(b.code for b in blockers if b.overridable)
        blockers = [b for b in blockers if not b.overridable]
    return Check(option.move, facts.step, target, tuple(blockers), overridden)


def _no_move(process: ProcessDefinition, facts: Facts, target: str, open_moves: list[Check]) -> Blocker:
    try:
        label = process.place_label(target)
    except KeyError:
        known = ", ".join([s.key for s in process.steps] + [s.key for s in process.transitions.states])
        return Blocker(
            "no_move", f"okänt steg {target!r}; kända: {known}", f"unknown step {target!r}; known: {known}"
        )
    if target == facts.step:
        return Blocker("no_move", f"ärendet är redan i {label.sv}", f"the item is already in {label.en}")
    allowed = ", ".join(c.target for c in open_moves) or "-"
    return Blocker(
        "no_move",
        f"processen har ingen flytt från {facts.step} till {target}; möjliga: {allowed}",
        f"the process has no move from {facts.step} to {target}; possible: {allowed}",
    )


def decision_targets(
    process: ProcessDefinition, facts: Facts, forum: str, decision: DecisionRule
) -> list[str]:
    """Return the targets to try, in order, when `forum` makes `decision` on the item.

    Raises:
        TransitionRefused: the item is not in a step of that forum, or the forum cannot decide so.
    """
    step = next((s for s in process.steps if s.key == facts.step), None)
    forum_steps = [s.key for s in process.steps if s.forum == forum]
    heading = (f"beslutet {decision.name.sv} i {forum}", f"the decision {decision.name.en} in {forum}")
    if step is None or step.forum != forum:
        where = ", ".join(forum_steps) or "-"
        raise TransitionRefused(
            facts.reference,
            *heading,
            [
                Blocker(
                    "wrong_forum",
                    f"ärendet är i {facts.step}, inte i forumets steg ({where})",
                    f"the item is in {facts.step}, not in the forum's step ({where})",
                )
            ],
        )
    targets = decision.targets(forum)
    if not targets:
        raise TransitionRefused(
            facts.reference,
            *heading,
            [
                Blocker(
                    "no_move", "forumet kan inte fatta det beslutet", "the forum cannot make that decision"
                )
            ],
        )
    return targets


def refuse_unless_allowed(process: ProcessDefinition, facts: Facts, checks: list[Check]) -> None:
    """Raise with every blocker of every move tried, unless one of them is allowed."""
    if any(c.allowed for c in checks):
        return
    source = _named(process, facts.step)
    if len(checks) == 1:
        target = _named(process, checks[0].target)
        sv, en = f"flytten från {source[0]} till {target[0]}", f"the move from {source[1]} to {target[1]}"
        raise TransitionRefused(facts.reference, sv, en, list(checks[0].blockers))
    blockers = [
        Blocker(b.code, f"till {c.target}: {b.sv}", f"to {c.target}: {b.en}", b.overridable)
        for c in checks
        for b in c.blockers
    ]
    raise TransitionRefused(
        facts.reference, f"flytten från {source[0]}", f"the move from {source[1]}", blockers
    )


def _named(process: ProcessDefinition, key: str) -> tuple[str, str]:
    """Return "Lösningsforum (steg-1)" in Swedish and English, or the bare key when it is unknown."""
    try:
        label = process.place_label(key)
    except KeyError:
        return key, key
    return f"{label.sv} ({key})", f"{label.en} ({key})"


def decision_rule(process: ProcessDefinition, reference: str, forum_key: str, decision: str) -> DecisionRule:
    """Return the decision that `decision` names ("gå vidare", "go-on"); refuse an unknown one or forum."""
    rule = process.match_decision(decision)
    if rule is not None and forum_key in {f.key for f in process.forums}:
        return rule
    if rule is None:
        sv, en, known = (
            "okänt beslut",
            "unknown decision",
            [f"{d.key} ({d.name.sv})" for d in process.decisions],
        )
    else:
        sv, en, known = "okänt forum", "unknown forum", [f.key for f in process.forums]
    raise TransitionRefused(
        reference,
        f"beslutet {decision!r} i {forum_key!r}",
        f"the decision {decision!r} in {forum_key!r}",
        [Blocker("no_move", f"{sv}; kända: {', '.join(known)}", f"{en}; known: {', '.join(known)}")],
    )


def decision_reason(process: ProcessDefinition, forum_key: str, rule: DecisionRule, note: str | None) -> str:
    """Return the reason recorded for a decision's move: the decision itself, with the forum's note."""
    forum = next((f.name.sv for f in process.forums if f.key == forum_key), forum_key)
    stated = f"Beslut i {forum}: {rule.name.sv}"
    return f"{stated}. {note.strip()}" if note and note.strip() else stated
