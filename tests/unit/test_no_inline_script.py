"""The pages carry no inline script, so the Content-Security-Policy can forbid it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
TEMPLATES = sorted((ROOT / "intake").rglob("templates/**/*.html"))
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE), "a <script> element without src"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "an on… event handler attribute"),
    (re.compile(r"\shx-on[:\-]", re.IGNORECASE), "an hx-on handler (evaluated as script)"),
    (re.compile(r"javascript:", re.IGNORECASE), "a javascript: URL"),
]


def test_there_are_templates() -> None:
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_holds_inline_script(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    found = [what for pattern, what in INLINE if pattern.search(text)]
    assert not found, f"{template.name}: {', '.join(found)}"
