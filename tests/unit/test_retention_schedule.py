"""The retention schedule as data: the shipped file, what a wrong file is told, scrubbing words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from intake.domain.retention import Action, Event, Record, RetentionFileError, load_schedule
from intake.services.personal_data import identifiers, scrub

SHIPPED = load_schedule()


def test_the_shipped_schedule_covers_every_record_and_names_its_sources() -> None:
    assert {r.record for r in SHIPPED.rules} == set(Record)
    assert all(r.source.strip() for r in (*SHIPPED.rules, *SHIPPED.erasure))
    raw = [r for r in SHIPPED.rules if r.record == Record.RAW_MAIL and r.from_event == Event.TRIAGED]
    assert [(r.after_days, r.action) for r in raw] == [(30, Action.CULL)], (
        "mail bytes go 30 days after triage"
    )
    assert SHIPPED.erasure_rule(decided=True, closed=False).action == "anonymise"
    assert SHIPPED.erasure_rule(decided=False, closed=True).action == "delete"
    assert SHIPPED.rules_for(Record.INDEX) == [], "the index follows the submission by default (keep)"
    assert SHIPPED.backup_days() == 35


def test_a_rule_counts_from_its_event() -> None:
    (rule,) = [r for r in SHIPPED.rules if r.id == "login-attempts"]
    now = datetime(2026, 12, 7, tzinfo=UTC)
    assert rule.cutoff(now) == now - timedelta(days=30)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            "{id: x, record: login_attempt, from: closed, after_days: 1, action: cull, source: s}",
            "not counted from closed",
        ),
        (
            "{id: x, record: raw_mail, from: received, after_days: 1, action: anonymise, source: s}",
            "cannot be anonymised",
        ),
        ("{id: x, record: mails, from: received, after_days: 1, action: cull, source: s}", "record"),
        ("{id: x, record: session, from: received, after_days: -1, action: cull, source: s}", "after_days"),
        ("{id: x, record: session, from: received, after_days: 1, action: cull}", "source"),
    ],
)
def test_a_wrong_rule_is_refused_with_the_reason(tmp_path: Path, rule: str, message: str) -> None:
    path = tmp_path / "retention.yaml"
    erasure = "erasure:\n  - {id: e, action: delete, source: s}\n"
    path.write_text(f"plan: p\nclosed_steps: [avslutad]\nrules:\n  - {rule}\n{erasure}", encoding="utf-8")
    with pytest.raises(RetentionFileError, match=message) as raised:
        load_schedule(path)
    assert str(path) in str(raised.value)


def test_ids_are_unique_and_the_last_erasure_rule_applies_always(tmp_path: Path) -> None:
    path = tmp_path / "retention.yaml"
    twice = "  - {id: a, record: session, from: received, after_days: 1, action: cull, source: s}\n" * 2
    path.write_text(
        f"plan: p\nclosed_steps: [x]\nrules:\n{twice}erasure:\n  - {{id: e, action: delete, source: s}}\n",
        encoding="utf-8",
    )
    with pytest.raises(RetentionFileError, match="used twice: a"):
        load_schedule(path)
    decided_only = "  - {id: e, action: delete, only_if: decided, source: s}\n"
    path.write_text(f"plan: p\nclosed_steps: [x]\nrules: []\nerasure:\n{decided_only}", encoding="utf-8")
    with pytest.raises(RetentionFileError, match="must apply always"):
        load_schedule(path)


def test_identifiers_cover_the_address_its_parts_and_the_name() -> None:
    found = identifiers("karin.zetterqvist@sundsvall.se", "Karin Zetterqvist")
    assert {"karin.zetterqvist@sundsvall.se", "karin.zetterqvist", "zetterqvist", "Karin Zetterqvist"} <= set(
        found
    )
    assert found == sorted(found, key=len, reverse=True), (
        "longest first, so a whole address goes before its parts"
    )


def test_scrub_removes_what_masking_misses_when_the_person_is_known() -> None:
    names = identifiers("karin.zetterqvist@sundsvall.se", "Karin Zetterqvist")
    text = "Zetterqvists förslag, pnr 811228-9874, av zetterqvist i Teams: karin.zetterqvist@sundsvall.se"
    scrubbed = scrub(text, names) or ""
    assert "zetterqvist" not in scrubbed.lower() and "811228" not in scrubbed
    assert "förslag" in scrubbed and "Teams" in scrubbed
