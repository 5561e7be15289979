"""`beredning redact` in a real process: masked text, JSON spans, the evaluation, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.server import cli

pytestmark = pytest.mark.integration

EMAIL = """Hej DigIT,

Jag vill föreslå att vi digitaliserar ansökan om färdtjänst. I dag ringer en brukare
(personnummer 811218-9876) och måste sedan skicka papper, ärende KS-2023-00123.
Budgeten är 150 000 kr och projektet hänger ihop med 22-04. Ring mig på 070-123 45 67.

Med vänliga hälsningar
Karin Lundqvist
Handläggare, Individ- och familjeomsorgen
Storgatan 12, 852 30 Sundsvall
karin.lundqvist@sundsvall.se
"""
PERSONAL = ("811218-9876", "070-123 45 67", "Karin Lundqvist", "Storgatan 12", "karin.lundqvist@sundsvall.se")
KEPT = ("KS-2023-00123", "150 000 kr", "22-04", "Handläggare, Individ- och familjeomsorgen")


def test_masks_a_swedish_email_with_signature() -> None:
    result = cli(["redact"], {}, input_text=EMAIL)
    assert result.returncode == 0, result.stderr
    for value in PERSONAL:
        assert value not in result.stdout
    for value in KEPT:
        assert value in result.stdout
    assert "(personnummer [PNR_1])" in result.stdout
    assert "Ring mig på [TELEFON_1]." in result.stdout
    assert "Med vänliga hälsningar\n[PERSON_1]\n" in result.stdout
    assert "[ADRESS_1]\n[EPOST_1]\n" in result.stdout


def test_json_spans_index_the_original(tmp_path: Path) -> None:
    directory = tmp_path / "staff.txt"
    directory.write_text("# personalkatalog\nMajken Zetterqvist\n\n", encoding="utf-8")
    text = EMAIL + "PS. Majken Zetterqvist vet mer.\n"
    result = cli(["redact", "--json", "--names-file", str(directory)], {}, input_text=text)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    spans = payload["spans"]
    assert all(set(span) == {"kind", "start", "end", "placeholder"} for span in spans)
    found = {text[s["start"] : s["end"]]: (s["kind"], s["placeholder"]) for s in spans}
    assert found == {
        "811218-9876": ("personnummer", "[PNR_1]"),
        "070-123 45 67": ("telefon", "[TELEFON_1]"),
        "Karin Lundqvist": ("person", "[PERSON_1]"),
        "Storgatan 12, 852 30 Sundsvall": ("adress", "[ADRESS_1]"),
        "karin.lundqvist@sundsvall.se": ("epost", "[EPOST_1]"),
        "Majken Zetterqvist": ("person", "[PERSON_2]"),
    }
    assert "PS. [PERSON_2] vet mer." in payload["text"]


def test_submitter_name_option() -> None:
    result = cli(["redact", "--name", "Gunvor Öhrn"], {}, input_text="Gunvor tycker att Öhrns idé är bra.")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[PERSON_1] tycker att [PERSON_1]s idé är bra.\n"


def test_evaluation_on_300_generated_texts() -> None:
    result = cli(["redact", "--evaluate", "300", "--seed", "0", "--json"], {})
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["texts"] == 300
    assert set(figures["recall"]) == {
        "personnummer",
        "samordningsnummer",
        "telefon",
        "epost",
        "person",
        "adress",
    }
    assert all(kind["planted"] > 0 for kind in figures["recall"].values())
    assert figures["overall"]["recall"] >= 0.99, figures["missed"]
    assert figures["lookalikes"] > 0
    assert figures["false_positives"] == 0, figures["false_positive_examples"]
    table = cli(["redact", "--evaluate", "20"], {})
    assert table.returncode == 0 and "overall" in table.stdout and "false positives" in table.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["redact", "--seed", "3"], "text", "--seed goes only with --evaluate"),
        (["redact", "--evaluate", "0"], None, "--evaluate"),
        (["redact", "--evaluate", "5", "--name", "Anna"], None, "do not go with --evaluate"),
        (["redact", "--names-file", "/no/such/file"], "text", "does not exist"),
    ],
)
def test_errors_are_one_clear_line(args: list[str], stdin: str | None, message: str) -> None:
    result = cli(args, {}, input_text=stdin)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_non_utf8_names_file_is_a_clear_error(tmp_path: Path) -> None:
    directory = tmp_path / "staff.txt"
    directory.write_bytes("Åsa Öhrn\n".encode("cp1252"))
    result = cli(["redact", "--names-file", str(directory)], {}, input_text="Hej")
    assert result.returncode == 1
    assert "is not UTF-8 text" in result.stderr and "Traceback" not in result.stderr
