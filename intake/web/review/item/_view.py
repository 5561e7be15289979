"""What the item page shows of one submission, shaped from the records `intake.services.review_item`
reads (indexed look-ups only). No web handlers here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from intake.domain.audit import AuditAction
from intake.domain.workflow import Blocker, Check
from intake.drafting.checklists import NEEDS_HUMAN, ChecklistConfig, load_checklists
from intake.locale import N_, Texts, texts
from intake.services import draft_edits, review_item, workflow
from intake.services.draft_edits import FieldKind
from intake.services.review_item import AskedQuestion, AuditEntry, ItemDraft, ItemSubmission, StepMove
from intake.web.review.duplicates import DuplicatesPanel, load_panel
from intake.web.state import AppServices

LONG_TEXT = frozenset({"summary", "need", "current_situation"})

ACTION_TEXTS: Final[dict[str, str]] = {
    AuditAction.DRAFT_STORED: N_("Utkastet sparades av systemet"),
    AuditAction.DRAFT_EDITED: N_("Utkastet ändrades"),
    AuditAction.SUBMISSION_RECEIVED: N_("Ärendet togs emot"),
    AuditAction.SUBMISSION_PROCESSED: N_("Ärendet behandlades"),
    AuditAction.SUBMISSION_PROCESSING_FAILED: N_("Behandlingen misslyckades"),
    AuditAction.SUBMISSION_MOVED: N_("Ärendet flyttades"),
    AuditAction.SUBMISSION_DECIDED: N_("Forumet beslutade"),
    AuditAction.SUBMISSION_JUDGED: N_("Dubblettbedömning"),
    AuditAction.SUBMISSION_REPLY_RECEIVED: N_("Svar från inskickaren"),
    AuditAction.QUESTION_ASKED: N_("Fråga ställd"),
    AuditAction.QUESTION_ANSWERED: N_("Fråga besvarad"),
    AuditAction.DUPLICATE_CONFIRMED: N_("Dubblett bekräftad"),
    AuditAction.DUPLICATE_DISMISSED: N_("Dubblett avfärdad"),
    AuditAction.DUPLICATE_LINKED: N_("Markerat som relaterat"),
    AuditAction.SUBMISSION_MERGED: N_("Ärendet slogs ihop"),
    AuditAction.SUBMISSION_UNMERGED: N_("Sammanslagningen ångrades"),
    AuditAction.SUBMISSION_JUDGE_FAILED: N_("Dubblettbedömningen misslyckades"),
    AuditAction.FOLLOW_ISSUED: N_("Uppföljningslänk skapad"),
    AuditAction.FOLLOW_REVOKED: N_("Uppföljningslänk spärrad"),
    AuditAction.QUESTION_MAILED: N_("Frågan mejlades till inskickaren"),
    AuditAction.QUESTION_MAIL_FAILED: N_("Frågan kunde inte mejlas"),
    AuditAction.SUBMISSION_POSSIBLE_REPLY: N_("Kanske ett svar på ett annat ärende"),
}
"""What the audit trail calls each action; the rest show their stored value."""

FIELD_TEXTS: Final[dict[str, str]] = {
    "title": N_("Rubrik"),
    "summary": N_("Sammanfattning"),
    "kind": N_("Typ av inspel"),
    "initiative_type": N_("Typ av initiativ"),
    "need": N_("Behov eller problem, och för vem"),
    "target_group": N_("Målgrupp"),
    "affected_users": N_("Berörda användare eller roller"),
    "current_situation": N_("Nuläge"),
    "benefits": N_("Nyttor och effekter"),
    "scope_limits": N_("Avgränsningar"),
    "starting_points": N_("Utgångspunkter (beslut, styrdokument)"),
    "dependencies": N_("Beroenden"),
    "stakeholders": N_("Intressenter att förankra hos"),
    "sponsor": N_("Beställare"),
    "focus_area": N_("Fokusområde"),
    "cost_estimate": N_("Uppskattad kostnad"),
    "financing": N_("Finansiering"),
    "time_plan": N_("Tidsplan"),
    "shared_infrastructure": N_("Berör gemensam infrastruktur"),
    "personal_data": N_("Behandlar personuppgifter"),
    "risks": N_("Risker, och vad som händer om inget görs"),
    "open_questions": N_("Öppna frågor till lösningsforum"),
}
"""The draft's fields as the page names them."""

AUDIT_KEY_TEXTS: Final[dict[str, str]] = {
    "state": N_("Utkastets läge"),
    "step": N_("Steg"),
    "kind": N_("Slag"),
    "override": N_("Åsidosatt"),
    "overridden": N_("Åsidosatta spärrar"),
    "channel": N_("Kanal"),
    "gap": N_("Lucka"),
    "question_id": N_("Fråga nr"),
    "candidate": N_("Kandidat"),
    "candidates": N_("Kandidater"),
    "decision": N_("Beslut"),
    "forum": N_("Forum"),
    "model": N_("Modell"),
    "prompt": N_("Promptversion"),
}
"""The keys an audit event's changes name, as the page names them."""


def checklists_of(services: AppServices) -> ChecklistConfig:
    """The configured checklists: the drafting service's, or the file the settings name."""
    if services.drafting is not None:
        return services.drafting.checklists
    return load_checklists(services.settings.checklists_file)


@dataclass(frozen=True)
class FieldView:
    """One draft field: how it is edited and what the stored draft says about its value."""

    name: str
    kind: FieldKind
    basis: str
    quote: str | None
    edited_by: str | None
    edited_at: datetime | None
    options: list[tuple[str, str]]
    long: bool = False

    @property
    def wide(self) -> bool:
        """Whether the field takes the form's full width (long texts, the title, the benefits)."""
        return self.long or self.kind == "benefits" or self.name == "title"


@dataclass(frozen=True)
class GapView:
    """One checklist gap, with the question to ask and the questions asked about it."""

    key: str
    label: str
    status: str
    mandatory: bool
    evidence: str | None
    question: str
    asked: list[AskedQuestion]

    @property
    def is_open(self) -> bool:
        """Whether the submitter still owes the checklist something here."""
        return self.status != "covered"

    @property
    def waiting(self) -> bool:
        """Whether a question about this gap awaits its answer (another may not be asked)."""
        return any(q.answered_at is None for q in self.asked)


@dataclass(frozen=True)
class MoveView:
    """A move the process has from where the item is, and what blocks it now, in the page language."""

    target: str
    label: str
    kind: str
    needs_reason: bool
    blockers: list[tuple[str, bool]]

    @property
    def allowed(self) -> bool:
        """Whether nothing blocks it."""
        return not self.blockers

    @property
    def overridable(self) -> bool:
        """Whether every blocker may be overridden with a reason."""
        return bool(self.blockers) and all(o for _, o in self.blockers)


@dataclass(frozen=True)
class EventView:
    """One audit event as the trail shows it."""

    at: datetime
    actor: str
    action: str
    details: list[str]
    note: str | None


@dataclass
class ItemView:
    """Everything the item page shows of one submission."""

    submission: ItemSubmission
    title: str | None
    step_label: str
    focus_label: str | None
    draft: ItemDraft | None
    fields: list[FieldView]
    gaps: list[GapView]
    other_questions: list[AskedQuestion]
    moves: list[MoveView]
    events: list[EventView]
    history: list[StepMove]
    places: dict[str, str]
    dups: DuplicatesPanel

    @property
    def reference(self) -> str:
        """The item's reference."""
        return self.submission.reference


def load_item(services: AppServices, reference: str, lang: str) -> ItemView | None:
    """Read one item's rows (indexed look-ups only) and shape them for the page; None if unknown."""
    process, engine = services.process, services.engine
    checklists = checklists_of(services)
    _ = texts(lang)
    wanted = reference.strip().upper()
    found = review_item.load_item(engine, wanted)
    if found is None:
        return None
    submission, draft, asked = found.submission, found.draft, found.asked
    checks = workflow.allowed_moves(engine, wanted, process=process, checklists=checklists)
    places = {s.key: s.name.get(lang) for s in process.steps} | {
        s.key: s.name.get(lang) for s in process.transitions.states
    }
    content: dict[str, Any] = draft.content if draft is not None else {}
    options = _options(services, checklists, lang)
    focus = _value(content, "focus_area")
    gaps = _gaps(draft, checklists, asked, lang)
    shown = {g.key for g in gaps if g.is_open}  # questions about covered gaps are listed apart
    return ItemView(
        submission=submission,
        title=submission.title or _value(content, "title"),
        step_label=places.get(submission.step, submission.step),
        focus_label=dict(options["focus_area"]).get(focus, focus) if focus else None,
        draft=draft,
        fields=_fields(content, options) if draft is not None else [],
        gaps=gaps,
        other_questions=[q for q in asked if q.gap_key not in shown],
        moves=[_move_view(c, places, lang) for c in checks],
        events=[_event_view(e, _) for e in found.events],
        history=found.history,
        places=places,
        dups=_duplicates_panel(services, submission.reference, lang),
    )


def _duplicates_panel(services: AppServices, reference: str, lang: str) -> DuplicatesPanel:
    return load_panel(services, reference, lang)


def _value(content: Mapping[str, Any], name: str) -> str | None:
    stored = content.get(name)
    value = stored.get("value") if isinstance(stored, dict) else None
    return value if isinstance(value, str) else None


def _options(
    services: AppServices, checklists: ChecklistConfig, lang: str
) -> dict[str, list[tuple[str, str]]]:
    _ = texts(lang)
    named = {
        "kind": [(c.key, c.name.get(lang)) for c in checklists.kinds],
        "initiative_type": [(c.key, c.name.get(lang)) for c in checklists.initiative_types],
        "focus_area": [(a.key, a.name.get(lang)) for a in services.process.focus_areas],
    }
    options = {
        name: [*choices, (NEEDS_HUMAN, _("Behöver bedömas av en person"))] for name, choices in named.items()
    }
    options["yesno"] = [("yes", _("Ja")), ("no", _("Nej"))]
    return options


def _fields(content: Mapping[str, Any], options: dict[str, list[tuple[str, str]]]) -> list[FieldView]:
    views = []
    for name, kind in draft_edits.field_kinds().items():
        stored = content.get(name) if isinstance(content.get(name), dict) else {}
        assert isinstance(stored, dict)
        edited_at = stored.get("edited_at")
        views.append(
            FieldView(
                name=name,
                kind=kind,
                basis=str(stored.get("basis") or "empty"),
                quote=stored.get("quote"),
                edited_by=stored.get("edited_by"),
                edited_at=datetime.fromisoformat(edited_at) if isinstance(edited_at, str) else None,
                options=options.get("yesno" if kind == "yesno" else name, []),
                long=name in LONG_TEXT,
            )
        )
    return views


def _gaps(
    draft: ItemDraft | None, checklists: ChecklistConfig, asked: list[AskedQuestion], lang: str
) -> list[GapView]:
    views = []
    for gap in draft.gaps if draft is not None else []:
        checklist_id, item_id = str(gap.get("checklist_id")), str(gap.get("item_id"))
        key, status = f"{checklist_id}/{item_id}", str(gap.get("status") or "missing")
        item = checklists.item(checklist_id, item_id)
        suggested = gap.get("question") or (item.ask(status, lang) if item is not None else "")
        views.append(
            GapView(
                key=key,
                label=item.label.get(lang) if item is not None else key,
                status=status,
                mandatory=item is not None and item.mandatory,
                evidence=gap.get("evidence"),
                question=str(suggested or ""),
                asked=[q for q in asked if q.gap_key == key],
            )
        )
    # open gaps first, mandatory before optional; the checklist's order otherwise
    return sorted(views, key=lambda g: (not g.is_open, not g.mandatory))


def _move_view(check: Check, places: dict[str, str], lang: str) -> MoveView:
    kind = check.move.kind if check.move is not None else "forward"
    return MoveView(
        target=check.target,
        label=f"{places.get(check.target, check.target)} ({check.target})",
        kind=kind,
        needs_reason=bool(check.move and check.move.reason),
        blockers=[(blocker_text(b, lang), b.overridable) for b in check.blockers],
    )


def blocker_text(blocker: Blocker, lang: str) -> str:
    return blocker.en if lang == "en" else blocker.sv


def _event_view(event: AuditEntry, _: Texts) -> EventView:
    action = _(ACTION_TEXTS[event.action]) if event.action in ACTION_TEXTS else event.action
    actor = _("systemet") if event.actor == "system" else event.actor
    # a draft edit's keys are draft fields; other events name their own keys (a move's `kind`)
    labels = FIELD_TEXTS if event.action == AuditAction.DRAFT_EDITED else AUDIT_KEY_TEXTS
    details = []
    for key, change in event.changes.items():
        known = labels.get(key) or AUDIT_KEY_TEXTS.get(key)
        label = _(known) if known else key
        if isinstance(change, list) and len(change) == 2:
            details.append(f"{label}: {_show(change[0])} → {_show(change[1])}")
        elif change not in (None, "", [], {}, False):
            details.append(f"{label}: {_show(change)}")
    return EventView(event.at, actor, action, details, event.note)


def _show(value: Any, limit: int = 200) -> str:
    if value is None or value == [] or value == "":
        return "–"
    if isinstance(value, list):
        text = "; ".join(_show(v, limit) for v in value)
    elif isinstance(value, dict):
        text = ", ".join(_show(v, limit) for v in value.values() if v is not None)
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
