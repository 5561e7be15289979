"""The glossary page on a served app: who may see it, a refused edit keeps the text, a saved edit
is used by the running matcher at once (no restart) and is audited without its text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, col, select

from intake.db import create_db_engine
from intake.models import AuditEvent
from intake.settings import Settings
from tests.browser import csrf_token, logged_in
from tests.server import app_env, cli, running_server

pytestmark = pytest.mark.integration

PORTFOLIO = Path(__file__).parents[2] / "demo" / "portfolio" / "sundsvall-utvecklingsportfolj-utdrag.csv"
NEW_ENTRY = """terms:
  - term: Heroma
    means: lönesystemet som kommunen och bolagen delar
    also: [lönesystem, HR- och lönesystem, HR-system]
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    data = tmp_path_factory.mktemp("data")
    env = app_env(data, accounts=[("digit@kommun.se", "digit"), ("forum@kommun.se", "forum")])
    imported = cli(["portfolio", "import", str(PORTFOLIO)], env)
    assert imported.returncode == 0, imported.stderr
    with running_server(env, tmp_path_factory.mktemp("log") / "server.log") as base:
        yield base, env


def _similar(base: str, text: str) -> list[dict[str, object]]:
    """The public suggestions: only initiatives above the relevance floor."""
    answer = httpx.post(f"{base}/api/similar", json={"text": text, "kind": "portfolio"}, timeout=120)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["results"])


def test_only_staff_see_and_edit_the_glossary(served: tuple[str, dict[str, str]]) -> None:
    base, _ = served
    assert httpx.get(f"{base}/glossary", follow_redirects=False).status_code in (302, 303, 401)
    with logged_in(base, "forum@kommun.se") as forum:
        assert forum.get("/glossary").status_code == 403
        token = csrf_token(forum.get("/").text)
        assert forum.post("/glossary", data={"glossary": NEW_ENTRY, "_csrf_token": token}).status_code == 403


def test_a_saved_edit_is_used_at_once_and_a_broken_one_keeps_the_text(
    served: tuple[str, dict[str, str]],
) -> None:
    base, env = served
    idea = "Alla kommunala bolag ska byta till samma HR- och lönesystem som kommunen."
    before = _similar(base, idea)[0]
    assert before["ref"] == "21-11" and "Heroma är kommunens HR- och lönesystem." in str(before["reason"])
    with logged_in(base, "digit@kommun.se") as staff:
        page = staff.get("/glossary")
        assert page.status_code == 200 and "Heroma" in page.text and "intake/data/glossary.yaml" in page.text
        token = csrf_token(page.text)
        empty = staff.post("/glossary", data={"_csrf_token": token})  # nothing sent: nothing wiped
        assert empty.status_code == 400 and "empty" in empty.text
        broken = "terms:\n  - term: Heroma\n"
        refused = staff.post("/glossary", data={"glossary": broken, "_csrf_token": token})
        assert refused.status_code == 400 and "means" in refused.text
        assert "- term: Heroma" in refused.text, "what staff typed stays in the form"
        assert not (Path(env["BEREDNING_DATA_DIR"]) / "glossary.yaml").exists()
        saved = staff.post("/glossary", data={"glossary": NEW_ENTRY, "_csrf_token": token})
        assert saved.status_code == 200 and "sparad" in saved.text
    assert (Path(env["BEREDNING_DATA_DIR"]) / "glossary.yaml").read_text(encoding="utf-8") == NEW_ENTRY
    after = _similar(base, idea)[0]  # the running app, not restarted
    assert after["ref"] == "21-11"
    assert "Heroma är lönesystemet som kommunen och bolagen delar." in str(after["reason"])
    engine = create_db_engine(
        Settings(
            _env_file=None,
            data_dir=Path(env["BEREDNING_DATA_DIR"]),
            database={"url": env["BEREDNING_DATABASE__URL"]},
        )
    )  # type: ignore[call-arg]
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "glossary.changed")).one()
    assert event.actor == "digit@kommun.se" and "bolagen delar" not in str(event.changes)
    engine.dispose()


def test_a_file_broken_by_hand_while_serving_shows_why_and_can_be_repaired(tmp_path: Path) -> None:
    """A broken file stops `serve` at start (one line, tested with the CLI); one broken by hand
    while the app runs keeps matching on the last good glossary and the page shows why."""
    data = tmp_path / "data"
    data.mkdir()
    staff_copy = data / "glossary.yaml"
    staff_copy.write_text(NEW_ENTRY, encoding="utf-8")
    env = app_env(data, accounts=[("digit@kommun.se", "digit")])
    with (
        running_server(env, tmp_path / "server.log", wait_for_model=False) as base,
        logged_in(base, "digit@kommun.se") as staff,
    ):
        staff_copy.write_text("terms: [{term: Heroma}]\n", encoding="utf-8")
        page = staff.get("/glossary")
        assert page.status_code == 200 and "means" in page.text and "term: Heroma" in page.text
        similar = httpx.post(f"{base}/api/similar", json={"text": "lönesystemet"}, timeout=120)
        assert similar.status_code == 200, "matching goes on with the glossary it had"
        token = csrf_token(page.text)
        fixed = staff.post("/glossary", data={"glossary": NEW_ENTRY, "_csrf_token": token})
        assert fixed.status_code == 200 and "lönesystemet som kommunen och bolagen delar" in fixed.text
