"""Backups that follow the same rules as the live data: SQL only, erasures re-applied on restore.

`backup(engine, target)` copies the database into an empty folder. SQLite goes through its online
backup API (the service may keep running; the copy is then vacuumed, so no free page of it holds
a deleted row). PostgreSQL is written as JSON lines of the service's own tables, read in one
snapshot: `pg_dump` would copy the whole database, other systems' schemas too, and restore them.
The vector index is not copied: it is derived, and `restore` rebuilds it from SQL, so a backup
holds no text that SQL does not.

`restore(engine, source)` replaces the database with the backup, then carries the erasure ledger
of the database it replaces into the restored one and erases again everything the ledger names
(`erasure.reapply`): a person erased after the backup was made stays erased. Run it with the
service stopped.
"""

from __future__ import annotations

import base64
import enum
import gzip
import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from intake.db import is_sqlite
from intake.domain.retention import Schedule
from intake.migrate import current_revision, downgrade, upgrade
from intake.models import AppSecret, Erasure, utcnow
from intake.services import erasure

MANIFEST = "manifest.json"
SQLITE_FILE = "beredning.sqlite3"
PG_FILE = "beredning.jsonl.gz"
FORMAT = 1


class BackupError(RuntimeError):
    """Raised when a backup cannot be made or restored; the message says why."""


@dataclass(frozen=True)
class Manifest:
    """What a backup folder holds."""

    format: int
    database: str
    revision: str | None
    created_at: str
    erasures: int

    def as_json(self) -> dict[str, Any]:
        """Return the manifest as written to `manifest.json`."""
        return dict(self.__dict__)


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory database has nothing to back up")
    return Path(database)


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime | date):
        return {"$t": value.isoformat()}
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        if "$b64" in value:
            return base64.b64decode(value["$b64"])
        if "$t" in value:
            text = value["$t"]
            return datetime.fromisoformat(text) if "T" in text or ":" in text else date.fromisoformat(text)
    return value


def _tables() -> list[sa.Table]:
    """The service's tables in dependency order (a parent before the tables that point at it)."""
    return list(SQLModel.metadata.sorted_tables)


def _dump_tables(engine: Engine, path: Path) -> None:
    """Write every row of the service's tables as JSON lines, in one repeatable-read snapshot.

    Only the service's own tables in the schema it uses: a database shared with other systems
    is not copied, and restoring touches nothing else.
    """
    with gzip.open(path, "wt", encoding="utf-8") as out, engine.connect() as connection:
        connection.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        for table in _tables():
            for row in connection.execute(sa.select(table)).mappings():
                record = {"table": table.name, "row": {k: _encode(v) for k, v in row.items()}}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _load_tables(engine: Engine, path: Path, revision: str | None) -> None:
    """Replace the service's tables with the dump: the schema at the dump's revision, then its rows."""
    downgrade(engine, "base")
    upgrade(engine, revision or "head")
    tables = {t.name: t for t in _tables()}
    batches: dict[str, list[dict[str, Any]]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            batches.setdefault(record["table"], []).append({k: _decode(v) for k, v in record["row"].items()})
    with engine.begin() as connection:
        for name, table in tables.items():
            rows = batches.get(name)
            if not rows:
                continue
            known = set(table.c.keys())
            connection.execute(table.insert(), [{k: v for k, v in r.items() if k in known} for r in rows])
            if "id" in table.c and isinstance(table.c.id.type, sa.Integer):
                connection.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 (our table names)
                        f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
                    )
                )


def backup(engine: Engine, folder: Path, keep_days: int | None = None, now: datetime | None = None) -> Backup:
    """Back the database up into a new `beredning-<UTC time>` folder inside `folder`.

    Backups older than `keep_days` in the same folder are deleted afterwards (the schedule's
    `backup` rule), so an erasure reaches every copy once they have aged out.
    """
    if (folder / MANIFEST).is_file():
        raise BackupError(f"{folder} is a backup itself: give the folder that holds the backups")
    now = now or utcnow()
    target = folder / f"beredning-{now:%Y%m%dT%H%M%S%fZ}"
    if target.exists():
        raise BackupError(f"{target} exists already")
    target.mkdir(parents=True)
    with Session(engine) as session:
        erasures = len(session.exec(select(Erasure.id)).all())
    if is_sqlite(engine):
        copy = target / SQLITE_FILE
        source = sqlite3.connect(_sqlite_path(engine), timeout=30)
        destination = sqlite3.connect(copy)
        try:
            source.backup(destination)
            destination.execute("PRAGMA journal_mode=DELETE")
            destination.execute("VACUUM")
        finally:
            destination.close()
            source.close()
    else:
        _dump_tables(engine, target / PG_FILE)
    manifest = Manifest(
        format=FORMAT,
        database=engine.dialect.name,
        revision=current_revision(engine),
        created_at=now.isoformat(),
        erasures=erasures,
    )
    (target / MANIFEST).write_text(json.dumps(manifest.as_json(), indent=2), encoding="utf-8")
    pruned = [] if keep_days is None else prune(folder, now - timedelta(days=keep_days), keep=target)
    return Backup(target, manifest, pruned)


@dataclass(frozen=True)
class Backup:
    """A backup just made: where, its manifest, and the older backups deleted after it."""

    path: Path
    manifest: Manifest
    pruned: list[Path]

    def as_json(self) -> dict[str, Any]:
        """Return what the CLI prints with `--json`."""
        return {"path": str(self.path), **self.manifest.as_json(), "pruned": [str(p) for p in self.pruned]}


def backups_in(folder: Path) -> list[tuple[datetime, Path]]:
    """Return the backups in `folder` (oldest first) with when each was made."""
    found: list[tuple[datetime, Path]] = []
    for path in folder.iterdir() if folder.is_dir() else []:
        try:
            found.append((datetime.fromisoformat(read_manifest(path).created_at), path))
        except (BackupError, ValueError):
            continue  # not ours: never deleted
    return sorted(found)


def prune(folder: Path, before: datetime, keep: Path) -> list[Path]:
    """Delete the backups in `folder` made before `before` (never `keep`); return them."""
    gone = [path for made, path in backups_in(folder) if made < before and path != keep]
    for path in gone:
        shutil.rmtree(path)
    return gone


def resolve(source: Path) -> Path:
    """Return the backup `source` names: itself, or the newest backup in the folder it is."""
    if (source / MANIFEST).is_file():
        return source
    found = backups_in(source)
    if not found:
        raise BackupError(f"no beredning backup in {source}")
    return found[-1][1]


def read_manifest(source: Path) -> Manifest:
    """Return the manifest of a backup folder, or raise BackupError saying what is wrong."""
    try:
        raw = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
        manifest = Manifest(**raw)
    except (OSError, ValueError, TypeError) as exc:
        raise BackupError(f"{source} is not a beredning backup ({MANIFEST}: {exc})") from exc
    if manifest.format != FORMAT:
        raise BackupError(f"backup format {manifest.format} is not {FORMAT}")
    return manifest


def _ledger(engine: Engine) -> tuple[list[dict[str, Any]], str | None]:
    """Read the erasure ledger and its hash key from the database about to be replaced."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(Erasure.__tablename__):
            return [], None
    with Session(engine) as session:
        rows = [e.model_dump() for e in session.exec(select(Erasure).order_by(col(Erasure.id)))]
        key = session.get(AppSecret, erasure.HASH_SECRET)
        return rows, key.value if key else None


def _merge_ledger(engine: Engine, rows: list[dict[str, Any]], key: str | None) -> int:
    """Add the replaced database's erasures the backup does not know; return how many were added."""
    added = 0
    with Session(engine) as session:
        known = {(e.at, e.actor) for e in session.exec(select(Erasure))}
        for row in rows:
            if (row["at"], row["actor"]) in known:
                continue
            session.add(Erasure(**{k: v for k, v in row.items() if k != "id"}))
            added += 1
        if key is not None:
            secret = session.get(AppSecret, erasure.HASH_SECRET)
            if secret is None:
                session.add(AppSecret(name=erasure.HASH_SECRET, value=key))
            else:
                secret.value = key
                session.add(secret)
        session.commit()
    return added


def restore(engine: Engine, source: Path, schedule: Schedule) -> dict[str, Any]:
    """Replace the database with the backup in `source`, then erase again what the ledger names.

    Returns `erasures_carried` (ledger entries added from the replaced database) and `reapplied`
    (rows erased again). The caller rebuilds the index from SQL afterwards.
    """
    source = resolve(source)
    manifest = read_manifest(source)
    if manifest.database != engine.dialect.name:
        raise BackupError(f"this backup is of {manifest.database}, the service uses {engine.dialect.name}")
    rows, key = _ledger(engine)
    engine.dispose()
    if is_sqlite(engine):
        backup_file = source / SQLITE_FILE
        if not backup_file.is_file():
            raise BackupError(f"{backup_file} is missing")
        live = _sqlite_path(engine)
        live.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(backup_file)
        dst = sqlite3.connect(live, timeout=30)
        try:
            src.backup(dst)
            dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            dst.close()
            src.close()
    else:
        dump = source / PG_FILE
        if not dump.is_file():
            raise BackupError(f"{dump} is missing")
        _load_tables(engine, dump, manifest.revision)
    upgrade(engine)  # a backup made by an older version gets this version's schema first
    carried = _merge_ledger(engine, rows, key)
    reapplied = erasure.reapply(engine, schedule)
    return {
        "backup": str(source),
        "revision": manifest.revision,
        "erasures_carried": carried,
        "reapplied": reapplied,
    }
