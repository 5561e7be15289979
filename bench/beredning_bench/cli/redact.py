"""`beredning redact --evaluate`: the masking scored on generated texts (the option is the service's)."""

from __future__ import annotations

import json

import click


def print_evaluation(count: int, seed: int, as_json: bool) -> None:
    """Mask `count` generated texts from `seed` and print recall and false positives (or JSON)."""
    from beredning_bench.privacy.evaluation import evaluate

    result = evaluate(count, seed)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"{result.texts} generated texts (seed {result.seed})")
    click.echo(f"{'kind':<20}{'planted':>8}{'masked':>8}{'recall':>9}")
    for kind, score in [*result.by_kind.items(), ("overall", result.overall)]:
        click.echo(f"{kind:<20}{score.planted:>8}{score.masked:>8}{score.recall:>9.4f}")
    click.echo(
        f"look-alikes: {result.lookalikes}, masked by mistake (false positives): {result.false_positives}"
    )
    click.echo(
        f"masks over no planted data: {result.stray_masks}; masked as another kind: {result.wrong_kind}"
    )
    for line in result.missed:
        click.echo(f"  missed {line}")
    for line in result.false_positive_examples:
        click.echo(f"  wrongly masked {line}")
