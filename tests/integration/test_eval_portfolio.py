"""`beredning eval portfolio` end to end: the real embedder, the service's import and matcher."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from intake.cli import main

pytestmark = pytest.mark.integration

PORTFOLIO = Path(__file__).parents[2] / "demo" / "portfolio" / "sundsvall-utvecklingsportfolj-utdrag.csv"
QUERIES = """expected\tquery
22-04\tDigital ansökan om parkeringstillstånd för rörelsehindrade, med status i Mina sidor.
22-07,20-03\tVi behöver arkivera verksamhetens handlingar i e-arkivet i stället för på papper.
22-35\tInvånarna vill kunna chatta med kommunen på webbplatsen.
none\tSkolgårdarna behöver fler träd och bänkar.
"""


def _run(tmp_path: Path, *args: str) -> tuple[int, str]:
    queries = tmp_path / "queries.tsv"
    if not queries.exists():
        queries.write_text(QUERIES, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "--data-dir",
            str(tmp_path / "data"),
            "eval",
            "portfolio",
            "--portfolio",
            str(PORTFOLIO),
            "--queries",
            str(queries),
            "--cache-dir",
            str(tmp_path / "cache"),
            *args,
        ],
    )
    return result.exit_code, result.output


def test_figures_and_the_table_per_idea(tmp_path: Path) -> None:
    code, output = _run(tmp_path, "--json")
    assert code == 0, output
    figures = json.loads(output)
    assert {"top1", "flag_precision", "flag_recall", "none_flagged"} <= set(figures)
    assert (figures["queries"], figures["answered"], figures["none_queries"]) == (4, 3, 1)
    assert figures["portfolio_items"] == 15 and 0 < figures["flag_threshold"] < 1
    assert figures["top1"] is not None and figures["top1"] >= 2 / 3, "parking and e-archive are plain"
    assert 0 <= figures["flag_recall"] <= 1 and figures["none_flagged"] in (0, 1)
    code, table = _run(tmp_path)
    assert code == 0, table
    assert "top1" in table and "22-04" in table and "Digital ansökan om parkeringstillstånd" in table
    assert not (tmp_path / "data" / "beredning.sqlite3").exists(), "the scratch database is gone"


def test_a_bad_queries_file_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "queries.tsv").write_text("expected\tquery\n22-04 only one column\n", encoding="utf-8")
    code, output = _run(tmp_path)
    assert code == 1 and "line 2" in output and "Traceback" not in output
    (tmp_path / "queries.tsv").write_text("nr;text\n", encoding="utf-8")
    code, output = _run(tmp_path)
    assert code == 1 and "header" in output
