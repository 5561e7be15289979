"""Logins from one address are limited by count, right or wrong, besides the failure limits.

In process (Litestar's test client) on a real SQLite database: the guard and the login page as
served, with the address limit low and the failure limits out of the way.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

from intake.db import create_db_engine
from intake.migrate import upgrade
from intake.settings import Settings
from intake.web.app import create_app

pytestmark = pytest.mark.integration

LIMIT = 3


def test_the_fourth_login_from_one_address_meets_429_in_swedish_and_english(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        intake={"retry_interval_seconds": 0},
        llm={"poll_seconds": 0},
        limits={"logins_per_window": LIMIT},
        # the test client speaks plain http to "testserver.local": cookies must not be Secure there
        auth={"max_failures_per_address": 1000, "max_failures_per_account": 1000, "cookie_secure": False},
    )
    upgrade(create_db_engine(settings))
    with TestClient(create_app(settings)) as client:
        page = client.get("/login").text
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
        assert token
        form = {"email": "ingen@kommun.se", "password": "fel lösenord igen", "_csrf_token": token.group(1)}
        codes = [
            client.post("/login", data=form, headers={"accept": "text/html"}).status_code
            for _ in range(LIMIT)
        ]
        assert codes == [401] * LIMIT
        held = client.post("/login", data=form, headers={"accept": "text/html"})
        assert held.status_code == 429 and int(held.headers["retry-after"]) > 0
        assert "För många försök" in held.text
        english = client.post("/login?lang=en", data=form, headers={"accept": "text/html"})
        assert english.status_code == 429 and "Too many attempts" in english.text
