"""docker-compose.yml parses and names only commands that exist (Docker cannot run here)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click
import yaml

from intake.cli import main

ROOT = Path(__file__).parents[2]


def _compose() -> dict[str, object]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_compose_has_the_scaled_out_services_with_health_checks() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    assert {"postgres", "chroma", "prefect", "app", "worker"} <= set(services)
    for name in ("postgres", "chroma", "prefect", "app", "worker"):
        assert "healthcheck" in services[name], f"{name} has no health check"


def _resolve(group: click.Group, args: list[str]) -> click.Command | None:
    command: click.Command = group
    for arg in args:
        if arg.startswith("-"):
            break
        if not isinstance(command, click.Group):
            break
        sub = command.commands.get(arg)
        if sub is None:
            return None
        command = sub
    return command


def test_every_command_in_compose_exists() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    checked = 0
    for name, service in services.items():
        commands = [service.get("command")]
        test = (service.get("healthcheck") or {}).get("test")
        if test and test[0] == "CMD":
            commands.append(test[1:])
        for command in commands:
            if not command:
                continue
            program, *args = command
            if program == "beredning":
                resolved = _resolve(main, args)
                assert resolved is not None and resolved is not main, f"{name}: {command}"
                params = {opt for p in resolved.params for opt in getattr(p, "opts", [])}
                for arg in args:
                    if arg.startswith("--"):
                        assert arg in params, f"{name}: {arg} is not an option of {command}"
            elif program in ("prefect", "python"):
                assert shutil.which(program, path=str(Path(sys.executable).parent)), program
            else:
                # commands that run inside third-party images (pg_isready, curl)
                assert program in {"pg_isready", "curl"}, f"{name}: unknown program {program}"
            checked += 1
    assert checked >= 6
