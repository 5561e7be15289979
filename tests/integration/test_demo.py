"""`beredning demo load`: the demo submissions are triaged, reviewed and make readable agendas.

Run through the CLI in a fresh process, with the real embedding model and index, on SQLite and
PostgreSQL, as `make run` runs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from intake.agenda import find_forum, next_open_meeting
from intake.agenda.formats import long_date
from intake.db import create_db_engine
from intake.domain.duplicates import Decision
from intake.domain.jobs import JobState
from intake.domain.process import load_process
from intake.models import DuplicateCandidate, Job, Submission, utcnow
from intake.settings import Settings
from tests.agenda_shape import MAX_ITEM_LINES, longest_item
from tests.server import cli

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.calendar]

ROOT = Path(__file__).parents[2]
DEMO_PORTFOLIO = ROOT / "demo" / "portfolio" / "sundsvall-utvecklingsportfolj-utdrag.csv"
DEMO_SUBMISSIONS = ROOT / "demo" / "submissions.yaml"


def test_demo_load_triages_reviews_and_fills_the_agendas_once(tmp_path: Path, database_url: str) -> None:
    env = {"BEREDNING_DATA_DIR": str(tmp_path), "BEREDNING_DATABASE__URL": database_url}
    for args in (["db", "upgrade"], ["portfolio", "import", str(DEMO_PORTFOLIO)]):
        done = cli(args, env)
        assert done.returncode == 0, done.stderr

    first = cli(["demo", "load", str(DEMO_SUBMISSIONS)], env)
    assert first.returncode == 0, first.stderr
    assert "8 added, 0 there already" in first.stdout
    again = cli(["demo", "load", str(DEMO_SUBMISSIONS)], env)
    assert again.returncode == 0 and "0 added, 8 there already" in again.stdout

    engine = create_db_engine(Settings(data_dir=tmp_path, database={"url": database_url}))
    try:
        with Session(engine) as session:
            steps = dict(session.exec(select(Submission.title, Submission.step)).all())
            jobs = set(session.exec(select(Job.state)).all())
            school = session.exec(
                select(DuplicateCandidate)
                .join(Submission, col(Submission.id) == col(DuplicateCandidate.submission_id))
                .where(Submission.title == "Självservice för bokning av skollokaler")
            ).all()
    finally:
        engine.dispose()
    assert len(steps) == 8 and jobs == {JobState.DONE}, "triaged once each, as their jobs"
    assert steps["Schemaläggning av timvikarier i Heroma"] == "steg-2"
    assert steps["Förstudie om e-arkiv och gallring av avslutade ärenden"] == "steg-2"
    assert sorted(steps.values()).count("steg-1") == 6
    assert school and all(c.decision == Decision.CONFIRMED for c in school)

    # No --date: the next meeting that has not started, so the items received today are on it
    # whatever day the suite runs (the agendas of fixed past days no longer hold them).
    process = load_process()
    solution = cli(["agenda", "build", "--forum", "losningsforum"], env)
    assert solution.returncode == 0, solution.stderr
    day = next_open_meeting(find_forum(process, "losningsforum"), utcnow())
    assert day is not None and long_date(day, "sv") in solution.stdout.splitlines()[0]
    assert "Ärenden: 6 (klara att ta ställning till: 1, behöver beredas mer: 5)" in solution.stdout
    assert "Felanmälan av gatubelysning med karta" in solution.stdout.split("## Behöver beredas mer")[0]
    assert "bekräftad dubblett" in solution.stdout
    assert "070-123 45 67" not in solution.stdout and "Karin Lindqvist" not in solution.stdout
    assert 0 < longest_item(solution.stdout) <= MAX_ITEM_LINES, solution.stdout
    architecture = cli(["agenda", "build", "--forum", "arkitektforum"], env)
    assert "Ärenden: 2" in architecture.stdout and "19850412-1230" not in architecture.stdout


def test_a_broken_demo_file_is_refused_with_its_reason(tmp_path: Path) -> None:
    broken = tmp_path / "demo.yaml"
    broken.write_text("submissions:\n  - title: no text here\n", encoding="utf-8")
    env = {"BEREDNING_DATA_DIR": str(tmp_path)}
    assert cli(["db", "upgrade"], env).returncode == 0
    result = cli(["demo", "load", str(broken)], env)
    assert result.returncode == 1
    assert "invalid demo file" in result.stderr and "text" in result.stderr
    assert "Traceback" not in result.stderr
    missing = cli(["demo", "load", str(tmp_path / "nowhere.yaml")], env)
    assert missing.returncode == 1 and "cannot read demo file" in missing.stderr
