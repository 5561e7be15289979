"""The agenda a forum reads in minutes, end to end: the real excerpt, the real model, the CLI.

In a fresh data directory with the real portfolio excerpt and three ideas, triaged (which puts
an idea before Lösningsforum), the next Lösningsforum agenda names 22-04 beside the parking idea,
and no item is longer than 15 non-blank Markdown lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.agenda_shape import MAX_ITEM_LINES, item_blocks
from tests.server import cli

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).parents[2]
PORTFOLIO = ROOT / "demo" / "portfolio" / "sundsvall-utvecklingsportfolj-utdrag.csv"
IDEAS = """submissions:
  - title: Parkeringstillstånd digitalt
    email: a.andersson@exempel.se
    text: Digital ansökan om parkeringstillstånd för rörelsehindrade, med status i Mina sidor.
  - title: Samma lönesystem i bolagen
    email: b.berg@exempel.se
    text: Alla kommunala bolag ska byta till samma HR- och lönesystem som kommunen.
  - title: Träd på skolgårdarna
    email: c.celsing@exempel.se
    text: Skolgårdarna behöver fler träd och bänkar, och eleverna vill vara med och planera.
"""


def test_the_next_agenda_names_22_04_beside_the_parking_idea_and_every_item_is_short(tmp_path: Path) -> None:
    env = {
        "BEREDNING_DATA_DIR": str(tmp_path / "data"),
        "BEREDNING_PUBLIC_BASE_URL": "https://beredning.example.se",
    }
    ideas = tmp_path / "ideas.yaml"
    ideas.write_text(IDEAS, encoding="utf-8")
    for args in (["db", "upgrade"], ["portfolio", "import", str(PORTFOLIO)], ["demo", "load", str(ideas)]):
        done = cli(args, env)
        assert done.returncode == 0, done.stderr
    built = cli(["agenda", "build", "--forum", "losningsforum"], env)
    assert built.returncode == 0, built.stderr
    blocks = item_blocks(built.stdout)
    assert len(blocks) == 3, built.stdout
    for lines in blocks.values():
        assert len(lines) <= MAX_ITEM_LINES, "\n".join(lines)
        assert any(line.startswith("**Förslag:**") for line in lines)
        assert any("https://beredning.example.se/forums/losningsforum/items/IN-" in line for line in lines)
    parking = next(
        lines for lines in blocks.values() if any("Parkeringstillstånd digitalt" in x for x in lines)
    )
    named = [line for line in parking if line.startswith("- 22-04 ")]
    assert named and "portföljinitiativ" in named[0], "\n".join(parking)
    assert any(line.startswith("**Förslag:** Slå ihop med 22-04") for line in parking), "\n".join(parking)
    trees = next(lines for lines in blocks.values() if any("Träd på skolgårdarna" in x for x in lines))
    assert not any(line.startswith("- 2") for line in trees), "an idea without a match names no initiative"
    assert "a.andersson" not in built.stdout and "Andersson" not in built.stdout
