"""`beredning bench`: measure the served app as its users meet it, and print the figures."""

from __future__ import annotations

import json
import math
import statistics
import time

import click

SAMPLE_TEXTS = (
    "Invånare ska kunna ansöka om parkeringstillstånd digitalt och följa sitt ärende",
    "Det är krångligt att hantera timvikarier: registrering och avslut tar för lång tid",
    "Vi behöver ett e-arkiv som tar emot handlingar från fler verksamhetssystem",
    "Kontaktcentret vill kunna svara på vanliga frågor i en chatt på webben",
    "Skolan behöver ett enklare sätt att boka lokaler och utrustning",
)


def percentile(values: list[float], fraction: float) -> float:
    """Return the `fraction` percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


@click.group("bench")
def bench() -> None:
    """Benchmarks that print figures (they never fail on a number)."""


@bench.command("intake")
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="The served app.")
@click.option("--requests", "count", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def intake_bench(url: str, count: int, as_json: bool) -> None:
    """Time POST /api/submissions end to end (store, embed, index, compare), one at a time."""
    import httpx

    timings: list[float] = []
    with httpx.Client(base_url=url, timeout=60) as client:
        try:
            client.get("/health").raise_for_status()
        except httpx.HTTPError as exc:
            raise click.ClickException(f"no app answering at {url}: {exc}") from exc
        for i in range(count):
            text = f"{SAMPLE_TEXTS[i % len(SAMPLE_TEXTS)]} (mätning {i + 1})"
            started = time.perf_counter()
            response = client.post("/api/submissions", json={"text": text})
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 201:
                raise click.ClickException(
                    f"request {i + 1}: HTTP {response.status_code} {response.text[:200]}"
                )
    figures = {
        "requests": count,
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "min_ms": round(min(timings), 1),
        "max_ms": round(max(timings), 1),
    }
    if as_json:
        click.echo(json.dumps(figures))
        return
    click.echo(
        f"POST /api/submissions x{count}: median {figures['median_ms']} ms, "
        f"p95 {figures['p95_ms']} ms, min {figures['min_ms']} ms, max {figures['max_ms']} ms"
    )


def register(main: click.Group) -> None:
    """Add the `bench` group to the CLI."""
    main.add_command(bench)
