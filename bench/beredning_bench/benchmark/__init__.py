"""Benchmarks of the service as its users meet it: `beredning bench similar` lives here.

`run_similar` builds a portfolio of N items from the development sets (`_corpus`), times the index
build beside the embedder alone (`_build`), serves the app in its own process and times the
similar-items API (`_server`), and times Decidim's pg_trgm query on the same texts (`_decidim`).
With `--reuse-embeddings` the index is written from vectors computed once per distinct compared
text (`_reuse`), so the query side can be measured at sizes the model could not embed in time.
The CLI module only parses options and prints.
"""

from beredning_bench.benchmark._build import RAW_SAMPLE, Timing, bench_settings, build_index, raw_throughput
from beredning_bench.benchmark._corpus import (
    BenchInputError,
    SourceText,
    default_source_dir,
    portfolio_texts,
    query_texts,
    read_sources,
    sign,
    vary,
)
from beredning_bench.benchmark._reuse import EmbeddingCache
from beredning_bench.benchmark._run import WARMUP_QUERIES, SimilarBenchResult, run_similar
from beredning_bench.benchmark._server import BenchError
from beredning_bench.benchmark._stats import Percentiles, percentile, summarize

__all__ = [
    "RAW_SAMPLE",
    "WARMUP_QUERIES",
    "BenchError",
    "BenchInputError",
    "EmbeddingCache",
    "Percentiles",
    "SimilarBenchResult",
    "SourceText",
    "Timing",
    "bench_settings",
    "build_index",
    "default_source_dir",
    "percentile",
    "portfolio_texts",
    "query_texts",
    "raw_throughput",
    "read_sources",
    "run_similar",
    "sign",
    "summarize",
    "vary",
]
