"""Find similar ideas: embedders, a Chroma vector index, a character n-gram index, hybrid search.

Works on `Document`s only, never on the service's rows, so it can be evaluated on its own.
Importing this package loads no model and opens no index; both happen on first use.
"""

from retrieval.base import (
    DenseHit,
    Document,
    Embedder,
    EmbeddingError,
    IndexUnavailable,
    Match,
    Matrix,
    StoredVectors,
    Vector,
    VectorIndex,
    content_hash,
)
from retrieval.chroma_index import ChromaIndex, collection_name
from retrieval.embedders import (
    E5Embedder,
    SentenceTransformerEmbedder,
    embedder_from_config,
    model_id_for,
    resolve_model_path,
)
from retrieval.lexical import LexicalIndex, normalise, shared_terms
from retrieval.scoring import Calibration, ScoreModel, shipped_model
from retrieval.search import SimilaritySearch, UpsertResult

__all__ = [
    "Calibration",
    "ChromaIndex",
    "DenseHit",
    "Document",
    "E5Embedder",
    "Embedder",
    "EmbeddingError",
    "IndexUnavailable",
    "LexicalIndex",
    "Match",
    "Matrix",
    "ScoreModel",
    "SentenceTransformerEmbedder",
    "SimilaritySearch",
    "StoredVectors",
    "UpsertResult",
    "Vector",
    "VectorIndex",
    "collection_name",
    "content_hash",
    "embedder_from_config",
    "model_id_for",
    "normalise",
    "resolve_model_path",
    "shared_terms",
    "shipped_model",
]
