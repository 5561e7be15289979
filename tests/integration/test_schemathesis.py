"""Schemathesis against the served OpenAPI document: no 5xx, every status and body documented,
nothing schema-valid refused, nothing schema-invalid accepted (`--checks all`).

A real uvicorn process on loopback, on SQLite and PostgreSQL, run with a key of every scope and
without any key. The suite runs a few examples per operation; `make fuzz-api` runs many
(`BEREDNING_FUZZ_EXAMPLES`, default 100 there) and prints the counts.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import api_key_headers, app_env, cli, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEMO = Path(__file__).parents[2] / "demo" / "portfolio" / "sundsvall-utvecklingsportfolj-utdrag.csv"
EXAMPLES = int(os.environ.get("BEREDNING_FUZZ_EXAMPLES", "20"))
ST = Path(sys.executable).parent / "st"


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[tuple[str, dict[str, str]]]:
    data = tmp_path_factory.mktemp("data")
    # the limits are tested in test_abuse.py; here they would only turn valid requests into 429s
    env = app_env(
        data,
        module_database_url,
        BEREDNING_LIMITS__SUBMISSIONS="1000000",
        BEREDNING_LIMITS__KEY_SUBMISSIONS="1000000",
        BEREDNING_LIMITS__SIMILAR_PER_MINUTE="1000000",
    )
    imported = cli(["portfolio", "import", str(DEMO), "--no-index"], env)
    assert imported.returncode == 0, imported.stderr
    headers = api_key_headers(env, "submit", "mail", "read", name="schemathesis")
    with running_server(env, data / "server.log") as base:
        yield base, headers


def _st(base: str, *args: str) -> tuple[int, str]:
    command = [
        str(ST),
        "run",
        f"{base}/schema/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--generation-database",
        "none",
        "--no-color",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    out = done.stdout + done.stderr
    generated = re.search(r"(\d+) generated", out)
    counted = generated.group(0) if generated else "?"
    shown = " ".join(a for a in args if not a.startswith("Authorization"))
    print(f"schemathesis {shown}: {counted}; exit {done.returncode}")
    return done.returncode, out


@pytest.mark.parametrize("with_key", [True, False], ids=["key", "anonymous"])
def test_the_api_keeps_its_schema(served: tuple[str, dict[str, str]], with_key: bool) -> None:
    base, headers = served
    auth = ["-H", f"Authorization: {headers['Authorization']}"] if with_key else []
    # every check on every operation but the mail upload...
    code, out = _st(base, *auth, "--exclude-path", "/api/mail")
    assert code == 0 and re.search(r"[1-9]\d* generated", out), out[-6000:]
    # ...which refuses bytes that are not a mail (stored, 422) whatever the schema allows: no
    # schema can say what a mail is, so only "schema-valid data accepted" is left out there
    code, out = _st(
        base, *auth, "--include-path", "/api/mail", "--exclude-checks", "positive_data_acceptance"
    )
    assert code == 0 and re.search(r"[1-9]\d* generated", out), out[-6000:]
