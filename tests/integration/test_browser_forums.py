"""The forum pages in a real browser (Debian's Chromium, headless): a forum member opens the list
and the agenda, prints it (print media: no navigation, no forms) and records a decision.

Every page is screenshotted to `test-artifacts/screenshots/` and checked with axe-core.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect
from sqlmodel import Session

from intake.db import create_db_engine
from intake.models import Submission, utcnow
from intake.settings import Settings
from tests.browser import SCREENSHOTS, check_page, log_in
from tests.server import app_env, cli, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).parents[2]
LAMPS = "Felanmälan av gatubelysning med karta"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("data")
    env = app_env(data_dir, accounts=[("forum@kommun.se", "forum")])
    for args in (
        ["db", "upgrade"],
        [
            "portfolio",
            "import",
            str(ROOT / "demo" / "portfolio" / "sundsvall-utvecklingsportfolj-utdrag.csv"),
        ],
        ["demo", "load", str(ROOT / "demo" / "submissions.yaml")],
    ):
        done = cli(args, env)
        assert done.returncode == 0, done.stdout + done.stderr
    engine = create_db_engine(Settings(data_dir=data_dir, database={"url": env["BEREDNING_DATABASE__URL"]}))
    with Session(engine) as session:  # in a month ago: due at the next meeting whatever the hour
        session.execute(sa.update(Submission).values(received_at=utcnow() - timedelta(days=30)))
        session.commit()
    engine.dispose()
    with running_server(env, data_dir / "server.log", wait_for_model=False) as base:
        yield base


def test_a_forum_member_reads_prints_and_decides(server: str, page: Page) -> None:
    log_in(page, server, "forum@kommun.se")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Forum").click()
    expect(page).to_have_url(f"{server}/forums")
    expect(page.get_by_role("heading", level=1)).to_have_text("Forum")
    table = page.get_by_role("table", name="Forumen och deras nästa möte")
    expect(table.get_by_role("row")).to_have_count(5)  # the header and four forums
    check_page(page, "forums-list")

    page.get_by_role("link", name="Dagordning för Lösningsforum").click()
    expect(page).to_have_url(f"{server}/forums/losningsforum")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dagordning: Lösningsforum")
    items = page.locator("article.agenda-item")
    expect(items).to_have_count(6)
    lamps = items.filter(has=page.get_by_role("heading", name=re.compile(LAMPS)))
    expect(lamps.get_by_role("radio", name="Gå vidare")).to_be_visible()
    expect(page.get_by_role("button", name="Skriv ut")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Dagordningen som PDF"))).to_have_attribute(
        "href", "/forums/losningsforum/agenda.pdf"
    )
    check_page(page, "forum-agenda")

    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.get_by_role("button", name="Skriv ut")).to_be_hidden()
    expect(page.locator("form.decide").first).to_be_hidden()
    expect(lamps.locator(".decision-lines")).to_be_visible()
    expect(lamps).to_contain_text("☐ Gå vidare")
    check_page(page, "forum-agenda-print")
    try:
        printed: bytes | None = page.pdf(format="A4", print_background=False)
    except PlaywrightError:  # not every Chromium build prints to PDF; the print media checks above hold
        printed = None
    if printed is not None:
        assert printed.startswith(b"%PDF-") and len(printed) > 5_000
        (SCREENSHOTS / "forum-agenda-print.pdf").write_bytes(printed)
    page.emulate_media(media="screen")

    reference = lamps.get_attribute("id")
    assert reference and reference.startswith("item-")
    reference = reference.removeprefix("item-")
    # the agenda names at most three open questions; the item's page has them all
    to_page = re.compile(r"^Ärendets sida|^Den öppna punkten|^Alla \d+ öppna punkter")
    lamps.get_by_role("link", name=to_page).click()
    expect(page).to_have_url(f"{server}/forums/losningsforum/items/{reference}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(LAMPS)
    expect(page.get_by_role("heading", name=re.compile(r"^Alla öppna punkter i checklistan"))).to_be_visible()
    check_page(page, "forum-item")
    page.get_by_role("link", name="Tillbaka till dagordningen").click()
    expect(page).to_have_url(f"{server}/forums/losningsforum#item-{reference}")
    lamps.get_by_role("radio", name="Gå vidare").check()
    lamps.get_by_label("Anteckning (frivillig)").fill("Bra underlag, vidare till arkitekterna.")
    lamps.get_by_role("button", name=f"Registrera beslut för {reference}").click()
    expect(page).to_have_url(f"{server}/forums/losningsforum?decided={reference}#item-{reference}")
    expect(page.get_by_role("status")).to_have_text(
        f"Beslutet Gå vidare för {reference} är registrerat. Ärendet är nu i Arkitektforum."
    )
    expect(page.locator("article.agenda-item")).to_have_count(5)
    decided = page.locator(f"tr#item-{reference}")
    expect(decided).to_contain_text("Bra underlag, vidare till arkitekterna.")
    expect(decided).to_contain_text("forum@kommun.se")
    check_page(page, "forum-decided")
