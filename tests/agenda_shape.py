"""Read an agenda's Markdown the way a forum member counts it: the non-blank lines of each item."""

from __future__ import annotations

MAX_ITEM_LINES = 15


def item_blocks(markdown: str) -> dict[str, list[str]]:
    """Each item's non-blank lines, keyed by "### N. REF"; a group's "> ..." line counts with its lead."""
    blocks: dict[str, list[str]] = {}
    pending: list[str] = []
    current: list[str] | None = None
    for line in markdown.splitlines():
        if line.startswith("### "):
            current = blocks.setdefault(line.split(":")[0], [*pending, line])
            pending = []
        elif line.startswith(("## ", "---")):
            current = None
        elif line.startswith("> "):
            pending, current = [line], None
        elif line.strip() and current is not None:
            current.append(line)
    return blocks


def longest_item(markdown: str) -> int:
    """The number of non-blank lines of the agenda's longest item (0 without items)."""
    return max((len(lines) for lines in item_blocks(markdown).values()), default=0)
