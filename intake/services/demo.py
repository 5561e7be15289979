"""Demo submissions for a fresh install: `beredning demo load` (run by `make run`).

The demo portfolio alone leaves the queue and the forum agendas empty, and a new user cannot see
what the service does. The demo file holds invented submissions; each is accepted as any other,
triaged in this process (masked, indexed, compared, drafted; no Prefect server needed) and then
handled as a DigIT reviewer would: duplicate candidates confirmed or dismissed, steps moved.
Loading twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.domain.datafile import load_data_file
from intake.domain.duplicates import Decision
from intake.domain.process import ProcessDefinition
from intake.domain.submission import Channel, NewSubmission
from intake.drafting.checklists import ChecklistConfig
from intake.models import Submission
from intake.services import jobs, submissions, workflow
from intake.settings import IntakeSettings

DEMO_ACTOR = "demo"


class DemoFileInvalid(ValueError):
    """The demo file cannot be read or does not validate."""


class DemoSubmission(BaseModel):
    """One invented submission and what a reviewer does with it after triage."""

    model_config = ConfigDict(extra="forbid")

    text: str
    title: str | None = None
    name: str | None = None
    email: str | None = None
    unit: str | None = None
    channel: Channel = Channel.WEB
    duplicates: Literal["confirm", "dismiss"] | None = None
    moves: list[str] = Field(default_factory=list)


class DemoFile(BaseModel):
    """The demo file: a list of submissions."""

    model_config = ConfigDict(extra="forbid")

    submissions: list[DemoSubmission]


@dataclass
class DemoReport:
    """What loading did: references added, entries skipped as present, and moves refused."""

    added: list[str] = field(default_factory=list)
    skipped: int = 0
    refused: list[str] = field(default_factory=list)


def read_demo_file(path: Path) -> DemoFile:
    """Read and validate the demo file.

    Raises:
        DemoFileInvalid: it cannot be read or does not validate.
    """
    return load_data_file(str(path), "", DemoFile, DemoFileInvalid, "demo")


def load_demo(
    engine: Engine,
    demo: DemoFile,
    settings: IntakeSettings,
    triage: Callable[[int], object],
    process: ProcessDefinition,
    checklists: ChecklistConfig,
) -> DemoReport:
    """Add the demo submissions that are not stored yet, triage them and apply their reviews.

    `triage(submission_id)` runs the triage steps; it runs as the submission's job, so the job
    is marked done and no worker triages the item again.
    """
    report = DemoReport()

    def run(held: jobs.Claim) -> None:
        triage(held.submission_id)

    runner = jobs.Worker(engine, run, name=DEMO_ACTOR)
    for entry in demo.submissions:
        if _present(engine, entry):
            report.skipped += 1
            continue
        new = NewSubmission(
            text=entry.text,
            channel=entry.channel,
            title=entry.title,
            submitter_name=entry.name,
            submitter_email=entry.email,
            submitter_unit=entry.unit,
        )
        accepted = submissions.accept(engine, new, settings, actor=DEMO_ACTOR)
        assert accepted.id is not None
        runner.run_one(accepted.id)
        report.added.append(accepted.reference)
        _review(engine, accepted.reference, accepted.id, entry, report, process, checklists)
    return report


def _present(engine: Engine, entry: DemoSubmission) -> bool:
    with Session(engine) as session:
        query = select(Submission.id).where(Submission.title == entry.title)
        query = query.where(Submission.submitter_email == entry.email)
        return session.exec(query).first() is not None


def _review(
    engine: Engine,
    reference: str,
    submission_id: int,
    entry: DemoSubmission,
    report: DemoReport,
    process: ProcessDefinition,
    checklists: ChecklistConfig,
) -> None:
    if entry.duplicates is not None:
        decision = Decision.CONFIRMED if entry.duplicates == "confirm" else Decision.DISMISSED
        for candidate in submissions.candidates(engine, submission_id):
            workflow.resolve_duplicate(engine, reference, candidate.other_key, decision, DEMO_ACTOR)
    for step in entry.moves:
        try:
            workflow.move(
                engine, reference, step, DEMO_ACTOR, reason="demo", process=process, checklists=checklists
            )
        except workflow.TransitionRefused as exc:
            report.refused.append(f"{reference} -> {step}: {exc}")
            return
