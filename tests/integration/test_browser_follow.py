"""The submitter's way in a real browser: suggestions while typing, the receipt with the follow
link, DigIT's question, and the answer through the follow page.

Every page is screenshotted to `test-artifacts/screenshots/` and checked with axe-core.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from intake.db import create_db_engine
from intake.drafting.checklists import load_checklists
from intake.services import questions
from intake.settings import Settings
from tests.browser import check_page
from tests.server import app_env, cli, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEMO = Path(__file__).parents[2] / "demo" / "portfolio" / "sundsvall-utvecklingsportfolj-utdrag.csv"
PARKING = (
    "Invånare ska kunna söka parkeringstillstånd digitalt i stället för på papper, "
    "och se hur långt ansökan har kommit."
)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = app_env(tmp_path_factory.mktemp("data"))
    imported = cli(["portfolio", "import", str(DEMO)], env)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    return env


@pytest.fixture(scope="module")
def server(env: dict[str, str]) -> Iterator[str]:
    with running_server(env, Path(env["BEREDNING_DATA_DIR"]) / "server.log") as base:
        yield base


def test_submit_with_suggestions_then_follow_and_answer(server: str, env: dict[str, str], page: Page) -> None:
    page.goto(f"{server}/")
    text = page.get_by_label("Beskriv din idé eller ditt behov")
    text.press_sequentially(PARKING, delay=5)

    # The suggestions appear while typing: the portfolio initiative as a link to its page, the
    # count announced in a status region.
    suggestion = page.locator("#live-list a", has_text="SBK Parkeringsstillstånd")
    expect(suggestion).to_be_visible()
    expect(suggestion).to_have_attribute("href", re.compile(r"^/portfolio/22-04\?lang=sv$"))
    expect(page.locator("#live-status")).to_have_text(re.compile(r"^(1 liknande|\d+ liknande) initiativ"))
    expect(page.locator("#live")).to_be_visible()

    # Keyboard: from the text, Tab reaches the first suggestion before the next field.
    text.focus()
    page.keyboard.press("Tab")
    first = page.locator("#live-list a").first
    expect(first).to_be_focused()
    check_page(page, "submit-suggestions")

    page.get_by_label("Din e-postadress").fill("asa@kommun.se")
    page.get_by_role("button", name="Skicka").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tack! Vi har tagit emot din idé")
    reference = page.locator("#reference").inner_text()
    assert re.fullmatch(r"IN-\d{4}-\d{5}", reference)
    link = page.locator("#follow-link")
    expect(link).to_have_text(re.compile(re.escape(server) + r"/follow/[A-Za-z0-9_-]{43}$"))
    expect(page.locator("ol.matches a", has_text="SBK Parkeringsstillstånd")).to_have_attribute(
        "href", "/portfolio/22-04?lang=sv"
    )
    check_page(page, "submit-receipt")
    follow_link = link.get_attribute("href")
    assert follow_link

    # DigIT asks about a gap (as the item page or `beredning ask` does).
    settings = Settings(
        data_dir=Path(env["BEREDNING_DATA_DIR"]), database={"url": env["BEREDNING_DATABASE__URL"]}
    )
    engine = create_db_engine(settings)
    try:
        questions.ask(
            engine,
            reference,
            "tidsplan",
            "anna.digit",
            question="När behöver ni tjänsten?",
            checklists=load_checklists(),
        )
    finally:
        engine.dispose()

    page.goto(follow_link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Ditt förslag {reference}")
    expect(page.get_by_role("heading", name="När behöver ni tjänsten?")).to_be_visible()
    expect(page.locator("#step-name")).to_have_text("Formulera och utforska behov")
    check_page(page, "follow-status")

    page.get_by_label("Ditt svar").fill("Före sommaren, när säsongen börjar.")
    page.get_by_role("button", name="Skicka svaret").click()
    expect(page.get_by_role("status")).to_have_text("Tack för ditt svar! DigIT ser det i ärendet.")
    expect(page.locator(".answered .answer-text")).to_have_text("Före sommaren, när säsongen börjar.")
    expect(page.locator("#no-questions")).to_be_visible()
    expect(page.get_by_label("Ditt svar")).to_have_count(0)
    check_page(page, "follow-answered")
