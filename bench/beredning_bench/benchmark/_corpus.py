"""The benchmark's texts: a portfolio of any size and the queries, built from the development sets.

The development sets hold a few thousand distinct texts; larger portfolios repeat them with
deterministic variations (a request prefix, a unit and a number in the title, the body's sentences
in another order), so that every item is a distinct text that still reads like a real one and the
index never deduplicates the work away.

`sign` is the other kind of variation, for `--reuse-embeddings`: the text with an e-mail signature
appended, which boilerplate removal takes off again, so the item is stored as a distinct text but
compared (and embedded) as its source.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from retrieval.evaluation import FormatError, read_groups, read_pairs

TITLE_CHARS = 400
"""Longest title taken from a source; leaves room for the variation in `portfolio_item.title` (500)."""

QUERY_WORDS = 25
"""Words kept of a body when it becomes a query: about what someone types into the form."""

PREFIXES = ("Behov", "Idé", "Förslag", "Problem", "Utmaning", "Önskemål", "Fråga", "Synpunkt")
UNITS = (
    "Barn- och utbildningsförvaltningen",
    "Individ- och arbetsmarknadsförvaltningen",
    "Kultur- och fritidsförvaltningen",
    "Socialtjänsten",
    "Stadsbyggnadskontoret",
    "Miljökontoret",
    "Servicecenter",
    "Kommunstyrelsekontoret",
    "Lantmäteriet",
    "Vård och omsorg",
)
SIGN_OFFS = (
    "Mvh",
    "Med vänliga hälsningar",
    "Vänliga hälsningar",
    "Hälsningar",
    "Best regards",
    "Ystävällisin terveisin",
)
FIRST_NAMES = ("Anna", "Erik", "Maria", "Johan", "Sara", "Lars", "Fatima", "Mikael", "Aino", "Ali")
LAST_NAMES = (
    "Andersson",
    "Berg",
    "Hassan",
    "Johansson",
    "Korhonen",
    "Lindqvist",
    "Nilsson",
    "Nyström",
    "Virtanen",
    "Åberg",
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

Variation = Callable[["SourceText", int], "SourceText"]
"""Turns a source text and a round number (0: the text itself) into a portfolio text."""


class BenchInputError(ValueError):
    """Raised for a source directory the benchmark cannot use; the message says what to fix."""


@dataclass(frozen=True)
class SourceText:
    """One portfolio text: a title and a body (empty for the sentences of a pairs file)."""

    title: str
    body: str = ""

    @property
    def text(self) -> str:
        """Return title and body as one text, as `retrieval.Document.text` joins them."""
        if self.title and self.body:
            return f"{self.title}\n{self.body}"
        return self.title or self.body


def default_source_dir() -> Path:
    """Return `../shared/data/eval/dev` beside the repository this package was loaded from."""
    return Path(__file__).resolve().parents[4] / "shared" / "data" / "eval" / "dev"


def read_sources(directory: Path) -> list[SourceText]:
    """Read every `*.groups.jsonl` and `*.pairs.jsonl` in `directory`, distinct texts only.

    The files are interleaved item by item, so that a small portfolio already mixes every set
    (languages, lengths, titles with and without bodies).

    Raises:
        BenchInputError: the directory is missing, holds no such file, or a file is malformed.
    """
    if not directory.is_dir():
        raise BenchInputError(
            f"no development sets at {directory}: pass --source DIR, a directory with "
            "*.groups.jsonl or *.pairs.jsonl files (see data/eval/FORMAT.md)"
        )
    files = sorted([*directory.glob("*.groups.jsonl"), *directory.glob("*.pairs.jsonl")])
    if not files:
        raise BenchInputError(f"{directory} holds no *.groups.jsonl or *.pairs.jsonl file")
    try:
        per_file = [_texts_of(path) for path in files]
    except FormatError as exc:
        raise BenchInputError(str(exc)) from exc
    seen: set[str] = set()
    out: list[SourceText] = []
    for row in range(max(len(texts) for texts in per_file)):
        for texts in per_file:
            if row < len(texts) and texts[row].text not in seen:
                seen.add(texts[row].text)
                out.append(texts[row])
    if not out:
        raise BenchInputError(f"the files in {directory} hold no text")
    return out


def _texts_of(path: Path) -> list[SourceText]:
    if path.name.endswith(".groups.jsonl"):
        return [_item(i.title, i.body) for i in read_groups(path)]
    return [SourceText(s.strip()[:TITLE_CHARS]) for p in read_pairs(path) for s in (p.a, p.b) if s.strip()]


def _item(title: str, body: str) -> SourceText:
    title, body = title.strip(), body.strip()
    if not title:  # a portfolio item needs a title: take the body's first sentence
        title = _SENTENCE_END.split(body, maxsplit=1)[0][:120]
    return SourceText(title[:TITLE_CHARS], body)


def vary(source: SourceText, round_: int) -> SourceText:
    """Return the `round_`-th variation of a text; round 0 is the text itself.

    The same text and round always give the same variation (the random generator is seeded with
    both); the round number in the title keeps the rounds of one text apart.
    """
    if round_ == 0:
        return source
    rng = random.Random(f"{round_}\x00{source.text}")
    title = f"{rng.choice(PREFIXES)}: {source.title} ({rng.choice(UNITS)}, {round_})"
    sentences = _SENTENCE_END.split(source.body) if source.body else []
    rng.shuffle(sentences)
    return SourceText(title, " ".join(sentences))


def sign(source: SourceText, round_: int) -> SourceText:
    """Return the `round_`-th signed copy of a text: a signature block appended; round 0 is the text.

    Only the body changes, and only by lines `retrieval.boilerplate` removes before comparing (a
    sign-off followed by a name, a unit and a telephone number), so the compared text stays the
    source's and its vector can be reused. A greeting is not added: under a title it is no longer
    the first line, and only a first line is removed as a greeting. The number is the round, so
    the rounds of one text never coincide.
    """
    if round_ == 0:
        return source
    rng = random.Random(f"{round_}\x00{source.text}")
    signature = "\n".join(
        (
            rng.choice(SIGN_OFFS),
            f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            rng.choice(UNITS),
            f"Tfn 08-{round_ // 100:03d} {round_ % 100:02d} {rng.randrange(100):02d}",
        )
    )
    return SourceText(source.title, f"{source.body}\n\n{signature}" if source.body else signature)


def portfolio_texts(
    sources: Sequence[SourceText], count: int, variation: Variation = vary
) -> list[SourceText]:
    """Return `count` distinct texts: the sources in order, then rounds of `variation` of them."""
    if not sources:
        raise BenchInputError("no source texts to build a portfolio from")
    out: list[SourceText] = []
    seen: set[str] = set()
    for number in range(count):
        round_ = number // len(sources)
        candidate = variation(sources[number % len(sources)], round_)
        bump = 0
        while candidate.text in seen:  # a source that happens to read like another's variation
            bump += 1
            candidate = SourceText(f"{candidate.title} [{bump}]", candidate.body)
        seen.add(candidate.text)
        out.append(candidate)
    return out


def query_texts(sources: Sequence[SourceText], count: int, seed: int = 3) -> list[str]:
    """Return `count` query texts drawn from the sources, none identical to a source text.

    A text with a body becomes its body's first words (a truncated body); a sentence loses its
    last word. Sources are drawn at random (seeded, so every N gets the same queries); when there
    are fewer usable texts than `count`, they are repeated.

    Raises:
        BenchInputError: no source gives a usable query.
    """
    indexed = {s.text for s in sources}
    order = list(range(len(sources)))
    random.Random(seed).shuffle(order)
    usable = [q for q in (_query_of(sources[i]) for i in order) if q and q not in indexed]
    if not usable:
        raise BenchInputError("no source text is long enough to make a query from (4 words or more)")
    return [usable[i % len(usable)] for i in range(count)]


def _query_of(source: SourceText) -> str | None:
    words = (source.body or source.title).split()
    if len(words) < 4:
        return None
    keep = QUERY_WORDS if len(words) > QUERY_WORDS else len(words) - 1
    return " ".join(words[:keep])[:1000]
