"""The review queue's SQL on SQLite and PostgreSQL: focus area and title from the draft's JSON,
open gaps, pending duplicates, and the per-process cache noticing every kind of change."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col

from intake.db import create_db_engine
from intake.domain.drafts import DraftState
from intake.domain.duplicates import Decision, ItemKind
from intake.domain.process import load_process
from intake.domain.submission import Channel
from intake.migrate import upgrade
from intake.models import Draft as DraftRow
from intake.models import DuplicateCandidate, Submission, utcnow
from intake.services.review_queue import QueueFilter, load_rows, select_queue
from intake.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.calendar]

PROCESS = load_process()


def gap(item: str, status: str) -> dict[str, str]:
    return {"checklist_id": "c", "item_id": item, "status": status, "question": "Vem betalar?"}


def test_rows_come_from_sql_and_the_cache_follows_changes(tmp_path: Path, database_url: str) -> None:
    engine = create_db_engine(Settings(data_dir=tmp_path, database={"url": database_url}))
    upgrade(engine)
    now = utcnow()
    with Session(engine) as session:
        first = Submission(
            reference="IN-2026-00001",
            raw_text="a",
            channel=Channel.EMAIL,
            received_at=now - timedelta(days=40),
        )
        second = Submission(reference="IN-2026-00002", raw_text="b", title="Egen rubrik", channel=Channel.WEB)
        third = Submission(reference="IN-2026-00003", raw_text="c", channel=Channel.API, step="beslutad")
        session.add_all([first, second, third])
        session.flush()
        session.add(
            DraftRow(
                submission_id=first.id,
                state=DraftState.RULES_ONLY,
                content={"title": {"value": "Rubrik från utkastet"}, "focus_area": {"value": "bolagen"}},
                gaps=[gap("a", "missing"), gap("b", "covered"), gap("c", "partly")],
                masked_text="a",
            )
        )
        session.add(
            DuplicateCandidate(
                submission_id=first.id,
                other_kind=ItemKind.PORTFOLIO,
                other_key="22-04",
                score=0.8,
                reason="r",
            )
        )
        session.commit()
    rows = {r.reference: r for r in load_rows(engine, PROCESS)}
    assert rows["IN-2026-00001"].title == "Rubrik från utkastet"
    assert rows["IN-2026-00001"].focus == "bolagen"
    assert rows["IN-2026-00001"].open_gaps == 2 and rows["IN-2026-00001"].duplicates == 1
    assert rows["IN-2026-00001"].channel == "email" and rows["IN-2026-00001"].age == "older"
    assert rows["IN-2026-00002"].title == "Egen rubrik" and rows["IN-2026-00002"].focus is None
    result = select_queue(list(rows.values()), QueueFilter(), PROCESS)
    assert [r.reference for r in result.rows] == ["IN-2026-00001", "IN-2026-00002"], "decided items rest"
    assert load_rows(engine, PROCESS) is load_rows(engine, PROCESS), "nothing changed: the cache answers"

    def reread() -> dict[str, object]:
        return {r.reference: r for r in load_rows(engine, PROCESS)}

    with Session(engine) as session:  # a duplicate decided
        session.execute(
            sa.update(DuplicateCandidate).values(
                decision=Decision.DISMISSED, decided_at=utcnow(), decided_by="t"
            )
        )
        session.commit()
    assert reread()["IN-2026-00001"].duplicates == 0  # type: ignore[attr-defined]
    with Session(engine) as session:  # ... and reopened
        session.execute(sa.update(DuplicateCandidate).values(decision=Decision.PENDING))
        session.commit()
    assert reread()["IN-2026-00001"].duplicates == 1  # type: ignore[attr-defined]
    with Session(engine) as session:  # a gap answered
        session.execute(
            sa.update(DraftRow).values(gaps=[gap("a", "covered"), gap("c", "partly")], updated_at=utcnow())
        )
        session.commit()
    assert reread()["IN-2026-00001"].open_gaps == 1  # type: ignore[attr-defined]
    with Session(engine) as session:  # a step move
        session.execute(
            sa.update(Submission)
            .where(col(Submission.reference) == "IN-2026-00002")
            .values(step="steg-1", updated_at=utcnow())
        )
        session.commit()
    assert reread()["IN-2026-00002"].step == "steg-1"  # type: ignore[attr-defined]
    engine.dispose()
