"""`beredning redact`: mask personal data in a text from stdin, or measure masking on generated texts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from intake.cli._plugins import evaluation


def _read_stdin() -> str:
    if sys.stdin.isatty():
        raise click.UsageError("pipe the text to mask on stdin, or use --evaluate N")
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"stdin is not UTF-8 text (byte {exc.start})") from exc


def _read_names(path: Path) -> list[str]:
    """Read one name a line; blank lines and lines starting with # are skipped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path} is not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from exc
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@click.command("redact")
@click.option("--name", "names", multiple=True, metavar="NAME", help="The submitter's name (repeatable).")
@click.option(
    "--names-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Further names to mask, one a line, such as a staff directory (UTF-8).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the masked text and the spans.")
@click.option(
    "--evaluate",
    "evaluate_count",
    type=click.IntRange(1, 100_000),
    metavar="N",
    help="Instead of reading stdin: mask N generated texts and print recall and false positives.",
)
@click.option("--seed", type=int, help="Seed of the generated texts (with --evaluate; default 0).")
def redact(
    names: tuple[str, ...],
    names_file: Path | None,
    as_json: bool,
    evaluate_count: int | None,
    seed: int | None,
) -> None:
    """Mask personal data in the text on stdin and print the masked text.

    Personnummer, samordningsnummer, phone numbers, e-mail addresses, names and postal addresses
    become placeholders such as [PERSON_1]; with --json the spans (kind, start, end, placeholder)
    index the original text in characters.
    """
    if evaluate_count is not None:
        if names or names_file:
            raise click.UsageError("--name and --names-file do not go with --evaluate")
        evaluation("redact")(evaluate_count, seed or 0, as_json)
        return
    if seed is not None:
        raise click.UsageError("--seed goes only with --evaluate")
    from intake.privacy import mask

    text = _read_stdin()
    directory = _read_names(names_file) if names_file else []
    redaction = mask(text, names=names, directory=directory)
    if as_json:
        spans = [
            {"kind": s.kind.value, "start": s.start, "end": s.end, "placeholder": s.placeholder}
            for s in redaction.spans
        ]
        click.echo(json.dumps({"text": redaction.text, "spans": spans}, ensure_ascii=False, indent=2))
    else:
        click.echo(redaction.text, nl=not redaction.text.endswith("\n"))


def register(main: click.Group) -> None:
    """Add `redact` to the `beredning` command."""
    main.add_command(redact)
