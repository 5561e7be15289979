"""`beredning mail bench`: mails per second through parse, store and handle, and the slowest mail.

Runs in a temporary SQLite database of its own (never the configured one), without IMAP and
without acknowledgements, so it measures this service's part: what a poll adds on top is the
IMAP round trips (see the 500-mail test against Dovecot, which prints the same figures).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from beredning_bench.benchmark.mail_corpus import SampleMail, synthetic_mails


@dataclass
class MailBenchResult:
    """The figures of one run."""

    mails: int
    seconds: float
    parse_seconds: float
    slowest_seconds: float
    slowest_name: str
    kinds: dict[str, int] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)

    @property
    def mails_per_second(self) -> float:
        """Return mails handled (stored and turned into their outcome) per second."""
        return self.mails / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        """Return the figures as JSON-ready data."""
        return {
            "mails": self.mails,
            "seconds": round(self.seconds, 2),
            "mails_per_second": round(self.mails_per_second, 1),
            "parse_only_mails_per_second": round(self.mails / self.parse_seconds, 1)
            if self.parse_seconds
            else 0,
            "slowest_ms": round(self.slowest_seconds * 1000, 1),
            "slowest": self.slowest_name,
            "kinds": self.kinds,
            "mismatches": self.mismatches,
        }


def run_mail_bench(count: int, extra: list[Path], seed: int = 6) -> MailBenchResult:
    """Ingest `count` synthetic mails plus the files in `extra`; check each synthetic mail's outcome."""
    from intake.db import create_db_engine
    from intake.mail.limits import MailLimits
    from intake.mail.parse import parse_mail
    from intake.mail.pipeline import ingest
    from intake.migrate import upgrade
    from intake.settings import Settings

    samples: list[SampleMail] = synthetic_mails(count, seed)
    samples += [SampleMail(p.name, p.read_bytes(), "") for p in extra]
    with tempfile.TemporaryDirectory(prefix="mail-bench-") as directory:
        settings = Settings(data_dir=Path(directory), mailbox={"acknowledge": False})
        engine = create_db_engine(settings)
        upgrade(engine)
        limits = MailLimits.from_settings(settings.mailbox)
        # Lazy loads (the language model, SQLAlchemy's statement cache) belong to no mail.
        ingest(engine, synthetic_mails(1, seed + 1)[0].raw, settings, source="bench-warm-up")
        started = time.perf_counter()
        for sample in samples:
            parse_mail(sample.raw, limits)
        parse_seconds = time.perf_counter() - started
        kinds: Counter[str] = Counter()
        mismatches: list[str] = []
        slowest, slowest_name = 0.0, ""
        started = time.perf_counter()
        quiet = logging.getLogger("intake.mail")
        level, quiet.level = quiet.level, logging.ERROR  # a quarantined mail is expected here
        for sample in samples:
            began = time.perf_counter()
            outcome = ingest(engine, sample.raw, settings, source="bench")
            took = time.perf_counter() - began
            if took > slowest:
                slowest, slowest_name = took, sample.name
            kinds[outcome.kind] += 1
            if sample.kind and outcome.kind != sample.kind:
                mismatches.append(f"{sample.name}: {outcome.kind}, expected {sample.kind}")
        seconds = time.perf_counter() - started
        quiet.setLevel(level)
        engine.dispose()
    return MailBenchResult(
        len(samples), seconds, parse_seconds, slowest, slowest_name, dict(kinds), mismatches
    )
