"""Build a forum's agenda from the database: which items are due, in which order, with what.

**Due** means: the submission stands, when the agenda is built, in a step whose forum is this
forum, and it arrived before the meeting starts (before the meeting day when the forum has no
cadence). The agenda is a snapshot of now; building it for a past date does not reconstruct
which items stood there then.

**Ready** means: the submission has a draft, no mandatory checklist item is open, and no
possible duplicate of it (in either direction) waits for a confirm-or-dismiss decision.

**Matches** are named with the reason in a few words: the words the two texts share, both masked
(a portfolio item's own title and description are public), and what the glossary says links them.

**Order**: items that resemble each other (a non-dismissed duplicate candidate between two items
on the agenda, or the same portfolio initiative flagged for both) form a group and stay together;
a group counts as ready only when all its members are, so that it is discussed once. Ready units
come first, then the rest; within each, the unit that waited longest comes first (first come,
first served), and within a group the oldest item leads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Literal

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.agenda import _text
from intake.agenda.model import Agenda, AgendaItem, DuplicateWarning, OpenGap
from intake.agenda.schedule import find_forum, meeting_cutoff, meeting_on
from intake.domain.duplicates import Decision, ItemKind
from intake.domain.process import Label, ProcessDefinition
from intake.drafting.checklists import ChecklistConfig
from intake.models import Draft as DraftRow
from intake.models import DuplicateCandidate, PortfolioItem, Submission
from intake.privacy import PLACEHOLDER
from retrieval.glossary import EMPTY, Glossary
from retrieval.lexical import shared_terms

_COMMON_WORDS = 3

_FACT_NAMES = {
    "initiative_type": Label(sv="Initiativtyp", en="Initiative type"),
    "kind": Label(sv="Kategori", en="Kind"),
    "focus_area": Label(sv="Fokusområde", en="Focus area"),
}


def build_agenda(
    engine: Engine,
    process: ProcessDefinition,
    forum_key: str,
    meeting_date: date,
    *,
    checklists: ChecklistConfig,
    glossary: Glossary = EMPTY,
    base_url: str | None = None,
    now: datetime | None = None,
) -> Agenda:
    """Build the agenda of `forum_key`'s meeting on `meeting_date`; see the module docstring.

    `glossary` explains matches; `base_url` (the service's public address) makes the links to the
    items' pages (`/forums/KEY/items/REF`: the full gap list, for the forum's members) absolute, as
    a mailed agenda needs; without it they are relative to the service.

    Raises:
        UnknownForum: the process file has no such forum.
    """
    forum = find_forum(process, forum_key)
    steps = {s.key: s for s in process.steps if s.forum == forum.key}
    with Session(engine) as session:
        rows = session.exec(
            select(Submission)
            .where(col(Submission.step).in_(list(steps)))
            .where(col(Submission.received_at) < meeting_cutoff(forum, meeting_date))
        ).all()
        ids = [r.id for r in rows if r.id is not None]
        refs = {r.reference: r for r in rows}
        drafts = _drafts(session, ids)
        warnings, others = _warnings(session, rows, refs)
    items = [
        _item(
            row,
            drafts.get(row.id),
            warnings.get(row.reference, []),
            steps[row.step].name,
            process,
            checklists,
        )
        for row in rows
        if row.id is not None
    ]
    page = f"{(base_url or '').rstrip('/')}/forums/{forum.key}/items/"
    items = [_linked(i, _own_text(i, refs, drafts), others, glossary, page) for i in items]
    return Agenda(
        process_name=process.name,
        forum_key=forum.key,
        forum_name=forum.name,
        purpose=forum.purpose,
        questions=tuple(forum.questions) or _purpose_questions(forum.purpose),
        members=tuple(forum.members),
        meeting=meeting_on(forum, meeting_date),
        generated_at=now or datetime.now(UTC),
        items=tuple(order_items(items)),
    )


def order_items(items: Iterable[AgendaItem]) -> list[AgendaItem]:
    """Group duplicates, put ready units first and the longest-waiting first; number the result."""
    by_ref = {i.reference: i for i in items}
    parent = {ref: ref for ref in by_ref}

    def root(ref: str) -> str:
        while parent[ref] != ref:
            parent[ref] = parent[parent[ref]]
            ref = parent[ref]
        return ref

    def join(a: str, b: str) -> None:
        parent[root(a)] = root(b)

    shared_portfolio: dict[str, str] = {}
    for item in by_ref.values():
        for warning in item.duplicates:
            if warning.other_kind == "submission" and warning.other_key in by_ref:
                join(item.reference, warning.other_key)
            elif warning.other_kind == "portfolio":
                first = shared_portfolio.setdefault(warning.other_key, item.reference)
                join(item.reference, first)
    units: dict[str, list[AgendaItem]] = {}
    for item in by_ref.values():
        units.setdefault(root(item.reference), []).append(item)
    ordered_units = []
    for members in units.values():
        members.sort(key=lambda i: (i.received_at, i.reference))
        ready = all(i.ready for i in members)
        ordered_units.append((not ready, members[0].received_at, members[0].reference, members))
    ordered_units.sort(key=lambda u: u[:3])
    result: list[AgendaItem] = []
    group_number = 0
    for not_ready, _, _, members in ordered_units:
        group = None
        if len(members) > 1:
            group_number += 1
            group = group_number
        for item in members:
            result.append(_placed(item, len(result) + 1, group, ready=not not_ready))
    return result


def _own_text(item: AgendaItem, refs: dict[str, Submission], drafts: dict[int | None, DraftRow]) -> str:
    row = refs[item.reference]
    return f"{item.title}\n{_text.masked_body(row, drafts.get(row.id))}"


def _linked(
    item: AgendaItem, own: str, others: dict[tuple[str, str], str], glossary: Glossary, pages: str
) -> AgendaItem:
    """Give an item its page's address (under `pages`) and each match the reason in a few words."""
    return replace(
        item,
        duplicates=tuple(_because(w, own, others, glossary) for w in item.duplicates),
        link=f"{pages}{item.reference}",
    )


def _because(
    warning: DuplicateWarning, own: str, others: dict[tuple[str, str], str], glossary: Glossary
) -> DuplicateWarning:
    """Give a warning its reason in a few words, from masked and public texts only."""
    kind = ItemKind.PORTFOLIO.value if warning.other_kind == "portfolio" else ItemKind.SUBMISSION.value
    other = others.get((kind, warning.other_key), warning.other_title)
    # placeholders mark masked data in both texts; "[PERSON_1]" in each is not a shared word
    own, other = PLACEHOLDER.sub(" ", own), PLACEHOLDER.sub(" ", other)
    common = tuple(t.split(" ≈ ")[0] for t in shared_terms(own, other, limit=_COMMON_WORDS))
    linking = glossary.linking(own, other)
    return replace(warning, common=common, explanation=linking[0].explanation if linking else None)


def _placed(item: AgendaItem, number: int, group: int | None, *, ready: bool) -> AgendaItem:
    return replace(item, number=number, group=group, ready=ready)


def _drafts(session: Session, ids: list[int]) -> dict[int | None, DraftRow]:
    found = session.exec(select(DraftRow).where(col(DraftRow.submission_id).in_(ids))).all()
    return {d.submission_id: d for d in found}


def _warnings(
    session: Session, rows: Iterable[Submission], refs: dict[str, Submission]
) -> tuple[dict[str, list[DuplicateWarning]], dict[tuple[str, str], str]]:
    """Collect each agenda item's pending and confirmed duplicate candidates, stored on either side.

    Dismissed and linked candidates are not duplicates (linked: related work, not the same need),
    so the forum is not warned about them. Also returns the other items' texts a forum may read
    (masked), keyed by (kind, key), for the reasons.
    """
    by_id = {r.id: r for r in rows}
    live = col(DuplicateCandidate.decision).in_([Decision.PENDING, Decision.CONFIRMED])
    own = session.exec(
        select(DuplicateCandidate).where(col(DuplicateCandidate.submission_id).in_(list(by_id))).where(live)
    ).all()
    reverse = session.exec(
        select(DuplicateCandidate, Submission)
        .join(Submission, col(Submission.id) == col(DuplicateCandidate.submission_id))
        .where(col(DuplicateCandidate.other_kind) == ItemKind.SUBMISSION)
        .where(col(DuplicateCandidate.other_key).in_(list(refs)))
        .where(live)
    ).all()
    # (agenda ref, other kind, other key, candidate)
    pairs: list[tuple[str, str, str, DuplicateCandidate]] = [
        (by_id[c.submission_id].reference, c.other_kind.value, c.other_key, c) for c in own
    ]
    pairs += [(c.other_key, ItemKind.SUBMISSION.value, source.reference, c) for c, source in reverse]
    shown = _other_texts(session, pairs)
    titles = {k: title for k, (title, _) in shown.items()}
    result: dict[str, dict[tuple[str, str], DuplicateWarning]] = {}
    for ref, kind, key, candidate in pairs:
        if ref == key and kind == ItemKind.SUBMISSION.value:
            continue
        decision: Literal["pending", "confirmed"] = (
            "confirmed" if candidate.decision == Decision.CONFIRMED else "pending"
        )
        warning = DuplicateWarning(
            other_kind="portfolio" if kind == ItemKind.PORTFOLIO.value else "submission",
            other_key=key,
            other_title=titles.get((kind, key), ""),
            score=candidate.score,
            decision=decision,
            on_agenda=kind == ItemKind.SUBMISSION.value and key in refs,
        )
        seen = result.setdefault(ref, {})
        before = seen.get((kind, key))
        # the same pair stored from both sides: keep one, a confirmation wins, then the higher score
        if before is None or (warning.decision == "confirmed", warning.score) > (
            before.decision == "confirmed",
            before.score,
        ):
            seen[kind, key] = warning
    warnings = {
        ref: sorted(found.values(), key=lambda w: (-w.score, w.other_key)) for ref, found in result.items()
    }
    return warnings, {k: f"{title}\n{text}" for k, (title, text) in shown.items()}


def _other_texts(
    session: Session, pairs: list[tuple[str, str, str, DuplicateCandidate]]
) -> dict[tuple[str, str], tuple[str, str]]:
    """Titles and texts of the other items: a portfolio item's are public; a submission's masked."""
    portfolio_keys = {key for _, kind, key, _ in pairs if kind == ItemKind.PORTFOLIO.value}
    submission_keys = {key for _, kind, key, _ in pairs if kind == ItemKind.SUBMISSION.value}
    titles: dict[tuple[str, str], tuple[str, str]] = {}
    if portfolio_keys:
        for item in session.exec(select(PortfolioItem).where(col(PortfolioItem.nr).in_(portfolio_keys))):
            titles[ItemKind.PORTFOLIO.value, item.nr] = (" ".join(item.title.split()), item.description or "")
    if submission_keys:
        found = session.exec(
            select(Submission, DraftRow)
            .outerjoin(DraftRow, col(DraftRow.submission_id) == col(Submission.id))
            .where(col(Submission.reference).in_(submission_keys))
        ).all()
        for submission, draft in found:
            title = _text.masked_title(submission, draft)
            body = _text.masked_body(submission, draft)
            if not title:
                title = _text.first_sentences(body, sentences=1, max_chars=80)
            titles[ItemKind.SUBMISSION.value, submission.reference] = (title, body)
    return titles


def _item(
    row: Submission,
    draft: DraftRow | None,
    duplicates: list[DuplicateWarning],
    step: Label,
    process: ProcessDefinition,
    checklists: ChecklistConfig,
) -> AgendaItem:
    summary, from_draft = _text.summary(row, draft)
    gaps = _gaps(draft, checklists) if draft is not None else ()
    ready = (
        draft is not None
        and not any(g.mandatory for g in gaps)
        and not any(d.decision == "pending" for d in duplicates)
    )
    return AgendaItem(
        number=0,
        reference=row.reference,
        title=_text.masked_title(row, draft) or _text.first_sentences(summary, sentences=1, max_chars=80),
        summary=summary,
        summary_source="draft" if from_draft else "text",
        step=step,
        received_at=row.received_at,
        drafted=draft is not None,
        ready=ready,
        group=None,
        duplicates=tuple(duplicates),
        gaps=gaps,
        facts=_facts(draft, process, checklists),
    )


def _gaps(draft: DraftRow, checklists: ChecklistConfig) -> tuple[OpenGap, ...]:
    found: list[OpenGap] = []
    for gap in draft.gaps:
        status = gap.get("status")
        if status not in ("partly", "missing"):
            continue
        checklist_id, item_id = str(gap.get("checklist_id")), str(gap.get("item_id"))
        item = checklists.item(checklist_id, item_id)
        question = gap.get("question") or (item.ask(status, "sv") if item else None)
        found.append(
            OpenGap(
                checklist_id=checklist_id,
                item_id=item_id,
                label=item.label if item else Label(sv=item_id, en=item_id),
                status=status,
                # an item the checklists file no longer knows cannot be mandatory any more
                mandatory=item.mandatory if item else False,
                question=str(question) if question else None,
                weight=item.weight if item else 0,
                asked=Label(sv=item.ask(status, "sv"), en=item.ask(status, "en")) if item else None,
            )
        )
    return tuple(found)


def _facts(
    draft: DraftRow | None, process: ProcessDefinition, checklists: ChecklistConfig
) -> tuple[tuple[Label, Label], ...]:
    lookups = {
        "initiative_type": checklists.match_initiative_type,
        "kind": checklists.match_kind,
        "focus_area": process.match_focus_area,
    }
    facts: list[tuple[Label, Label]] = []
    for name, lookup in lookups.items():
        value = _text.draft_value(draft, name)
        if isinstance(value, str):
            found = lookup(value)
            if found is not None:
                facts.append((_FACT_NAMES[name], found.name))
    return tuple(facts)


def _purpose_questions(purpose: Label | None) -> tuple[Label, ...]:
    """Fall back on the sentences of the forum's purpose when the file lists no questions."""
    if purpose is None:
        return ()
    sv, en = _text.split_sentences(purpose.sv), _text.split_sentences(purpose.en)
    if len(sv) != len(en):
        return (purpose,)
    return tuple(Label(sv=a, en=b) for a, b in zip(sv, en, strict=True))
