"""The service's wheel holds the service and no benchmark or generated test data.

Built from a copy of the working tree, so that a `build/` left by an earlier build cannot add or
hide files, with the packaging configuration as it is (`[tool.setuptools.packages.find]`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
TOP_NOT_COPIED = {".git", ".venv", "data", "build", "dist", "test-artifacts"}
"""Left out at the top only: `intake/data` is package data."""


def _not_copied(directory: str, names: list[str]) -> set[str]:
    top = Path(directory) == ROOT
    return {
        name
        for name in names
        if (top and name in TOP_NOT_COPIED)
        or name in ("__pycache__", "node_modules")
        or name.endswith(".egg-info")
        or (name.startswith(".") and name.endswith("_cache"))
    }


FORBIDDEN = ("benchmark", "bench/", "beredning_bench", "synthetic")
PIP_WHEEL = ("-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index")
"""The project's own build, offline: setuptools from the venv, nothing fetched."""


def test_the_wheel_holds_the_service_only(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=_not_copied, symlinks=True)
    out = tmp_path / "wheels"
    done = subprocess.run(
        [sys.executable, *PIP_WHEEL, "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = out.glob("beredning-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for expected in (
        "intake/cli/_plugins.py",
        "intake/privacy/_mask.py",
        "retrieval/search.py",
        "flows/triage.py",
    ):
        assert expected in names
    assert any(name.startswith("prompts/") and name.endswith(".txt") for name in names)
    tops = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert tops == {"intake", "retrieval", "flows", "prompts"}
    found = [name for name in names if any(word in name.lower() for word in FORBIDDEN)]
    assert not found, f"the wheel holds development tools: {found}"
