"""The pages in a real browser (Debian's Chromium, headless): the intake form, login, logout, the queue.

Every page is screenshotted to `test-artifacts/screenshots/` and checked with axe-core; a serious
or critical violation fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser import PASSWORD, check_page, log_in
from tests.server import api_key_headers, app_env, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARKING = "Invånare ska kunna ansöka om parkeringstillstånd digitalt och följa sitt ärende i en app."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("data")
    env = app_env(data_dir, accounts=[("anna.digit@kommun.se", "digit"), ("forum@kommun.se", "forum")])
    key = api_key_headers(env)
    with running_server(env, data_dir / "server.log") as base:
        for text in (
            "Skolan behöver ett bättre sätt att boka lokaler för föreningar på kvällarna.",
            "Vi vill kunna signera avtal digitalt i stället för att skriva ut och skanna dem.",
            "Hemtjänsten saknar en app för att se dagens besök och ändringar i schemat.",
        ):
            created = httpx.post(f"{base}/api/submissions", json={"text": text}, headers=key, timeout=120)
            assert created.status_code == 201, created.text
        yield base


def test_submit_through_the_form_and_get_a_receipt(server: str, page: Page) -> None:
    page.goto(f"{server}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lämna en idé eller ett behov")
    check_page(page, "intake-form")
    page.get_by_label("Beskriv din idé eller ditt behov").fill(PARKING)
    page.get_by_label("Ditt namn").fill("Test Testsson")
    page.get_by_role("button", name="Skicka").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tack! Vi har tagit emot din idé")
    expect(page.locator("#reference")).to_have_text(re.compile(r"^IN-\d{4}-\d{5}$"))
    check_page(page, "intake-receipt")


def test_form_errors_are_announced_and_accessible(server: str, page: Page) -> None:
    page.goto(f"{server}/")
    page.get_by_label("Beskriv din idé eller ditt behov").fill("kort")
    page.get_by_role("button", name="Skicka").click()
    expect(page.get_by_role("alert")).to_contain_text("Något behöver rättas")
    check_page(page, "intake-form-errors")


def test_staff_login_wrong_password_then_success_then_logout(server: str, page: Page) -> None:
    page.goto(f"{server}/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")
    check_page(page, "login")
    log_in(page, server, "anna.digit@kommun.se", "fel lösenord här")
    expect(page.get_by_role("alert")).to_have_text("Fel e-postadress eller lösenord.")
    expect(page.get_by_label("E-postadress")).to_have_value("anna.digit@kommun.se")
    check_page(page, "login-wrong-password")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page).to_have_url(f"{server}/review/")
    expect(page.get_by_text("Inloggad som Anna Digit")).to_be_visible()
    check_page(page, "review-queue")
    page.get_by_role("button", name="Logga ut").click()
    expect(page).to_have_url(f"{server}/login?out=1")
    expect(page.get_by_role("status")).to_have_text("Du är utloggad.")
    check_page(page, "logged-out")
    page.goto(f"{server}/review/")
    expect(page).to_have_url(re.compile(r"/login\?next=/review/"))


def test_login_page_in_english(server: str, page: Page) -> None:
    page.goto(f"{server}/login?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check_page(page, "login-en")


def test_queue_filters_update_in_place_with_counts(server: str, page: Page) -> None:
    log_in(page, server, "anna.digit@kommun.se")
    expect(page).to_have_url(f"{server}/review/")
    total = page.locator("#result-count")
    expect(total).to_have_text(re.compile(r"^\d+ ärenden$"))
    before = int(total.inner_text().split()[0])
    assert before >= 3
    channel = page.get_by_label("Kanal")
    api_option = channel.locator("option[value='api']").inner_text()
    api_count = int(re.search(r"\((\d+)\)", api_option).group(1))  # type: ignore[union-attr]
    assert 3 <= api_count <= before
    channel.select_option("api")  # htmx swaps the results; no page load
    expect(page).to_have_url(re.compile(r"/review/\?.*channel=api"))
    expect(total).to_have_text(f"{api_count} ärenden")
    expect(page.locator("table.queue tbody tr")).to_have_count(api_count)
    check_page(page, "review-queue-filtered")
    page.get_by_label("Ålder").select_option("older")
    expect(total).to_have_text("0 ärenden")
    expect(page.get_by_text("Inget ärende matchar filtret.")).to_be_visible()


def test_a_forum_member_may_not_open_the_queue(server: str, page: Page) -> None:
    log_in(page, server, "forum@kommun.se")
    page.goto(f"{server}/review/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Du har inte behörighet")
    check_page(page, "forbidden")


def test_the_accessibility_check_can_fail(page: Page) -> None:
    """axe really runs: a page with an unlabelled image and an unlabelled field has violations."""
    from tests.browser import FAILING_IMPACTS, axe_violations

    page.set_content(
        '<html lang="sv"><title>x</title><main><img src="a.png"><input type="text"></main></html>'
    )
    rules = {v["id"] for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS}
    assert {"image-alt", "label"} <= rules


def test_the_api_documentation_loads_nothing_from_other_origins(server: str, page: Page) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{server}/schema")
    expect(page.get_by_text("Beredning API").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("/api/submissions").first).to_be_visible()
    foreign = [url for url in requested if not url.startswith((server, "data:"))]
    assert requested and not foreign, foreign
