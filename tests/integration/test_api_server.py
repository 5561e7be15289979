"""The API and the form through a real uvicorn process, with the real model, Chroma and database.

Runs once on SQLite and once on PostgreSQL (see the `database_url` fixture).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from intake.migrate import head_revision
from tests.server import cli, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEMO = Path(__file__).parents[2] / "demo" / "portfolio" / "sundsvall-utvecklingsportfolj-utdrag.csv"
PARKING = "Invånare ska kunna ansöka om parkeringstillstånd digitalt och följa sitt ärende"
TIMVIKARIE = (
    "Det är krångligt att hantera timvikarier: registrering, förlängning och avslut av "
    "timanställningar tar för lång tid"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, module_database_url: str) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("data")
    # the JSON intake open to anyone, as a municipality may choose: the public views are probed here
    env = {
        "BEREDNING_DATA_DIR": str(data_dir),
        "BEREDNING_DATABASE__URL": module_database_url,
        "BEREDNING_INTAKE__OPEN_API": "true",
    }
    migrated = cli(["db", "upgrade"], env)
    assert migrated.returncode == 0, migrated.stderr
    imported = cli(["portfolio", "import", str(DEMO)], env)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    with running_server(env, data_dir / "server.log") as base:
        yield base


def refs(body: dict[str, object], key: str = "similar") -> list[str]:
    items = body[key]
    assert isinstance(items, list)
    return [str(m["ref"]) for m in items]


def test_parking_permit_lists_22_04_first(server: str) -> None:
    response = httpx.post(f"{server}/api/submissions", json={"text": PARKING}, timeout=60)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["reference"].startswith("IN-20")
    assert body["received_at"].endswith(("+00:00", "Z")), "timestamps are UTC and say so"
    assert body["state"] == "processed"
    assert body["language"] == "sv"
    assert refs(body)[0] == "22-04"
    first = body["similar"][0]
    assert first["reason"], "every match carries its reason"
    assert {"dense", "lexical"} <= set(first["parts"])


def test_hourly_substitutes_list_the_heroma_items_above_the_rest(server: str) -> None:
    response = httpx.post(f"{server}/api/submissions", json={"text": TIMVIKARIE}, timeout=60)
    assert response.status_code == 201, response.text
    top_portfolio = [m["ref"] for m in response.json()["similar"] if m["kind"] == "portfolio"][:3]
    assert set(top_portfolio) == {"22-09", "22-15", "22-45"}


def test_references_are_sequential_and_status_is_public_without_personal_data(server: str) -> None:
    first = httpx.post(
        f"{server}/api/submissions", json={"text": "Ett första förslag om e-arkiv"}, timeout=60
    )
    second = httpx.post(
        f"{server}/api/submissions",
        json={"text": "Ett andra förslag om e-arkiv", "submitter_email": "Anna@Kommunen.se"},
        timeout=60,
    )
    a, b = first.json()["reference"], second.json()["reference"]
    assert int(b.rsplit("-", 1)[1]) == int(a.rsplit("-", 1)[1]) + 1
    status = httpx.get(f"{server}/api/submissions/{b.lower()}", timeout=10)
    assert status.status_code == 200
    assert status.json()["reference"] == b
    assert "anna" not in status.text.lower()
    assert httpx.get(f"{server}/api/submissions/IN-1999-99999", timeout=10).status_code == 404


def test_open_submissions_are_suggested_too(server: str) -> None:
    text = "Vi vill ha en app för att boka tvättstugan i kommunens bostäder via mobilen"
    created = httpx.post(f"{server}/api/submissions", json={"text": text}, timeout=60).json()
    similar = httpx.get(
        f"{server}/api/similar",
        params={"text": "boka tvättstuga i mobilen", "kind": "submission"},
        timeout=30,
    )
    assert similar.status_code == 200
    assert created["reference"] in refs(similar.json(), "results")
    # another person's text may hold personal data: only the reference (and a title) is shown
    assert "tvättstugan i kommunens" not in similar.text


def test_similar_while_typing(server: str) -> None:
    response = httpx.get(
        f"{server}/api/similar", params={"text": "parkeringstillstånd", "limit": 3}, timeout=30
    )
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) <= 3
    assert body["results"][0]["ref"] == "22-04"
    assert httpx.get(f"{server}/api/similar", params={"text": "x"}, timeout=10).status_code == 400
    assert (
        httpx.get(f"{server}/api/similar", params={"text": "abcd", "limit": 0}, timeout=10).status_code == 400
    )


@pytest.mark.parametrize(
    ("content", "expected", "says"),
    [
        (b'{"text": "unterminated', 400, ""),
        (b"[1, 2, 3]", 400, ""),
        (b'{"title": "no text"}', 400, "text"),
        (b'{"text": "short"}', 422, "at least"),
        ('{"text": "Ett helt giltigt förslag om något", "unknown": 1}'.encode(), 400, "unknown"),
        (
            json.dumps({"text": "Giltig text om något", "submitter_email": "not-an-address"}).encode(),
            422,
            "e-mail",
        ),
        (json.dumps({"text": "Kontrolltecken \u0000 här i texten"}).encode(), 422, "control"),
    ],
)
def test_bad_input_gets_a_clear_4xx(server: str, content: bytes, expected: int, says: str) -> None:
    response = httpx.post(
        f"{server}/api/submissions", content=content, headers={"content-type": "application/json"}, timeout=30
    )
    assert response.status_code == expected, response.text
    body = response.json()
    assert body["status_code"] == expected
    assert "Traceback" not in response.text
    assert says in json.dumps(body).lower()


def test_oversized_body_is_refused(server: str) -> None:
    huge = json.dumps({"text": "a" * (300 * 1024)})
    response = httpx.post(
        f"{server}/api/submissions", content=huge, headers={"content-type": "application/json"}, timeout=30
    )
    assert response.status_code == 413


def test_text_longer_than_the_limit_is_refused(server: str) -> None:
    response = httpx.post(f"{server}/api/submissions", json={"text": "ord " * 6000}, timeout=30)
    assert response.status_code == 422
    assert "too long" in response.text


def test_health_reports_database_index_and_model(server: str) -> None:
    body = httpx.get(f"{server}/health", timeout=10).json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and f"schema {head_revision()}" in body["database"]["detail"]
    assert body["index"]["ok"] and "documents" in body["index"]["detail"]
    assert body["model"]["ok"]
    assert body["jobs"]["ok"] and "failed 0" in body["jobs"]["detail"]


def test_openapi_has_the_endpoints_and_examples(server: str) -> None:
    spec = httpx.get(f"{server}/schema/openapi.json", timeout=10).json()
    for path in ("/api/submissions", "/api/similar", "/api/portfolio", "/health"):
        assert path in spec["paths"], path
    assert "parkeringstillstånd" in json.dumps(spec, ensure_ascii=False)


def test_form_in_swedish_then_english_and_receipt(server: str) -> None:
    with httpx.Client(base_url=server, timeout=60) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert '<html lang="sv">' in page.text and "Lämna en idé" in page.text
        english = client.get("/?lang=en")
        assert '<html lang="en">' in english.text and "Submit an idea" in english.text
        # the choice sticks (cookie) until changed
        assert '<html lang="en">' in client.get("/").text
        # the form carries a CSRF token, as a browser would send it back
        token = page.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
        receipt = client.post(
            "/?lang=sv", data={"text": PARKING, "title": "", "submitter_name": "Test", "_csrf_token": token}
        )
        assert receipt.status_code == 201
        assert "IN-20" in receipt.text and "SBK Parkeringsstillstånd" in receipt.text
        bad = client.post("/?lang=sv", data={"text": "kort", "_csrf_token": token})
        assert bad.status_code == 422
        assert "minst" in bad.text and "kort</textarea>" in bad.text


def test_portfolio_api(server: str) -> None:
    items = httpx.get(f"{server}/api/portfolio", timeout=10).json()
    assert len(items) == 15
    item = httpx.get(f"{server}/api/portfolio/22-04", timeout=10).json()
    assert item["cost_sek"] == 2114575 and item["project_number"] == "11773"
    assert httpx.get(f"{server}/api/portfolio/99-99", timeout=10).status_code == 404
    # what schemathesis found: a NUL in a search (PostgreSQL refuses it) and an offset past 2**63
    nul = httpx.get(f"{server}/api/portfolio", params={"search": "parkering\x00stillstånd"}, timeout=10)
    assert nul.status_code == 200, nul.text
    huge = httpx.get(f"{server}/api/portfolio", params={"offset": str(2**96)}, timeout=10)
    assert huge.status_code == 400 and "offset" in huge.text
    typed = httpx.post(f"{server}/api/similar", json={"text": "parkering\x00tillstånd"}, timeout=60)
    assert typed.status_code == 200, typed.text


# Another person's submission, signed. An outsider who knows a little of it probes every public
# route for the rest: the surname from a prefix, the passages from a few words of them.
VICTIM_TEXT = (
    "Vi vill kunna ansöka om färdtjänst digitalt med e-legitimation och bifoga läkarintyg direkt "
    "i ansökan, i stället för att skicka papper med posten till handläggaren.\n\n"
    "Hälsningar\nKarin Lindqvist\nKarin.Lindqvist@kommunen.se"
)
VICTIM_TITLE = "Förslag från Karin Lindqvist"
PROBE = "Lindqvi ansöka om färdtjänst digitalt med e-legitimation och bifoga läkarintyg"
# what the probe must not bring back: the surname it completes, and words of the other text that
# the probe did not contain
SECRETS = ("Lindqvist", "handläggaren", "papper med posten", "Karin")


def _without_query(body: dict[str, object]) -> str:
    """The answer as text, less the caller's own words that it echoes back."""
    return json.dumps({k: v for k, v in body.items() if k != "query"}, ensure_ascii=False)


def test_no_public_route_gives_back_words_of_another_persons_submission(server: str) -> None:
    victim = httpx.post(
        f"{server}/api/submissions",
        json={"text": VICTIM_TEXT, "title": VICTIM_TITLE, "submitter_name": "Karin Lindqvist"},
        timeout=60,
    )
    assert victim.status_code == 201, victim.text
    ref = victim.json()["reference"]

    answers = {
        "GET /api/similar": httpx.get(
            f"{server}/api/similar", params={"text": PROBE, "kind": "submission"}, timeout=30
        ).json(),
        "POST /api/similar": httpx.post(
            f"{server}/api/similar", json={"text": PROBE, "kind": "submission"}, timeout=30
        ).json(),
        "POST /api/submissions": httpx.post(
            f"{server}/api/submissions", json={"text": PROBE}, timeout=60
        ).json(),
    }
    for route, body in answers.items():
        key = "results" if "results" in body else "similar"
        found = [m for m in body[key] if m["ref"] == ref]
        assert found, f"{route}: the probe must find the other submission, or this test proves nothing"
        (match,) = found
        assert match["kind"] == "submission" and match["shared_terms"] == [] and match["parts"] == {}
        assert "»" not in match["reason"], f"{route} quotes the other text"
        leaked = [s for s in SECRETS if s in _without_query(body)]
        assert not leaked, f"{route} gives back {leaked}"
        assert match["title"] and "Lindqvist" not in match["title"], "the title is masked"

    with httpx.Client(base_url=server, timeout=60) as client:
        page = client.get("/")
        token = page.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
        receipt = client.post("/", data={"text": PROBE, "_csrf_token": token})
    assert receipt.status_code == 201 and ref in receipt.text, "the receipt lists the other submission"
    # the HTML receipt renders the same matches: none of the secrets either
    assert not [s for s in SECRETS if s in receipt.text]


def test_portfolio_matches_stay_explained(server: str) -> None:
    body = httpx.post(
        f"{server}/api/similar", json={"text": PARKING, "limit": 3, "kind": "portfolio"}, timeout=30
    ).json()
    first = body["results"][0]
    assert first["ref"] == "22-04" and first["kind"] == "portfolio"
    assert first["shared_terms"] and {"dense", "lexical"} <= set(first["parts"])
    assert "Gemensamma ord" in first["reason"]
    too_short = httpx.post(f"{server}/api/similar", json={"text": "x"}, timeout=10)
    assert too_short.status_code == 400 and "text" in too_short.text
    unknown = httpx.post(f"{server}/api/similar", json={"text": "parkering", "secret": 1}, timeout=10)
    assert unknown.status_code == 400


@pytest.mark.parametrize("path", ["/", "/login", "/api/portfolio", "/static/site.css", "/health", "/nowhere"])
def test_every_answer_carries_the_browser_protections(server: str, path: str) -> None:
    response = httpx.get(f"{server}{path}", timeout=30)
    policy = response.headers.get("content-security-policy", "")
    assert (
        "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in policy
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("referrer-policy") == "same-origin"
    assert response.headers.get("x-frame-options") == "DENY"
