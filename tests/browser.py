"""The real-browser rig: Debian's Chromium driven by Playwright, screenshots, and axe-core on every page.

Chromium comes from apt (`/usr/bin/chromium`, installed by `.ci/run`); Playwright never downloads a
browser here. axe-core comes from npm (`tests/a11y`, `npm ci`). Without either, the browser tests
are skipped with the reason, except under CI, where they fail.

`tests/conftest.py` imports the fixtures `browser` and `page`, so every test module can ask for them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).parents[1]
CHROMIUM = Path(os.environ.get("BEREDNING_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
FAILING_IMPACTS = {"serious", "critical"}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)")
    pytest.skip(reason)


_RUNNING: dict[str, Browser] = {}


@pytest.fixture(name="browser", scope="session")
def chromium_browser() -> Iterator[Browser]:
    """One headless Chromium for the whole run."""
    if not CHROMIUM.exists():
        _missing(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or run .ci/run)")
    if not AXE.exists():
        _missing(f"no axe-core at {AXE}: run `npm ci` in tests/a11y (or .ci/run)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed: pip install -e '.[dev]'")
    if "browser" in _RUNNING:
        # another test module imported this fixture too: pytest sees two definitions, but one
        # Playwright per thread is all the sync API allows, so they share the first browser
        yield _RUNNING["browser"]
        return
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            # root in a container has no user namespaces for the sandbox
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        _RUNNING["browser"] = launched
        try:
            yield launched
        finally:
            _RUNNING.clear()
            launched.close()


@pytest.fixture(name="page")
def browser_page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page for one test, in Swedish."""
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    from playwright.sync_api import expect

    context.set_default_timeout(30_000)
    expect.set_options(timeout=30_000)  # the machine may be busy; a missing element still fails
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def screenshot(page: Page, name: str) -> Path:
    """Write a full-page screenshot to `test-artifacts/screenshots/NAME.png` and return its path."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise ValueError(f"screenshot name {name!r}: lower-case letters, digits, - and _ only")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000, f"screenshot {path} is empty"
    return path


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page as it is now; return all violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # evaluated through the DevTools protocol, which the page's Content-Security-Policy does
        # not govern (a <script> tag would be refused, as it should be, and as any injected one is)
        page.evaluate("(source) => { (0, eval)(source); }", AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await window.axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def check_page(page: Page, name: str) -> None:
    """Screenshot the page, then fail on any serious or critical accessibility violation."""
    screenshot(page, name)
    bad = [v for v in axe_violations(page) if v.get("impact") in FAILING_IMPACTS]
    if bad:
        summary = [
            {
                "rule": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"][:5]],
            }
            for v in bad
        ]
        pytest.fail(f"axe: serious or critical violations on {name}:\n{json.dumps(summary, indent=2)}")


# --- staff accounts for the access tests (HTTP and browser alike) ---

PASSWORD = "ett långt testlösenord"
"""The password every test account gets (long enough for the default minimum)."""


def add_account(env: dict[str, str], email: str, role: str, password: str = PASSWORD, name: str = "") -> None:
    """Create an account through the real CLI (`beredning user add ... --password-stdin`)."""
    from tests.server import cli

    args = ["user", "add", email, "--role", role, "--password-stdin"] + (["--name", name] if name else [])
    done = cli(args, env, input_text=password + "\n")
    assert done.returncode == 0, done.stdout + done.stderr


def csrf_token(html: str) -> str:
    """Return the CSRF token of the first form in `html`."""
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client: Any, email: str, password: str = PASSWORD) -> Any:
    """Log `client` (an httpx.Client on the server) in as a browser would; return the POST's response."""
    form = client.get("/login")
    assert form.status_code == 200, form.text
    return client.post(
        "/login",
        data={"email": email, "password": password, "_csrf_token": csrf_token(form.text)},
        follow_redirects=False,
    )


@contextmanager
def logged_in(server: str, email: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    """An HTTP client on `server`, logged in as `email`; it does not follow redirects, so tests see them."""
    with httpx.Client(base_url=server, timeout=120, follow_redirects=False) as client:
        assert login(client, email, password).status_code == 303
        yield client


def log_in(page: Page, server: str, email: str, password: str = PASSWORD) -> None:
    """Log the browser in through the login form, and wait for the answer: a page opened before it
    arrives would have no session yet."""
    page.goto(f"{server}/login")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Logga in").click()


def seed_accounts(
    env: dict[str, str],
    accounts: list[tuple[str, str]],
    password: str = PASSWORD,
    forums: dict[str, list[str]] | None = None,
) -> None:
    """Create accounts `(email, role)` in-process (fast; the CLI itself is tested in test_auth.py).

    A `forum` account gets a seat in every forum of the shipped process unless `forums` (email ->
    forum keys) says otherwise: forum-versus-forum refusals are tested on their own (test_abuse.py).
    """
    from intake.db import create_db_engine
    from intake.domain.accounts import Role
    from intake.domain.process import load_process
    from intake.migrate import ensure_current
    from intake.services.accounts import add_account as create
    from intake.services.accounts import set_forums
    from intake.settings import Settings

    settings = Settings(
        data_dir=Path(env["BEREDNING_DATA_DIR"]), database={"url": env["BEREDNING_DATABASE__URL"]}
    )
    engine = create_db_engine(settings)
    try:
        ensure_current(engine)
        for email, role in accounts:
            name = email.split("@")[0].replace(".", " ").title()
            create(engine, email, Role(role), password, settings.auth, name=name, actor="test")
            if role == Role.FORUM.value:
                known = [f.key for f in load_process().forums]
                seats = (forums or {}).get(email, known)
                set_forums(engine, email, seats, known, actor="test")
    finally:
        engine.dispose()


# --- the intake form over HTTP ---


class Receipt(NamedTuple):
    """What the receipt page after the intake form shows: the reference, and the follow link if any."""

    response: httpx.Response
    reference: str
    follow_link: str | None


def send_intake_form(client: httpx.Client, **fields: str) -> Receipt:
    """Send the intake form at `/` with `fields` (`text`, `title`, `submitter_email`, ...) as a
    browser does, CSRF token included; assert the receipt (201) and read it."""
    form = client.get("/")
    sent = client.post("/", data={**fields, "_csrf_token": csrf_token(form.text)})
    assert sent.status_code == 201, sent.text
    reference = re.search(r'id="reference">([^<]+)<', sent.text)
    assert reference, sent.text
    link = re.search(r'id="follow-link" href="([^"]+)"', sent.text)
    return Receipt(sent, reference.group(1), link.group(1) if link else None)
