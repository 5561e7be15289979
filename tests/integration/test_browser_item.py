"""The staff item page in a real browser (Debian's Chromium, headless), checked with axe-core.

A reviewer opens an item from the queue, corrects the draft (the initiative type to a pre-study,
the sponsor), sees the fields marked as edited and the edit in the audit trail, then moves the
item forward to the solution forum and takes the pre-study shortcut past the architecture forum.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser import check_page, log_in
from tests.integration.test_item_page import seed_item
from tests.server import app_env, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STAFF = "anna.digit@kommun.se"
SIGNING = (
    "Vi vill kunna signera avtal digitalt i stället för att skriva ut och skanna dem. I dag tar "
    "ett avtal en vecka att få påskrivet. Mvh Per Holm"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The app on loopback with one drafted item (no model, no job runner); yields (URL, reference)."""
    data_dir = tmp_path_factory.mktemp("data")
    env = app_env(data_dir, accounts=[(STAFF, "digit")], BEREDNING_INTAKE__RETRY_INTERVAL_SECONDS="0")
    reference = seed_item(env, SIGNING, submitter_name="Per Holm", submitter_email="per.holm@example.se")
    with running_server(env, data_dir / "server.log", wait_for_model=False) as base:
        yield base, reference


def test_edit_the_draft_and_move_the_item_through_the_pre_study_shortcut(
    server: tuple[str, str], page: Page
) -> None:
    base, reference = server
    log_in(page, base, STAFF)
    expect(page).to_have_url(f"{base}/review/")
    page.get_by_role("link", name=reference).click()
    expect(page).to_have_url(f"{base}/review/items/{reference}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(page.get_by_role("heading", name="Det modellen fick se")).to_be_visible()
    expect(page.locator(".text.masked")).not_to_contain_text("Per Holm")
    expect(page.locator("#item-step")).to_have_text("Formulera och utforska behov (steg-0)")
    check_page(page, "review-item")

    # the shortcut needs a pre-study: correct the draft's initiative type, and name the sponsor
    page.get_by_label("Typ av initiativ").select_option("forstudie")
    page.get_by_label("Beställare").fill("Kommundirektören")
    page.get_by_role("button", name="Spara utkastet").click()  # htmx swaps the draft section
    expect(page.locator("#flash")).to_have_text("Utkastet är sparat.")
    expect(page).to_have_url(f"{base}/review/items/{reference}")
    sponsor = page.locator("#field-sponsor")
    expect(sponsor).to_contain_text("Ändrat av anna.digit@kommun.se")
    expect(page.locator("#field-initiative_type")).to_contain_text("Ändrat av anna.digit@kommun.se")
    expect(page.get_by_label("Beställare")).to_have_value("Kommundirektören")
    expect(page.locator("#draft-state")).to_have_text("ändrat av granskare")
    trail = page.locator("#audit table.audit tbody tr").first
    expect(trail).to_contain_text("Utkastet ändrades")
    expect(trail).to_contain_text("Beställare: – → Kommundirektören")
    expect(trail).to_contain_text("Typ av initiativ")
    check_page(page, "review-item-edited")

    page.get_by_role("button", name="Flytta till Lösningsforum (steg-1)").click()
    expect(page.locator("#flash")).to_have_text("Ärendet är flyttat. Det är nu i: Lösningsforum.")
    expect(page.locator("#item-step")).to_have_text("Lösningsforum (steg-1)")
    shortcut = page.get_by_role("button", name="Flytta till Slutberedning och planering (steg-3)")
    shortcut.click()
    expect(page.locator("#flash")).to_have_text(
        "Ärendet är flyttat. Det är nu i: Slutberedning och planering."
    )
    expect(page.locator("#item-step")).to_have_text("Slutberedning och planering (steg-3)")
    history = page.locator("table.history tbody tr")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("Genväg")
    expect(page.locator("#audit table.audit tbody tr").first).to_contain_text("Ärendet flyttades")
    check_page(page, "review-item-moved")


def test_the_item_page_in_english_and_a_missing_item(server: tuple[str, str], page: Page) -> None:
    base, reference = server
    log_in(page, base, STAFF)
    page.goto(f"{base}/review/items/{reference}?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="What the model was shown")).to_be_visible()
    page.goto(f"{base}/review/items/IN-1999-00001")
    expect(page.get_by_role("heading", level=1)).to_have_text("No such item")
    expect(page.get_by_text(re.compile(r"There is no item with the reference IN-1999-00001"))).to_be_visible()


def test_a_refused_save_is_explained_in_place(server: tuple[str, str], page: Page) -> None:
    base, reference = server
    log_in(page, base, STAFF)
    page.goto(f"{base}/review/items/{reference}")
    page.get_by_label("Rubrik", exact=True).fill("R" * 301)
    page.get_by_label("Finansiering", exact=True).fill("Egen budget")
    page.get_by_role("button", name="Spara utkastet").click()  # htmx swaps the 422 answer in
    expect(page.locator("#alert-draft")).to_contain_text("Utkastet sparades inte.")
    expect(page.locator("#alert-draft")).to_contain_text("Rubrik: får vara högst 300 tecken")
    expect(page.locator("#d-title-error")).to_have_text("får vara högst 300 tecken")
    expect(page.get_by_label("Rubrik", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Finansiering", exact=True)).to_have_value("Egen budget")
    check_page(page, "review-item-invalid")


def test_sections_jump_and_fold_without_javascript(server: tuple[str, str], browser: object) -> None:
    """A day's work on a long page: jump links to every section, each section folds and opens."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    base, reference = server
    context = browser.new_context(java_script_enabled=False, locale="sv-SE")
    try:
        page = context.new_page()
        log_in(page, base, STAFF)
        page.goto(f"{base}/review/items/{reference}")
        sections = page.get_by_role("navigation", name="Avsnitt på sidan")
        expect(sections.get_by_role("link")).to_have_count(6)
        sections.get_by_role("link", name=re.compile(r"^Luckor i checklistan \(\d+\)$")).click()
        expect(page).to_have_url(f"{base}/review/items/{reference}#gaps")
        gaps = page.locator("#gaps details.fold")
        expect(gaps).to_have_attribute("open", "")
        expect(gaps.locator("article.gap").first).to_be_visible()
        page.locator("#gaps summary").click()
        expect(gaps).not_to_have_attribute("open", "")
        expect(gaps.locator("article.gap").first).to_be_hidden()
        expect(page.locator("#draft details.fold")).to_have_attribute("open", "")  # the others stay open
        page.locator("#gaps summary").click()
        expect(gaps.locator("article.gap").first).to_be_visible()
    finally:
        context.close()
