"""Evaluate similarity methods on graded pairs and duplicate groups (`data/eval/FORMAT.md`).

`hybrid` is the service's scorer; `dense` and `lexical` are its parts alone; `decidim` and
`fider` are the peers, run on PostgreSQL as they run (`load_items` fills their table and
`with_trigrams` readies a session for pg_trgm; the benchmark times Decidim's query with both).
`fit_score_model` fits the hybrid's score model on graded pairs (`beredning eval fit`). The metric
definitions are in `retrieval.evaluation._metrics`.
"""

from retrieval.evaluation._cache import DiskEmbeddingCache
from retrieval.evaluation._data import (
    FormatError,
    Item,
    Pair,
    first_groups,
    json_objects,
    read_groups,
    read_pairs,
)
from retrieval.evaluation._fit import fit_score_model
from retrieval.evaluation._kind_fit import (
    FittedKind,
    KindFigures,
    KindQuery,
    cross_validate,
    figures,
    fit_kind,
)
from retrieval.evaluation._memory_index import CachingEmbedder, NumpyVectorIndex
from retrieval.evaluation._metrics import (
    DEPTH,
    Flagging,
    Ranking,
    best_flagging,
    flagging_at,
    group_metrics,
    pair_metrics,
    spearman,
)
from retrieval.evaluation._postgres import (
    DECIDIM_LIMIT,
    DECIDIM_THRESHOLD,
    DEFAULT_PG_URL,
    DecidimScorer,
    FiderScorer,
    load_items,
    scratch_schema,
    text_search_config,
    with_trigrams,
)
from retrieval.evaluation._run import Result, evaluate_groups, evaluate_pairs
from retrieval.evaluation._scorers import DenseScorer, HybridScorer, LexicalScorer, Scorer

METHODS = ("hybrid", "dense", "lexical", "decidim", "fider")
"""Every method, in the order `all` runs and prints them."""

__all__ = [
    "DECIDIM_LIMIT",
    "DECIDIM_THRESHOLD",
    "DEFAULT_PG_URL",
    "DEPTH",
    "METHODS",
    "CachingEmbedder",
    "DecidimScorer",
    "DenseScorer",
    "DiskEmbeddingCache",
    "FiderScorer",
    "FittedKind",
    "Flagging",
    "FormatError",
    "HybridScorer",
    "Item",
    "KindFigures",
    "KindQuery",
    "LexicalScorer",
    "NumpyVectorIndex",
    "Pair",
    "Ranking",
    "Result",
    "Scorer",
    "best_flagging",
    "cross_validate",
    "evaluate_groups",
    "evaluate_pairs",
    "figures",
    "first_groups",
    "fit_kind",
    "fit_score_model",
    "flagging_at",
    "group_metrics",
    "json_objects",
    "load_items",
    "pair_metrics",
    "read_groups",
    "read_pairs",
    "scratch_schema",
    "spearman",
    "text_search_config",
    "with_trigrams",
]
