"""`beredning mail bench`: the e-mail intake's throughput over generated mails."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("bench")
@click.option("--count", type=click.IntRange(1, 100_000), default=500, show_default=True)
@click.option(
    "--with", "extra", multiple=True, type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Mail files to add to the synthetic ones (such as tests/mail/*.eml).",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="The figures as one JSON object.")
def bench(count: int, extra: tuple[Path, ...], as_json: bool) -> None:
    """Time parse, store and handle over COUNT synthetic mails in a temporary database; print the figures."""
    from beredning_bench.benchmark.mail import run_mail_bench

    result = run_mail_bench(count, list(extra))
    figures = result.as_dict()
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False))
    else:
        click.echo(
            f"{result.mails} mails in {result.seconds:.1f} s: {figures['mails_per_second']} mails/s "
            f"(parse only {figures['parse_only_mails_per_second']}/s), slowest {figures['slowest_ms']} ms "
            f"({result.slowest_name}); {result.kinds}"
        )
    if result.mismatches:
        raise click.ClickException(
            "outcomes that differ from the expected kind: " + "; ".join(result.mismatches)
        )
