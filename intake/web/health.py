"""Health of the service's dependencies (database, index, model, jobs, loops), for `/health`."""

from __future__ import annotations

from intake.domain.jobs import JobState
from intake.services import jobs as job_service
from intake.services.storage import StorageError, database_state
from intake.web.schemas import ComponentHealth, HealthOut
from intake.web.state import AppServices
from retrieval import IndexUnavailable


def check_health(services: AppServices) -> HealthOut:
    """Check the database, the index and the model without loading anything new.

    `down` means submissions cannot be stored (the database); `degraded` means they are stored
    but similarity is not available yet (model loading, index unreachable).
    """
    database = _database(services)
    index = _index(services)
    model = _model(services)
    jobs = _jobs(services) if database.ok else ComponentHealth(ok=False, detail="database unreachable")
    loops = _loops(services)
    if not database.ok:
        status = "down"
    elif not (index.ok and model.ok and jobs.ok and loops.ok):
        status = "degraded"
    else:
        status = "ok"
    return HealthOut(status=status, database=database, index=index, model=model, jobs=jobs, loops=loops)


def _loops(services: AppServices) -> ComponentHealth:
    """A background loop that ended makes the service degraded: new items would wait for ever."""
    if not services.loops:
        return ComponentHealth(ok=True, detail="none in this process")
    parts, ok = [], True
    for name, loop in sorted(services.loops.items()):
        if not loop.running:
            ok = False
            parts.append(f"{name} stopped ({loop.stopped_reason or 'not started'})")
        elif loop.failures_in_row:
            parts.append(f"{name} running, last {loop.failures_in_row} passes failed ({loop.last_error})")
        else:
            parts.append(f"{name} running")
    return ComponentHealth(ok=ok, detail="; ".join(parts))


def _database(services: AppServices) -> ComponentHealth:
    try:
        state = database_state(services.engine)
    except StorageError as exc:
        return ComponentHealth(ok=False, detail=f"unreachable: {type(exc).__name__}")
    if not state.current:
        return ComponentHealth(ok=False, detail=f"schema at {state.revision}, code needs {state.head}")
    return ComponentHealth(ok=True, detail=f"{state.dialect}, schema {state.revision}")


def _jobs(services: AppServices) -> ComponentHealth:
    """Failed jobs make the service degraded: their items wait for a human (`beredning jobs list`)."""
    try:
        totals = job_service.counts(services.engine)
    except StorageError as exc:
        return ComponentHealth(ok=False, detail=f"unreadable: {type(exc).__name__}")
    detail = ", ".join(f"{state.value} {n}" for state, n in totals.items() if state != JobState.DONE)
    return ComponentHealth(ok=totals[JobState.FAILED] == 0, detail=detail)


def _index(services: AppServices) -> ComponentHealth:
    try:
        count = services.similarity.search_engine.vector_index.count()
    except IndexUnavailable as exc:
        return ComponentHealth(ok=False, detail=f"unreachable: {exc}")
    return ComponentHealth(ok=True, detail=f"{count} documents")


def _model(services: AppServices) -> ComponentHealth:
    status = services.model
    model_id = services.similarity.search_engine.embedder.model_id
    if status.state == "ready":
        return ComponentHealth(ok=True, detail=f"{model_id} loaded")
    if status.state == "error":
        return ComponentHealth(ok=False, detail=f"{model_id} failed: {status.error}")
    return ComponentHealth(ok=False, detail=f"{model_id} {status.state}")
