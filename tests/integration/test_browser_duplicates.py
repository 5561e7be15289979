"""The duplicates panel in a real browser: texts side by side with shared passages marked, merge, undo.

Two near-identical ideas about booking school premises go in through the API, so the real similarity
search makes the first a duplicate candidate of the second. A staff member opens the second, sees
both texts with the shared passage marked, merges it into the first (whose page then lists it with
its submitter), and undoes the merge. Every page state is screenshotted and checked with axe-core.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser import check_page, csrf_token, log_in, logged_in
from tests.server import api_key_headers, app_env, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIRST = {
    "text": "Skolan behöver ett bättre sätt att boka skolans lokaler för föreningar på kvällarna.",
    "submitter_name": "Anna Andersson",
}
SECOND = {
    "text": "Vi vill kunna boka skolans lokaler för föreningar på kvällarna, gärna <b>i en app</b>.",
    "submitter_name": "Bertil Berg",
}
STAFF = "anna.digit@kommun.se"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """The app on loopback with two near-identical submissions; yields (base URL, first, second)."""
    data_dir = tmp_path_factory.mktemp("data")
    env = app_env(data_dir, accounts=[(STAFF, "digit"), ("forum@kommun.se", "forum")])
    key = api_key_headers(env)
    with running_server(env, data_dir / "server.log") as base:
        refs = []
        for body in (FIRST, SECOND):
            created = httpx.post(f"{base}/api/submissions", json=body, headers=key, timeout=120)
            assert created.status_code == 201, created.text
            refs.append(created.json()["reference"])
        yield base, refs[0], refs[1]


def test_compare_merge_and_undo(server: tuple[str, str, str], page: Page) -> None:
    base, first, second = server
    log_in(page, base, STAFF)
    page.goto(f"{base}/review/items/{second}")
    panel = page.locator("#duplicates")
    expect(panel.get_by_role("heading", level=2)).to_have_text("Möjliga dubbletter")
    candidate = panel.locator("article", has=page.get_by_role("heading", name=f"Inskickat ärende {first}"))
    expect(candidate).to_have_count(1)
    # both texts, side by side, each with the shared passage marked and labelled for screen readers
    sides = candidate.locator(".dup-side")
    expect(sides).to_have_count(2)
    for side in (sides.nth(0), sides.nth(1)):
        mark = side.locator("mark.dup-passage")
        expect(mark.first).to_contain_text("skolans lokaler för föreningar på kvällarna")
        expect(mark.first.locator(".visually-hidden")).to_have_text("gemensamt avsnitt:")
    # the submitter's markup is shown as text, never rendered
    expect(sides.nth(0)).to_contain_text("<b>i en app</b>")
    expect(sides.nth(0).locator("b")).to_have_count(0)
    expect(candidate).to_contain_text("Likhet")
    expect(candidate).to_contain_text("Väntar på beslut")
    check_page(page, "review-duplicates")

    with page.expect_navigation():
        candidate.get_by_role("button", name=f"Slå ihop med {first}").click()
    expect(page).to_have_url(re.compile(rf"/review/items/{second}\?dups_done=merge#duplicates$"))
    expect(page.locator("#duplicates [role=status]")).to_have_text(
        "Ärendet är sammanslaget. Du kan ångra det nedan."
    )
    expect(page.locator("#item-step")).to_contain_text("Sammanslagen")
    expect(page.locator("#merged")).to_contain_text(f"sammanslaget med {first} av {STAFF}")
    expect(page.locator("#duplicates")).to_contain_text("Bekräftad dubblett")
    check_page(page, "review-merged")

    # the target lists the merged item with its submitter; both texts are still there
    page.goto(f"{base}/review/items/{first}")
    here = page.locator(".dup-merged-here")
    expect(here.get_by_role("heading")).to_have_text("Sammanslaget hit")
    expect(here.get_by_role("link", name=f"{second} (Bertil Berg)")).to_be_visible()

    page.goto(f"{base}/review/items/{second}")
    with page.expect_navigation():
        page.get_by_role("button", name="Ångra sammanslagning").click()
    expect(page.locator("#duplicates [role=status]")).to_have_text(
        "Sammanslagningen är ångrad och ärendet är tillbaka i sitt steg."
    )
    expect(page.locator("#item-step")).to_contain_text("(steg-0)")
    expect(page.get_by_role("button", name="Ångra sammanslagning")).to_have_count(0)
    expect(page.locator("#duplicates")).to_contain_text("Väntar på beslut")
    check_page(page, "review-unmerged")

    page.goto(f"{base}/review/items/{first}")
    expect(page.locator(".dup-merged-here")).to_have_count(0)


def test_link_swaps_the_panel_with_htmx(server: tuple[str, str, str], page: Page) -> None:
    base, first, second = server
    log_in(page, base, STAFF)
    page.goto(f"{base}/review/items/{second}")
    candidate = page.locator(
        "#duplicates article", has=page.get_by_role("heading", name=f"Inskickat ärende {first}")
    )
    candidate.get_by_label("Anteckning (frivillig)").fill("Samma skola, men olika behov.")
    with page.expect_response(re.compile(rf"/review/items/{second}/duplicates/")) as answer:
        candidate.get_by_role("button", name="Länka som relaterad").click()
    assert answer.value.status == 200 and answer.value.request.headers.get("hx-request") == "true"
    expect(page.locator("#duplicates [role=status]")).to_have_text("Ärendena är länkade som relaterade.")
    expect(page.locator("#duplicates")).to_contain_text(f"Länkad: relaterad men inte en dubblett, av {STAFF}")
    assert page.url.endswith(f"/review/items/{second}"), "htmx swapped the panel in place"
    # back to pending is not an action; confirm it again so the pair ends as a duplicate
    with page.expect_response(re.compile(r"/duplicates/")):
        page.locator("#duplicates").get_by_role("button", name="Bekräfta dubblett").first.click()
    expect(page.locator("#duplicates")).to_contain_text("Bekräftad dubblett")


def test_refused_actions_answer_with_a_reason(server: tuple[str, str, str]) -> None:
    base, first, second = server
    with logged_in(base, STAFF) as client:
        token = csrf_token(client.get(f"/review/items/{second}").text)
        url = f"/review/items/{second}/duplicates/{first}"
        wrong = client.post(url, data={"_csrf_token": token, "action": "delete"})
        assert wrong.status_code == 400 and "Okänd åtgärd" in wrong.text
        missing = client.post(
            f"/review/items/{second}/duplicates/99-99", data={"_csrf_token": token, "action": "link"}
        )
        assert missing.status_code == 404 and "ingen sådan dubblettkandidat" in missing.text
        not_merged = client.post(
            f"/review/items/{second}/unmerge?lang=en",
            data={"_csrf_token": token},
            headers={"HX-Request": "true"},
        )
        assert not_merged.status_code == 409 and "the item is not merged" in not_merged.text
        assert 'id="duplicates"' in not_merged.text, "htmx gets the panel with the reason"
        with logged_in(base, "forum@kommun.se") as forum:
            forum_token = csrf_token(forum.get("/login").text)
            refused = forum.post(url, data={"_csrf_token": forum_token, "action": "merge"})
            assert refused.status_code == 403
