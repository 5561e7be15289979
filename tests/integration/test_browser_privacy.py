"""The personal-data page in a real browser: find a person, see what erasure would do, erase.

Screenshotted to `test-artifacts/screenshots/` and checked with axe-core like every page.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser import check_page, log_in
from tests.server import api_key_headers, app_env, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EMAIL = "karin.zetterqvist@sundsvall.se"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data_dir = tmp_path_factory.mktemp("data")
    env = app_env(data_dir, accounts=[("anna.digit@kommun.se", "digit")])
    key = api_key_headers(env, "submit")
    with running_server(env, data_dir / "server.log") as base:
        created = httpx.post(
            f"{base}/api/submissions",
            json={
                "text": "Ansökan om parkeringstillstånd borde bli digital. /Karin Zetterqvist",
                "submitter_name": "Karin Zetterqvist",
                "submitter_email": EMAIL,
            },
            headers=key,
            timeout=120,
        )
        assert created.status_code == 201, created.text
        yield base, created.json()["reference"]


def test_find_a_person_and_erase_them(server: tuple[str, str], page: Page) -> None:
    base, reference = server
    log_in(page, base, "anna.digit@kommun.se")
    page.get_by_role("link", name="Personuppgifter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Personuppgifter")
    check_page(page, "privacy")
    page.get_by_label("E-postadress").fill(EMAIL)
    page.get_by_role("button", name="Sök").click()
    found = page.locator("#found")
    expect(found).to_contain_text(reference)
    expect(found).to_contain_text("raderas")
    expect(page.get_by_role("button", name="Visa registerutdrag (utskrivbart)")).to_be_visible()
    check_page(page, "privacy-found")
    page.get_by_label("Skäl (t.ex. diarienummer för begäran)").fill("KS 2026/17")
    page.get_by_label("Jag har kontrollerat att begäran gäller den här personen").check()
    page.get_by_role("button", name="Radera nu").click()
    expect(page.get_by_role("status")).to_contain_text("Raderingen är genomförd")
    check_page(page, "privacy-erased")
    page.get_by_label("E-postadress").fill(EMAIL)
    page.get_by_role("button", name="Sök").click()
    expect(page.locator("#nothing")).to_have_text("Tjänsten har inga uppgifter om personen.")
