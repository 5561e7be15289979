"""`beredning bench pages`: the seeded database is what the pages meet (both databases), and one real run.

The figures themselves are printed by the command, never asserted: a timed test fails on a busy
machine and passes on a broken page. What is asserted is that every timed request got a 200 (an
error page is fast and would flatter the figures) and that the seeded rows are the kinds the
queue and item pages read.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select

from beredning_bench.benchmark.pages import TEMPLATES, queue_urls, seed
from intake.db import create_db_engine
from intake.domain.process import load_process
from intake.migrate import ensure_current
from intake.models import AuditEvent, Draft, DuplicateCandidate, StepChange, Submission
from intake.settings import Settings

pytestmark = pytest.mark.integration


def test_the_seed_fills_every_table_the_pages_read(database_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database={"url": database_url})
    engine = create_db_engine(settings)
    try:
        ensure_current(engine)
        process = load_process()
        references = seed(engine, 60, process, random.Random(1))
        with Session(engine) as session:

            def count(model: type) -> int:
                return int(session.exec(select(func.count()).select_from(model)).one())

            assert len(references) == len(set(references)) == count(Submission) == 60
            assert count(Draft) == 60, "every item has a draft, made once per text and copied"
            assert count(DuplicateCandidate) > 0 and count(StepChange) > 0
            assert count(AuditEvent) >= 120
            steps = set(session.exec(select(Submission.step)).all())
            assert len(steps) > 2, f"the items are spread over the steps: {steps}"
            drafted = session.exec(select(Draft).where(col(Draft.submission_id) == 1)).one()
            assert drafted.content and drafted.masked_text, "the real drafter made the template's draft"
    finally:
        engine.dispose()
    assert len(TEMPLATES) >= 10


def test_queue_urls_cover_filters_sorts_and_pages() -> None:
    urls = queue_urls(load_process(), 200, random.Random(3))
    assert "/review/" in urls
    assert any("step=" in u for u in urls) and any("page=" in u for u in urls)
    assert any("duplicates=1" in u for u in urls) and any("sort=" in u for u in urls)


SMALL = ("--items", "40", "--requests", "10", "--json")


@pytest.mark.slow
def test_the_command_times_both_pages_with_no_errors(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "intake", "--data-dir", str(tmp_path), "bench", "pages", *SMALL],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["items"] == 40 and result["database"] == "sqlite"
    pages = {p["page"]: p for p in result["pages"]}
    assert set(pages) == {"queue", "item"}
    for page in pages.values():
        assert page["requests"] == 10 and page["errors"] == 0, page
        assert 0 < page["percentiles"]["p50"] <= page["percentiles"]["p95"] <= page["percentiles"]["p99"]
