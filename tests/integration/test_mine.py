"""`/mine`: a logged-in person sees what they sent from their address, and only that.

Served app on SQLite and PostgreSQL; submissions through the real form; one browser pass with
axe. The follow page it leads to is tested in `test_follow.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser import check_page, csrf_token, log_in, logged_in, login, send_intake_form
from tests.server import app_env, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.calendar]

SIGNING = ("Digital signering", "Vi vill signera avtal digitalt i stället för att skriva ut och skanna dem.")
PARKING = ("Parkeringstillstånd", "Invånare ska kunna ansöka om parkeringstillstånd digitalt i en app.")
LIGHTS = ("Gatubelysning", "Gatubelysningen borde styras av sensorer så att vi sparar energi.")


@pytest.fixture(scope="module")
def sent(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[tuple[str, dict[str, str]]]:
    """The served app and the references sent: two by Sara (one with her address in capitals), one by Olle."""
    data_dir = tmp_path_factory.mktemp("data")
    env = app_env(
        data_dir,
        module_database_url,
        accounts=[("sara.svensson@kommun.se", "submitter"), ("olle@kommun.se", "forum")],
    )
    with running_server(env, data_dir / "server.log", wait_for_model=False) as base:
        refs = {}
        with httpx.Client(base_url=base, timeout=120) as client:
            for key, (title, text), email in (
                ("signing", SIGNING, "sara.svensson@kommun.se"),
                ("parking", PARKING, "Sara.Svensson@Kommun.se"),
                ("lights", LIGHTS, "nils@kommun.se"),
            ):
                receipt = send_intake_form(client, title=title, text=text, submitter_email=email)
                refs[key] = receipt.reference
        yield base, refs


def test_the_list_holds_ones_own_submissions_only(sent: tuple[str, dict[str, str]]) -> None:
    base, refs = sent
    with logged_in(base, "sara.svensson@kommun.se") as client:
        page = client.get("/mine")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert refs["signing"] in page.text and refs["parking"] in page.text, "matched without case"
        assert refs["lights"] not in page.text and "Gatubelysning" not in page.text
        assert page.text.index(refs["parking"]) < page.text.index(refs["signing"]), "newest first"

        token = csrf_token(page.text)
        opened = client.post(f"/mine/{refs['signing']}", data={"_csrf_token": token})
        assert opened.status_code == 303 and opened.headers["location"].startswith("/follow/")
        status = client.get(opened.headers["location"])
        assert status.status_code == 200 and refs["signing"] in status.text

        # someone else's reference and one that does not exist answer the same way
        theirs = client.post(f"/mine/{refs['lights']}", data={"_csrf_token": token})
        missing = client.post("/mine/IN-1999-99999", data={"_csrf_token": token})
        assert theirs.status_code == missing.status_code == 404
        assert refs["lights"] not in theirs.text


def test_another_role_sees_an_empty_list_and_anonymous_must_log_in(sent: tuple[str, dict[str, str]]) -> None:
    base, refs = sent
    with httpx.Client(base_url=base, timeout=60, follow_redirects=False) as client:
        anonymous = client.get("/mine")
        assert anonymous.status_code in (302, 303) and anonymous.headers["location"].startswith("/login")
        assert login(client, "olle@kommun.se").status_code == 303
        page = client.get("/mine?lang=en")
        assert page.status_code == 200 and "We found nothing sent from olle@kommun.se." in page.text
        assert not any(ref in page.text for ref in refs.values())


def test_the_list_in_a_browser(sent: tuple[str, dict[str, str]], page: Page) -> None:
    base, refs = sent
    log_in(page, base, "sara.svensson@kommun.se")
    page.get_by_role("link", name="Mina idéer").click()
    expect(page.get_by_role("heading", name="Mina idéer")).to_be_visible()
    check_page(page, "mine")
    page.get_by_role("button", name=f"Öppna {refs['signing']}").click()
    expect(page.locator("#reference")).to_have_text(refs["signing"])
