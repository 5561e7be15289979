"""The portfolio pages in a real browser: browse, search live, open an item, the staff import's dry run.

Each page is screenshotted to `test-artifacts/screenshots/` and checked with axe-core.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import check_page, log_in
from tests.server import app_env, cli, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEMO = Path(__file__).parents[2] / "demo" / "portfolio" / "sundsvall-utvecklingsportfolj-utdrag.csv"
STAFF = "pia.portfolj@kommun.se"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("data")
    env = app_env(data_dir, accounts=[(STAFF, "digit")])
    done = cli(["portfolio", "import", str(DEMO), "--no-index"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    with running_server(env, data_dir / "server.log", wait_for_model=False) as base:
        yield base


def test_browse_and_search_live(server: str, page: Page) -> None:
    page.goto(f"{server}/portfolio")
    expect(page.get_by_role("heading", level=1)).to_have_text("Portföljen")
    count = page.locator("#result-count")
    expect(count).to_have_text("15 initiativ.")
    expect(page.locator("#results tbody tr")).to_have_count(15)
    check_page(page, "portfolio-list")
    url_before = page.url
    page.get_by_label("Sök i portföljen").press_sequentially("HEROMA", delay=30)
    # htmx swaps the results in place: the count and rows change, the box keeps what was typed
    expect(count).to_have_text("3 initiativ.")
    expect(page.locator("#results tbody tr")).to_have_count(3)
    expect(page.get_by_label("Sök i portföljen")).to_have_value("HEROMA")
    expect(page.get_by_label("Sök i portföljen")).to_be_focused()
    expect(page).to_have_url(re.compile(r"/portfolio\?.*q=HEROMA"))
    assert page.url != url_before
    check_page(page, "portfolio-search")
    page.get_by_label("Sök i portföljen").fill("öka takten")
    page.get_by_label("Sök i portföljen").press("End")  # a keyup: the debounced search fires
    expect(count).to_have_text("1 initiativ.")
    page.get_by_role("link", name="Öka takten i e-arkiv").click()
    expect(page).to_have_url(f"{server}/portfolio/22-07")
    expect(page.get_by_role("heading", level=1)).to_have_text("22-07 Öka takten i e-arkiv")
    expect(page.locator("#funded")).to_have_text("Ja")
    check_page(page, "portfolio-item")
    page.get_by_role("link", name="Beskriv ditt behov").click()
    expect(page.get_by_label("Beskriv din idé eller ditt behov")).to_have_value(
        re.compile(r"^Jag vill ansluta mig till initiativ 22-07")
    )


def test_search_works_without_javascript(server: str, browser: object) -> None:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(java_script_enabled=False, locale="sv-SE")
    try:
        page = context.new_page()
        page.goto(f"{server}/portfolio")
        page.get_by_label("Sök i portföljen").fill("årlig")
        page.get_by_label("År", exact=True).select_option("2022")
        page.get_by_role("button", name="Sök", exact=True).click()
        expect(page).to_have_url(re.compile(r"/portfolio\?.*q=%C3%A5rlig.*year=2022"))
        expect(page.locator("#result-count")).to_have_text("1 initiativ.")
        expect(page.locator("#results tbody tr td").first).to_have_text("22-45")
    finally:
        context.close()


def test_staff_import_with_a_dry_run(server: str, page: Page) -> None:
    log_in(page, server, STAFF)
    page.goto(f"{server}/portfolio")
    page.get_by_role("link", name="Importera en fil").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importera portföljen")
    expect(page.get_by_label("Provkör: visa vad som skulle ändras utan att spara något")).to_be_checked()
    page.get_by_label("Fil (CSV eller Excel)").set_input_files(str(DEMO))
    page.get_by_role("button", name="Importera").click()
    expect(page.get_by_role("heading", level=2, name=re.compile("Provkörning av"))).to_be_visible()
    expect(page.locator("#count-unchanged")).to_have_text("15")
    expect(page.locator("#count-updated")).to_have_text("0")
    expect(page.locator("#warnings li")).to_have_count(7)
    check_page(page, "portfolio-import")
