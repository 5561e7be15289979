"""The glossary page in a real browser: the entries, a refused edit, a saved one.

Screenshotted to `test-artifacts/screenshots/` and checked with axe-core like every page.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser import check_page, log_in
from tests.server import app_env, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("data")
    env = app_env(data_dir, accounts=[("anna.digit@kommun.se", "digit")])
    with running_server(env, data_dir / "server.log") as base:
        yield base


def test_read_refuse_and_save_the_glossary(server: str, page: Page) -> None:
    log_in(page, server, "anna.digit@kommun.se")
    page.get_by_role("link", name="Ordlista").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ordlista")
    expect(page.get_by_role("cell", name="Heroma", exact=True)).to_be_visible()
    check_page(page, "glossary")
    editor = page.get_by_label("Ordlistans text (YAML)")
    editor.fill("terms:\n  - term: Heroma\n")
    page.get_by_role("button", name="Spara ordlistan").click()
    expect(page.get_by_role("alert")).to_contain_text("means")
    expect(editor).to_have_value("terms:\n  - term: Heroma\n")
    check_page(page, "glossary-refused")
    editor.fill("terms:\n  - term: Heroma\n    means: kommunens HR- och lönesystem\n    also: [lönesystem]\n")
    page.get_by_role("button", name="Spara ordlistan").click()
    expect(page.get_by_role("status")).to_contain_text("Ordlistan är sparad")
    expect(page.get_by_role("row")).to_have_count(2)  # the heading row and the one entry
