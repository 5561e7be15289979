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


def _run(
    tmp_path: Path, *args: str, queries: Path | None = None, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """`beredning eval portfolio` on the demo excerpt with `queries` (default: QUERIES written out)."""
    if queries is None:
        queries = tmp_path / "queries.tsv"
        if not queries.exists():
            queries.write_text(QUERIES, encoding="utf-8")
    common = [
        "--portfolio",
        str(PORTFOLIO),
        "--queries",
        str(queries),
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    return _cli(tmp_path, "eval", "portfolio", *common, *args, env=env)


def _cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), *args], env=env)
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
    (tmp_path / "queries.tsv").write_text(
        "expected\tquery\n99-99\tEtt initiativ som inte finns.\n", encoding="utf-8"
    )
    code, output = _run(tmp_path)
    assert code == 1 and "line 2: 99-99 is not in" in output and "Traceback" not in output


def test_the_parking_idea_is_flagged_against_22_04_in_a_fresh_data_directory(tmp_path: Path) -> None:
    """The real excerpt, the real model, the shipped score model and glossary, nothing else."""
    assert _cli(tmp_path, "db", "upgrade")[0] == 0
    code, output = _cli(tmp_path, "portfolio", "import", str(PORTFOLIO))
    assert code == 0, output
    idea = "Digital ansökan om parkeringstillstånd för rörelsehindrade, med status i Mina sidor"
    code, output = _cli(tmp_path, "similar", "--json", "--kind", "portfolio", idea)
    assert code == 0, output
    first = json.loads(output)["results"][0]
    assert (first["ref"], first["possible_duplicate"]) == ("22-04", True)
    # the glossary names the system the idea only describes, and says so
    hr = "Alla kommunala bolag ska byta till samma HR- och lönesystem som kommunen."
    code, output = _cli(tmp_path, "similar", "--json", "--kind", "portfolio", hr)
    first = json.loads(output)["results"][0]
    assert first["ref"] == "21-11" and "Heroma är kommunens HR- och lönesystem." in first["reason"]
    # an English idea is compared by its meaning, not by letters it cannot share
    las = "Managers need a tool that counts employment days under LAS for substitutes and warns them in time."
    code, output = _cli(tmp_path, "similar", "--json", "--kind", "portfolio", las)
    first = json.loads(output)["results"][0]
    assert first["ref"] == "22-23" and "Olika språk" in first["reason"]
    # without the glossary (an empty one configured) the HR idea loses its explanation
    (tmp_path / "empty.yaml").write_text("terms: []\n", encoding="utf-8")
    env = {"BEREDNING_GLOSSARY_FILE": str(tmp_path / "empty.yaml")}
    code, output = _cli(tmp_path, "similar", "--json", "--kind", "portfolio", hr, env=env)
    assert code == 0 and "Heroma är" not in output


def test_a_broken_glossary_file_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("terms: [{term: Heroma}]\n", encoding="utf-8")
    env = {"BEREDNING_GLOSSARY_FILE": str(tmp_path / "bad.yaml")}
    code, output = _cli(tmp_path, "similar", "--json", "parkering", env=env)
    assert code == 1 and "bad.yaml" in output and "Traceback" not in output
    code, output = _cli(tmp_path, "glossary", "check", str(tmp_path / "bad.yaml"))
    assert code == 1 and "means" in output
    code, output = _cli(tmp_path, "glossary", "show", "--json")
    assert code == 0 and json.loads(output)["source"] == "intake/data/glossary.yaml"


FIT_QUERIES = """expected\tquery
22-04\tDigital ansökan om parkeringstillstånd för rörelsehindrade.
22-04\tParkeringstillstånd för personer med funktionsnedsättning borde sökas på nätet.
22-07\tVi behöver leverera fler system till e-arkivet i snabbare takt.
22-07\tArkiveringen i e-arkivet går för långsamt, förvaltningarna väntar.
22-35\tInvånarna vill kunna chatta med kommunen på webbplatsen.
22-35\tKan vi få en chatt på hemsidan för alla bolag och förvaltningar?
21-11\tBolagen ska byta till samma lönesystem som kommunen.
21-11\tDe kommunala bolagen behöver gå över till Heroma.
23-01\tBrev till invånarna borde gå till deras digitala brevlåda.
23-01\tUtred hur vi kan skicka digital post i stället för papper.
none\tSkolgårdarna behöver fler träd och bänkar.
none\tBiblioteket vill låna ut surfplattor.
"""


def test_fit_portfolio_chooses_by_cross_validation_and_writes_a_loadable_model(tmp_path: Path) -> None:
    queries = tmp_path / "fit.tsv"
    queries.write_text(FIT_QUERIES, encoding="utf-8")
    out = tmp_path / "model.json"
    args = ["eval", "fit-portfolio", "--portfolio", str(PORTFOLIO), "--queries", str(queries)]
    args += ["--folds", "3", "--repeats", "2", "--cache-dir", str(tmp_path / "cache")]
    code, output = _cli(tmp_path, *args, "--out", str(out), "--json")
    assert code == 0, output
    report = json.loads(output)
    assert len(report["candidates"]) == 4
    chosen = next(c for c in report["candidates"] if c["name"] == report["chosen"])
    assert chosen["merit"] == max(c["merit"] for c in report["candidates"])
    from retrieval.scoring import ScoreModel

    model = ScoreModel.load(out)
    kind = model.kinds["portfolio"]
    assert kind.threshold == model.threshold and 0 <= kind.floor <= kind.threshold
    assert kind.provenance["cross_validated"]["folds"] == 3
    # the service scores with the written model when it is configured
    env = {"BEREDNING_SIMILARITY__SCORE_MODEL": str(out)}
    code, output = _run(tmp_path, "--json", queries=queries, env=env)
    assert code == 0, output
    assert json.loads(output)["top1"] >= 0.8
    # no idea with an answer: nothing to fit on, said in one line
    (tmp_path / "none.tsv").write_text("expected\tquery\nnone\tNågot helt annat.\n", encoding="utf-8")
    code, output = _cli(
        tmp_path,
        "eval",
        "fit-portfolio",
        "--portfolio",
        str(PORTFOLIO),
        "--queries",
        str(tmp_path / "none.tsv"),
    )
    assert code == 1 and "nothing to fit" in output and "Traceback" not in output
