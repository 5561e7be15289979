"""`beredning eval drafts`: the configured drafter scored on a gold file, rules only and with a real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from intake.cli import main
from tests.llm import capture_proxy, llama_process

pytestmark = pytest.mark.integration

ITEMS = [
    "nyttor-och-effekter",
    "avgransningar",
    "utgangspunkter",
    "deltagare",
    "forankring",
    "beroenden",
    "tidsplan",
    "kvalitetssakring",
    "slutmote",
    "behov",
    "nulage",
    "kostnad",
    "gemensam-infrastruktur",
    "personuppgifter",
    "risker",
]
PARKING = (
    "Idag skickar invånare in ansökan om parkeringstillstånd för rörelsehindrade på papper, och vi "
    "skriver in uppgifterna för hand i verksamhetssystemet. Det tar ungefär 40 minuter per ärende och "
    "vi har cirka 900 ärenden om året. Vi vill att man ska kunna ansöka digitalt med e-legitimation."
)


def _line(case: str, text: str, covered: tuple[str, ...], kind: str = "behov") -> str:
    gaps = {item: ("covered" if item in covered else "missing") for item in ITEMS}
    return json.dumps(
        {
            "id": case,
            "channel": "form",
            "title": "",
            "text": text,
            "kind": kind,
            "initiative_type": "needs_human",
            "gaps": gaps,
            "evidence": {},
        },
        ensure_ascii=False,
    )


def _gold(tmp_path: Path) -> Path:
    path = tmp_path / "liten.drafts.jsonl"
    lines = [
        _line("d-1", PARKING, ("behov", "nulage")),
        _line("d-2", "Kan vi få wifi i matsalen? Eleverna vill jobba där på håltimmarna.", ("behov",), "ide"),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["--data-dir", str(tmp_path / "data"), "eval", "drafts", *args], env=env
    )
    return result.exit_code, result.output


def test_rules_only_figures_and_table(tmp_path: Path) -> None:
    gold = _gold(tmp_path)
    code, output = _run(tmp_path, str(gold), "--json")
    assert code == 0, output
    figures = json.loads(output)
    assert {"accuracy", "macro_f1", "per_class", "kind_accuracy", "initiative_type_accuracy", "model"} <= set(
        figures
    )
    assert figures["model"] == "rules" and figures["submissions"] == 2
    assert set(figures["per_class"]) == {"covered", "partly", "missing"}
    assert figures["per_class"]["missing"]["support"] == 2 * 15 - 3
    assert 0.5 <= figures["accuracy"] <= 1, (
        "most items of two short texts are missing, and the rules see that"
    )
    code, table = _run(tmp_path, str(gold))
    assert code == 0 and "macro F1" in table and "drafted by rules" in table


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json\n", "liten.drafts.jsonl:1: not valid JSON"),
        ('{"id": "x", "text": "t"}\n', "missing or malformed kind"),
        (_line("d", "text", ()).replace('"missing"', '"saknas"', 1) + "\n", "unknown status saknas"),
        (
            _line("d", "text", ()).replace('"risker"', '"okand-punkt"') + "\n",
            "unknown checklist item okand-punkt",
        ),
        ("\n", "no submissions"),
    ],
)
def test_a_bad_gold_file_is_named_with_its_line(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "liten.drafts.jsonl"
    path.write_text(content, encoding="utf-8")
    code, output = _run(tmp_path, str(path))
    assert code == 1 and reason in output and "Traceback" not in output


@pytest.mark.slow
def test_with_a_real_model_the_model_is_asked_and_named(tmp_path: Path) -> None:
    """SmolLM2-135M on llama.cpp: a test of the plumbing, not of quality. The model is asked for
    every submission with the masked text; its answer is merged with the rules, or, when it is not
    valid, the submission stays with the rules and is counted in `model_errors`."""
    gold = tmp_path / "en.drafts.jsonl"
    gold.write_text(
        _line("d-1", PARKING + " /Karin Lindqvist, 070-123 45 67", ("behov",)) + "\n", encoding="utf-8"
    )
    with llama_process(log_path=tmp_path / "llama.log") as llama, capture_proxy(llama.base_url) as proxy:
        env = {
            "BEREDNING_LLM__BASE_URL": proxy.base_url,
            "BEREDNING_LLM__MODEL": "smollm2",
            "BEREDNING_LLM__API_KEY": "local",
            "BEREDNING_LLM__TIMEOUT_SECONDS": "300",
            "BEREDNING_LLM__DEADLINE_SECONDS": "400",
            "BEREDNING_LLM__MAX_ATTEMPTS": "1",
        }
        code, output = _run(tmp_path, str(gold), "--json", env=env)
    assert code == 0, output
    figures = json.loads(output)
    asked = ["\n".join(r.message_texts()) for r in proxy.requests if r.body]
    assert asked, "the model was asked"
    assert not any("070-123 45 67" in body for body in asked), "personal data reached the model"
    assert figures["drafted_by_model"] + figures["model_errors"] == 1
    if figures["drafted_by_model"]:
        assert figures["model"] != "rules" and figures["output_tokens_per_draft"] > 0
    else:
        assert figures["model"] == "rules"
