"""The service's wheel and image hold the service only; the development tools stay in bench/.

The wheel itself is built in tests/integration/test_wheel.py; these read the configuration.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import click

from intake.cli import _plugins

ROOT = Path(__file__).resolve().parents[2]
SERVICE = ("intake", "retrieval", "flows", "prompts")


def test_the_wheel_finds_only_the_service_packages() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    assert sorted(include) == sorted(f"{name}*" for name in SERVICE)


def test_the_image_copies_only_the_service() -> None:
    copied: list[str] = []
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words[:1] == ["COPY"]:
            copied += [word for word in words[1:-1] if not word.startswith("--")]
    assert "intake" in copied
    assert set(copied) <= {*SERVICE, "pyproject.toml", "README.md"}, copied


def test_the_bench_distribution_declares_commands_that_exist() -> None:
    config = tomllib.loads((ROOT / "bench" / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["project"]["name"] == "beredning-bench"
    assert "beredning" in config["project"]["dependencies"]
    groups = config["project"]["entry-points"]
    assert set(groups) == {_plugins.COMMANDS, _plugins.MAIL_COMMANDS, _plugins.EVALUATIONS}
    for group in (_plugins.COMMANDS, _plugins.MAIL_COMMANDS):
        for name, value in groups[group].items():
            module, _, attribute = value.partition(":")
            command = getattr(__import__(module, fromlist=[attribute]), attribute)
            assert isinstance(command, click.Command)
            assert command.name == name
    module, _, attribute = groups[_plugins.EVALUATIONS]["redact"].partition(":")
    assert callable(getattr(__import__(module, fromlist=[attribute]), attribute))
