"""Read the two evaluation formats of `data/eval/FORMAT.md`: graded pairs and duplicate groups."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class FormatError(ValueError):
    """Raised for a line that does not follow the format; the message names the file and line."""


@dataclass(frozen=True)
class Pair:
    """Two texts and a human similarity judgement from 0 (unrelated) to 5 (same meaning)."""

    a: str
    b: str
    score: float


@dataclass(frozen=True)
class Item:
    """One text of a groups file; items that share `group` are duplicates of each other."""

    id: str
    title: str
    body: str
    group: str
    lang: str = ""

    @property
    def text(self) -> str:
        """Return title and body as one text, as `retrieval.Document.text` does."""
        if self.title and self.body:
            return f"{self.title}\n{self.body}"
        return self.title or self.body


def json_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for every non-blank line of a JSON-lines file.

    Raises:
        FormatError: a line is not JSON or not an object (the message names the line).
        OSError: the file cannot be read.
    """
    with path.open(encoding="utf-8-sig") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FormatError(f"{path}:{number}: not valid JSON: {exc.msg}") from exc
            if not isinstance(value, dict):
                raise FormatError(f"{path}:{number}: expected a JSON object, got {type(value).__name__}")
            yield number, value


def _text(value: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    field = value.get(key)
    if field is None and not required:
        return ""
    if not isinstance(field, str):
        raise FormatError(f"{where}: {key!r} must be a string, got {json.dumps(field)}")
    return field


def read_pairs(path: Path | str) -> list[Pair]:
    """Read a `*.pairs.jsonl` file: `{"a": ..., "b": ..., "score": 0-5}` a line.

    Raises:
        FormatError: a line is not JSON, lacks a field, or has a score outside 0-5.
    """
    path = Path(path)
    pairs: list[Pair] = []
    for number, value in json_objects(path):
        where = f"{path}:{number}"
        a, b = _text(value, "a", where), _text(value, "b", where)
        score = value.get("score")
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 5:
            raise FormatError(f"{where}: 'score' must be a number from 0 to 5, got {json.dumps(score)}")
        pairs.append(Pair(a, b, float(score)))
    return pairs


def read_groups(path: Path | str) -> list[Item]:
    """Read a `*.groups.jsonl` file: `{"id", "title", "body", "group", "lang"}` a line.

    `body` and `lang` may be missing; `id` must be unique and title or body non-empty.

    Raises:
        FormatError: a line is not JSON, lacks a field, repeats an id or has no text.
    """
    path = Path(path)
    items: list[Item] = []
    seen: set[str] = set()
    for number, value in json_objects(path):
        where = f"{path}:{number}"
        item = Item(
            id=_text(value, "id", where),
            title=_text(value, "title", where, required=False),
            body=_text(value, "body", where, required=False),
            group=_text(value, "group", where),
            lang=_text(value, "lang", where, required=False),
        )
        if not item.id or not item.group:
            raise FormatError(f"{where}: 'id' and 'group' must not be empty")
        if item.id in seen:
            raise FormatError(f"{where}: id {item.id!r} appears twice")
        if not item.text.strip():
            raise FormatError(f"{where}: item {item.id!r} has neither title nor body")
        seen.add(item.id)
        items.append(item)
    return items


def first_groups(items: list[Item], count: int) -> list[Item]:
    """Return a deterministic subsample: the first `count` duplicate groups plus distractors.

    Duplicate groups (two or more members) are taken in order of first appearance with all their
    members; distractors (groups of one) are taken in file order, as many as keep the file's ratio
    of distractors to duplicate items. Items keep their file order.
    """
    sizes = Counter(i.group for i in items)
    chosen: set[str] = set()
    for item in items:
        if sizes[item.group] >= 2 and item.group not in chosen and len(chosen) < count:
            chosen.add(item.group)
    duplicates = sum(1 for i in items if sizes[i.group] >= 2)
    distractors = len(items) - duplicates
    selected = sum(1 for i in items if i.group in chosen)
    wanted = round(selected * distractors / duplicates) if duplicates else min(count, distractors)
    kept: list[Item] = []
    for item in items:
        if item.group in chosen:
            kept.append(item)
        elif sizes[item.group] == 1 and wanted > 0:
            kept.append(item)
            wanted -= 1
    return kept
