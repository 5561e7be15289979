"""`beredning bench pages`: how fast the staff pages answer with N items in the database.

The queue and the item page are where DigIT staff spend their day, so their latency is measured
the way a reviewer meets it: the app served in its own process (`python -m intake serve`, as
`make run` starts it), logged in as a staff account through the real login form, pages fetched
over HTTP one at a time after the app is warm.

The database is filled in bulk with N submissions spread over the process's steps, each with a
draft (made by the real rules-only drafter, once per distinct text, then copied), some duplicate
candidates, step changes and audit events, so that every query the pages make has realistic rows
to read. The index is written as the service writes it, from one vector per distinct text (the
pages never query it, but the served app only counts as warm once its index is in step with SQL,
and embedding 10,000 texts would take longer than everything else here together).
"""

from __future__ import annotations

import random
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from beredning_bench.benchmark._build import bench_settings, similarity_service
from beredning_bench.benchmark._corpus import BenchInputError
from beredning_bench.benchmark._reuse import EmbeddingCache, build_with_vectors, check_in_step
from beredning_bench.benchmark._server import BenchError, peak_rss_mb, served_app
from beredning_bench.benchmark._stats import Percentiles, summarize
from intake.db import create_db_engine
from intake.domain.accounts import Role
from intake.domain.audit import AuditAction
from intake.domain.duplicates import Decision, ItemKind
from intake.domain.process import ProcessDefinition, load_process
from intake.domain.submission import Channel, ProcessingState
from intake.drafting.checklists import load_checklists
from intake.migrate import ensure_current
from intake.models import (
    AuditEvent,
    Draft,
    DuplicateCandidate,
    StepChange,
    Submission,
    utcnow,
)
from intake.services.drafting import DraftingService
from intake.services.similarity import submission_document
from intake.settings import Settings

INSERT_CHUNK = 1000
STAFF_EMAIL = "bench.digit@example.invalid"

TEMPLATES: tuple[tuple[str, str], ...] = (
    (
        "Digital ansökan om parkeringstillstånd",
        (
            "Invånare ska kunna ansöka om parkeringstillstånd digitalt och följa sitt ärende. I dag"
            " skickas blanketter med post och handläggningen tar veckor."
        ),
    ),
    (
        "Timvikarier i skolan",
        (
            "Det är krångligt att hantera timvikarier: registrering och avslut tar för lång tid och"
            " lönerna blir fel. Vi behöver ett enklare flöde för rektorerna."
        ),
    ),
    (
        "E-arkiv för fler system",
        (
            "Vi behöver ett e-arkiv som tar emot handlingar från fler verksamhetssystem, så att vi "
            "kan gallra enligt dokumenthanteringsplanen och slippa pappersarkiv."
        ),
    ),
    (
        "Chatt i kontaktcenter",
        (
            "Kontaktcentret vill kunna svara på vanliga frågor i en chatt på webben. Många samtal "
            "gäller samma frågor om avgifter och öppettider."
        ),
    ),
    (
        "Boka skolans lokaler",
        (
            "Skolan behöver ett enklare sätt att boka lokaler och utrustning för föreningar på "
            "kvällarna. I dag sköts bokningen i kalkylark."
        ),
    ),
    (
        "Digital signering av avtal",
        (
            "Vi vill kunna signera avtal digitalt i stället för att skriva ut och skanna dem. Det "
            "gäller både anställningsavtal och avtal med leverantörer."
        ),
    ),
    (
        "Hemtjänstens schema i mobilen",
        (
            "Hemtjänsten saknar en app för att se dagens besök och ändringar i schemat. Personalen "
            "ringer in till samordnaren flera gånger per dag."
        ),
    ),
    (
        "Sensorer för gatubelysning",
        (
            "Gatubelysningen borde styras av sensorer så att vi sparar energi och får larm när en "
            "lampa går sönder, i stället för att invånare ringer in."
        ),
    ),
    (
        "Förstudie: AI-stöd för diarieföring",
        (
            "Vi vill göra en förstudie om AI-stöd för att föreslå diarieplan och sekretess när "
            "handlingar registreras i ärendehanteringssystemet."
        ),
    ),
    (
        "Felanmälan med foto",
        (
            "Invånare vill kunna felanmäla trasiga gungor och klotter med foto och position från "
            "mobilen, och få besked när felet är åtgärdat."
        ),
    ),
    (
        "Bättre introduktion för nyanställda",
        (
            "Nyanställda får sina konton och behörigheter för sent. Vi behöver ett flöde där chefen"
            " beställer allt på en gång före första dagen."
        ),
    ),
    (
        "Öppna data om luftkvalitet",
        (
            "Mätvärden om luftkvalitet borde publiceras som öppna data så att skolor och företag "
            "kan använda dem. Vi har mätarna men inte publiceringen."
        ),
    ),
)
"""Distinct submission texts; every item is one of them with its own serial number."""


@dataclass(frozen=True)
class PageTiming:
    """Latency of one kind of page, in ms."""

    page: str
    requests: int
    errors: int
    percentiles: Percentiles


@dataclass
class PagesBenchResult:
    """What `bench pages` prints."""

    items: int
    database: str
    seed_seconds: float
    ready_seconds: float
    pages: list[PageTiming] = field(default_factory=list)
    peak_rss_mb: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON values."""
        return asdict(self)


def _steps(process: ProcessDefinition) -> list[str]:
    """The steps an item waiting for DigIT can be in, weighted towards the early ones like a real queue."""
    keys = [s.key for s in process.steps]
    return [key for i, key in enumerate(keys) for _ in range(max(1, len(keys) - i))]


def seed(engine: Engine, count: int, process: ProcessDefinition, rng: random.Random) -> list[str]:
    """Insert `count` submissions with drafts, candidates, step changes and audit events; return refs.

    The drafts are made by the real drafting service (rules only) for the first item of each
    distinct text, and copied to the others with the same text, so the draft JSON has the shape
    and size the pages will meet in production.
    """
    now = utcnow()
    steps = _steps(process)
    channels = [Channel.WEB, Channel.WEB, Channel.EMAIL, Channel.API]
    year = now.year
    rows: list[dict[str, Any]] = []
    for i in range(count):
        title, text = TEMPLATES[i % len(TEMPLATES)]
        received = now - timedelta(days=rng.uniform(0, 120), microseconds=count - i)
        rows.append(
            {
                "reference": f"BENCH-{year}-{i + 1:06d}",
                # the same text for every item of a template: the index is then written from one
                # vector per template (see `_index`), and the pages read the same rows either way
                "title": title,
                "raw_text": text,
                "channel": rng.choice(channels),
                "submitter_name": f"Person {i + 1}",
                "submitter_email": f"person{i + 1}@example.invalid",
                "submitter_unit": rng.choice(("Stadsbyggnad", "Skola", "Omsorg", "Kultur", None)),
                "received_at": received,
                "language": "sv",
                "step": rng.choice(steps),
                "state": ProcessingState.PROCESSED,
                "attempts": 1,
                "processed_at": received,
                "updated_at": now - timedelta(microseconds=count - i),
            }
        )
    _insert(engine, Submission, rows)
    with Session(engine) as session:
        ids = {ref: int(sid or 0) for ref, sid in session.exec(select(Submission.reference, Submission.id))}
    references = [str(r["reference"]) for r in rows]
    _seed_drafts(engine, process, references, ids)
    _seed_history(engine, process, rows, ids, rng)
    return references


def _insert(engine: Engine, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        for offset in range(0, len(rows), INSERT_CHUNK):
            connection.execute(sa.insert(model), list(rows[offset : offset + INSERT_CHUNK]))


def _seed_drafts(
    engine: Engine, process: ProcessDefinition, references: list[str], ids: dict[str, int]
) -> None:
    drafting = DraftingService(engine, process, load_checklists(), drafter=None)
    made: dict[int, Draft] = {}
    for i in range(min(len(TEMPLATES), len(references))):
        made[i] = drafting.draft(ids[references[i]]).draft
    copies = []
    for i, reference in enumerate(references[len(made) :], start=len(made)):
        model = made[i % len(TEMPLATES)]
        copies.append(
            {
                "submission_id": ids[reference],
                "state": model.state,
                "content": model.content,
                "gaps": model.gaps,
                "masked_text": model.masked_text,
                "redaction": model.redaction,
                "attempts": 1,
                "created_at": model.created_at,
                "updated_at": model.updated_at,
            }
        )
    _insert(engine, Draft, copies)


def _seed_history(
    engine: Engine,
    process: ProcessDefinition,
    rows: list[dict[str, Any]],
    ids: dict[str, int],
    rng: random.Random,
) -> None:
    order = [s.key for s in process.steps]
    candidates: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    references = [str(r["reference"]) for r in rows]
    for i, row in enumerate(rows):
        reference, sid, received = str(row["reference"]), ids[str(row["reference"])], row["received_at"]
        channel = {"channel": str(row["channel"])}
        events.append(_event(received, "system", AuditAction.SUBMISSION_RECEIVED, reference, channel))
        drafted = {"state": "rules_only"}
        events.append(_event(received, "system", AuditAction.DRAFT_STORED, reference, drafted))
        if rng.random() < 0.3 and i > 0:
            for other in rng.sample(references[:i], k=min(i, rng.randint(1, 3))):
                candidates.append(
                    {
                        "submission_id": sid,
                        "other_kind": ItemKind.SUBMISSION,
                        "other_key": other,
                        "score": round(rng.uniform(0.55, 0.95), 3),
                        "parts": {
                            "dense": round(rng.uniform(0.5, 0.9), 3),
                            "lexical": round(rng.uniform(0.2, 0.8), 3),
                        },
                        "reason": "semantiskt lika; gemensamma ord: boka, lokaler, föreningar",
                        "shared_terms": ["boka", "lokaler", "föreningar"],
                        "decision": Decision.PENDING,
                        "created_at": received,
                    }
                )
        reached = order.index(str(row["step"])) if row["step"] in order else 0
        for j in range(reached):
            changes.append(
                {
                    "submission_id": sid,
                    "from_step": order[j],
                    "to_step": order[j + 1],
                    "kind": "forward",
                    "actor": STAFF_EMAIL,
                    "override": False,
                    "overridden": [],
                    "at": received + timedelta(days=j + 1),
                }
            )
            events.append(
                _event(
                    received + timedelta(days=j + 1),
                    STAFF_EMAIL,
                    AuditAction.SUBMISSION_MOVED,
                    reference,
                    {"step": [order[j], order[j + 1]]},
                )
            )
    _insert(engine, DuplicateCandidate, candidates)
    _insert(engine, StepChange, changes)
    _insert(engine, AuditEvent, events)


def _event(
    at: Any, actor: str, action: AuditAction, reference: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Return an `audit_event` row as the services write it, for a bulk insert."""
    return {
        "at": at,
        "actor": actor,
        "action": action.value,
        "entity_kind": "submission",
        "entity_key": reference,
        "changes": changes,
    }


def _staff_account(engine: Engine, settings: Settings) -> str:
    """Create the staff account the benchmark logs in with; return its (random) password."""
    from intake.services.accounts import add_account

    password = secrets.token_urlsafe(18)
    add_account(engine, STAFF_EMAIL, Role.DIGIT, password, settings.auth, name="Bench DigIT", actor="bench")
    return password


def _log_in(client: Any, password: str) -> None:
    form = client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
    if form.status_code != 200 or token is None:
        raise BenchError(f"the login page did not answer as expected (HTTP {form.status_code})")
    answer = client.post(
        "/login",
        data={"email": STAFF_EMAIL, "password": password, "_csrf_token": token.group(1)},
        follow_redirects=False,
    )
    if answer.status_code != 303:
        raise BenchError(f"the benchmark account could not log in (HTTP {answer.status_code})")


def queue_urls(process: ProcessDefinition, count: int, rng: random.Random) -> list[str]:
    """The queue as reviewers use it: the default view, filters, sorts and later pages."""
    steps = [s.key for s in process.steps]
    choices = [
        "/review/",
        "/review/?sort=newest",
        "/review/?duplicates=1",
        "/review/?gaps=1",
        "/review/?age=week",
        "/review/?sort=duplicates",
        "/review/?channel=email",
    ]
    urls = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.5:
            urls.append(rng.choice(choices))
        elif kind < 0.8:
            urls.append(f"/review/?step={rng.choice(steps)}")
        else:
            urls.append(f"/review/?page={rng.randint(2, 20)}")
    return urls


def _time(client: Any, urls: Sequence[str], warmup: int) -> tuple[list[float], int]:
    for url in urls[:warmup]:
        client.get(url)
    timings: list[float] = []
    errors = 0
    for url in urls[warmup:]:
        began = time.perf_counter()
        status = client.get(url).status_code
        timings.append((time.perf_counter() - began) * 1000)
        errors += status != 200
    return timings, errors


def _index(settings: Settings, engine: Engine) -> None:
    """Index every submission with one vector per distinct compared text, then check the server will agree."""
    with similarity_service(settings, engine) as service, Session(engine) as session:
        documents = [
            submission_document(s) for s in session.exec(select(Submission).order_by(col(Submission.id)))
        ]
        search = service.search_engine
        cache = EmbeddingCache()
        cache.fill(
            search.embedder,
            [search.compared_text(d.text) for d in documents],
            settings.embedding.batch_size,
        )
        build_with_vectors(service, documents, cache)
        check_in_step(service, settings.chroma_path)


def run_pages(
    base: Settings,
    items: int,
    requests: int,
    *,
    database_url: str | None = None,
    timeout: float = 1800.0,
    seed_value: int = 7,
    say: Callable[[str], None] = lambda _: None,
) -> PagesBenchResult:
    """Seed `items` submissions into a fresh database, serve the app, time `requests` of each page.

    `database_url` points at an empty PostgreSQL database to measure there (it must be empty: the
    benchmark refuses to write into one with submissions); by default a fresh SQLite file in a
    temporary directory is used.

    Raises:
        BenchInputError: the PostgreSQL database is not empty.
        BenchError: the server does not start, or the login fails.
    """
    import httpx

    rng = random.Random(seed_value)  # sampling for a benchmark, not security
    process = load_process(base.process_file)
    with tempfile.TemporaryDirectory(prefix="beredning-pages-") as directory:
        settings = bench_settings(base, Path(directory))
        if database_url:
            settings = settings.model_copy(
                update={"database": settings.database.model_copy(update={"url": database_url})}
            )
        engine = create_db_engine(settings)
        try:
            ensure_current(engine)
            with Session(engine) as session:
                if session.exec(select(col(Submission.id)).limit(1)).first() is not None:
                    raise BenchInputError("the benchmark database must be empty: it has submissions")
            say(f"seeding {items} submissions")
            started = time.perf_counter()
            references = seed(engine, items, process, rng)
            password = _staff_account(engine, settings)
            seed_seconds = time.perf_counter() - started
            say(f"seeded in {seed_seconds:.1f} s; writing the index")
            _index(settings, engine)
        finally:
            engine.dispose()
        say("starting the app")
        with served_app(settings, Path(directory) / "server.log", timeout) as app:
            say(f"warm after {app.ready_seconds:.1f} s; timing {requests} requests per page")
            result = PagesBenchResult(
                items=items,
                database="postgresql" if database_url else "sqlite",
                seed_seconds=round(seed_seconds, 1),
                ready_seconds=round(app.ready_seconds, 1),
            )
            warmup = max(3, requests // 10)
            with httpx.Client(base_url=app.base_url, timeout=120) as client:
                _log_in(client, password)
                pages = {
                    "queue": queue_urls(process, requests + warmup, rng),
                    "item": [f"/review/items/{rng.choice(references)}" for _ in range(requests + warmup)],
                }
                for name, urls in pages.items():
                    timings, errors = _time(client, urls, warmup)
                    result.pages.append(PageTiming(name, len(timings), errors, summarize(timings)))
            result.peak_rss_mb = peak_rss_mb(app.pid)
    return result
