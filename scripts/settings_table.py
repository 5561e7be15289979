"""Write the settings table of docs/configuration.md from the Settings model (`make docs` runs it).

The table is generated so that it cannot drift from the code: every field's description in
`intake/settings.py` is the documentation, and `tests/unit/test_settings.py` fails while the file
holds an older table. The file to update is the first argument (default docs/configuration.md).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from intake.settings import Settings

MARKER_START = "| variable | default | what |\n|---|---|---|\n"


def rows(model: type[BaseModel], prefix: str) -> Iterator[str]:
    """Yield one Markdown row per leaf setting."""
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from rows(annotation, f"{prefix}{name.upper()}__")
            continue
        default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
        shown = "" if default is None else f"`{default}`"
        yield f"| `{prefix}{name.upper()}` | {shown} | {field.description} |"


def table() -> str:
    """Return the whole table body."""
    return "\n".join(rows(Settings, "BEREDNING_")) + "\n"


def update_table(path: Path) -> bool:
    """Replace the settings table in the Markdown file at `path`; return whether it changed."""
    text = path.read_text()
    start = text.index(MARKER_START) + len(MARKER_START)
    end = text.index("\n\n", start) + 1
    new = text[:start] + table() + text[end:]
    if new != text:
        path.write_text(new)
        return True
    return False


DEFAULT_FILE = "docs/configuration.md"


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_FILE)
    changed = update_table(target)
    print(f"{target}: settings table updated" if changed else f"{target}: settings table up to date")
