"""`beredning mail parse | ingest | fetch` as a user runs them, in fresh processes."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from beredning_bench.benchmark.mail_corpus import synthetic_mails
from tests.dovecot import running_dovecot
from tests.server import cli

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).parents[1] / "mail"


def test_parse_prints_one_json_line_per_file_for_hundreds_of_files(tmp_path: Path) -> None:
    mails = synthetic_mails(300, seed=5)
    paths = []
    for mail in mails:
        path = tmp_path / f"{mail.name}.eml"
        path.write_bytes(mail.raw)
        paths.append(path)
    hostile = sorted(CORPUS.glob("*.eml"))
    started = time.perf_counter()
    result = cli(["mail", "parse", "--json", *map(str, paths), *map(str, hostile)], {})
    took = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [*map(str, paths), *map(str, hostile)]
    assert [line["kind"] for line in lines[: len(mails)]] == [m.kind for m in mails]
    assert took < 60, f"{len(lines)} files took {took:.1f} s"
    by_name = {Path(line["file"]).name: line for line in lines}
    swedish = by_name["swedish_qp_iso8859.eml"]
    assert (swedish["kind"], swedish["sender"], swedish["subject"]) == (
        "submission",
        "goran.astrom@sundsvall.se",
        "Förslag på bättre skidbussar till Åre",
    )
    assert "Jag föreslår" in swedish["text"]
    assert (
        by_name["exchange_oof_sv.eml"]["kind"] == "automatic" and "text" not in by_name["exchange_oof_sv.eml"]
    )
    assert by_name["binary_garbage.eml"]["kind"] == "quarantine"
    print(f"\nmail parse: {len(lines)} files in {took:.2f} s, kinds {Counter(li['kind'] for li in lines)}")


def test_parse_reports_an_unreadable_file_and_goes_on(tmp_path: Path) -> None:
    result = cli(["mail", "parse", "--json", str(tmp_path / "missing.eml"), str(CORPUS / "empty.eml")], {})
    assert result.returncode == 0
    missing, empty = (json.loads(line) for line in result.stdout.splitlines())
    assert missing["kind"] == "quarantine" and "cannot read" in missing["reason"]
    assert empty["kind"] == "quarantine"


def test_ingest_twice_stores_once_and_fetch_polls_the_mailbox(tmp_path: Path, database_url: str) -> None:
    env = {"BEREDNING_DATA_DIR": str(tmp_path / "data"), "BEREDNING_DATABASE__URL": database_url}
    assert cli(["db", "upgrade"], env).returncode == 0
    files = [str(CORPUS / n) for n in ("swedish_qp_iso8859.eml", "bounce_dsn.eml", "binary_garbage.eml")]
    first = cli(["mail", "ingest", *files], env)
    assert first.returncode == 0, first.stderr
    rows = [line.split("\t") for line in first.stdout.splitlines()]
    assert [r[1] for r in rows] == ["submission", "automatic", "quarantine"]
    assert rows[0][2].startswith("IN-")
    again = cli(["mail", "ingest", files[0]], env)
    assert again.stdout.split("\t")[2] == rows[0][2] and "stored before" in again.stdout

    no_box = cli(["mail", "fetch"], env)
    assert no_box.returncode == 1 and "BEREDNING_MAILBOX__HOST" in no_box.stderr
    with running_dovecot(tmp_path / "dovecot") as server:
        server.append(
            (CORPUS / "html_only_hidden.eml").read_bytes(), (CORPUS / "precedence_bulk.eml").read_bytes()
        )
        fetched = cli(["mail", "fetch", "--json"], {**env, **server.env(ACKNOWLEDGE="false")})
        assert fetched.returncode == 0, fetched.stderr
        report = json.loads(fetched.stdout)
        assert (report["fetched"], report["submissions"], report["automatic"]) == (2, 1, 1)
        wrong = cli(["mail", "fetch"], {**env, **server.env(PASSWORD="fel")})
        assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
        assert "IMAP 127.0.0.1" in wrong.stderr
