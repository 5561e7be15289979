"""Test doubles for the typed seams; each satisfies its Protocol under mypy --strict."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from intake.privacy import MaskedText
from retrieval.base import (
    DenseHit,
    Document,
    Embedder,
    EmbeddingError,
    IndexUnavailable,
    Matrix,
    StoredVectors,
    Vector,
    VectorIndex,
    content_hash,
)

if TYPE_CHECKING:  # the fakes only name these: importing a fake loads no app and no LLM library
    from sqlalchemy.engine import Engine

    from intake.domain.process import ProcessDefinition
    from intake.drafting.client import Drafter, LlmResult, PromptLike
    from intake.services.drafting import DraftingService
    from intake.services.jobs import Claim, Handler
    from intake.services.similarity import SimilarityService
    from intake.settings import Settings
    from intake.web.background import JobFlows

FAKE_DIM = 64


class FakeEmbedder:
    """Deterministic embedder: character trigrams hashed (crc32) into 64 dims, normalised.

    Texts that share trigrams get a high cosine, as with a real model on near-duplicates, and
    every call is recorded so tests can check what was (not) re-embedded.
    """

    def __init__(self, model_id: str = "fake-trigram-64") -> None:
        self._model_id = model_id
        self.document_calls: list[list[str]] = []
        self.query_calls: list[str] = []

    @property
    def model_id(self) -> str:
        """Return the id given at construction."""
        return self._model_id

    @property
    def embedded_texts(self) -> list[str]:
        """Return every document text embedded so far, in order."""
        return [t for call in self.document_calls for t in call]

    @staticmethod
    def vector(text: str) -> Vector:
        """Return the embedding of one text (also usable without an instance)."""
        out = np.zeros(FAKE_DIM, dtype=np.float32)
        padded = f"  {text.casefold()}  "
        for i in range(len(padded) - 2):
            out[zlib.crc32(padded[i : i + 3].encode()) % FAKE_DIM] += 1.0
        return np.asarray(out / np.linalg.norm(out), dtype=np.float32)

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        """Embed texts to store."""
        self.document_calls.append(list(texts))
        if not texts:
            return np.zeros((0, FAKE_DIM), dtype=np.float32)
        return np.stack([self.vector(t) for t in texts])

    def embed_query(self, text: str) -> Vector:
        """Embed a text to search for."""
        self.query_calls.append(text)
        return self.vector(text)


class FailingEmbedder:
    """Embedder whose model never loads: every call raises EmbeddingError and is counted."""

    def __init__(self, model_id: str = "failing") -> None:
        self._model_id = model_id
        self.calls = 0

    @property
    def model_id(self) -> str:
        """Return the id given at construction."""
        return self._model_id

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        """Raise, as a model that cannot load would."""
        self.calls += 1
        raise EmbeddingError("fake model unavailable")

    def embed_query(self, text: str) -> Vector:
        """Raise, as a model that cannot load would."""
        self.calls += 1
        raise EmbeddingError("fake model unavailable")


class InMemoryVectorIndex:
    """VectorIndex by numpy brute force, storing content hashes like ChromaIndex does.

    Set `unavailable = True` to make every call raise IndexUnavailable, as a down server would.
    """

    def __init__(self, model_id: str = "fake-trigram-64") -> None:
        self.model_id = model_id
        self.unavailable = False
        self.upserted: list[str] = []
        self._docs: dict[str, Document] = {}
        self._vectors: dict[str, Vector] = {}

    def _check(self) -> None:
        if self.unavailable:
            raise IndexUnavailable("fake index is down")

    def upsert(self, documents: Sequence[Document], embeddings: Matrix) -> None:
        """Insert or replace documents with their vectors."""
        self._check()
        if len(documents) != len(embeddings):
            raise ValueError("documents and embeddings differ in length")
        for doc, vector in zip(documents, embeddings, strict=True):
            self._docs[doc.key] = doc
            self._vectors[doc.key] = np.asarray(vector, dtype=np.float32)
            self.upserted.append(doc.key)

    def delete(self, keys: Sequence[str]) -> None:
        """Remove documents; unknown keys are ignored."""
        self._check()
        for key in keys:
            self._docs.pop(key, None)
            self._vectors.pop(key, None)

    def query(self, embedding: Vector, limit: int, kinds: Sequence[str] | None = None) -> list[DenseHit]:
        """Return up to `limit` nearest documents by cosine."""
        self._check()
        keys = [k for k, d in self._docs.items() if kinds is None or d.kind in kinds]
        if not keys or limit <= 0:
            return []
        sims = np.stack([self._vectors[k] for k in keys]) @ embedding
        order = np.argsort(-sims, kind="stable")[:limit]
        return [DenseHit(key=keys[i], similarity=float(sims[i])) for i in order]

    def count(self) -> int:
        """Return the number of stored documents."""
        self._check()
        return len(self._docs)

    def reset(self) -> None:
        """Remove every document."""
        self._check()
        self._docs.clear()
        self._vectors.clear()

    def content_hashes(self, keys: Sequence[str]) -> dict[str, str]:
        """Return the content hash of each stored key."""
        self._check()
        return {k: content_hash(self._docs[k].text, self.model_id) for k in keys if k in self._docs}

    def get_embeddings(self, keys: Sequence[str]) -> dict[str, Vector]:
        """Return the stored vector of each known key."""
        self._check()
        return {k: self._vectors[k] for k in keys if k in self._vectors}


class FakeJobFlows:
    """The app's job flows without Prefect: records what the job runner asks of them, in order."""

    def __init__(self, api_url: str | None = None) -> None:
        self.url = api_url
        self.calls: list[str] = []
        self.handled: list[int] = []
        self.ticks = 0

    def api_url(self) -> str | None:
        self.calls.append("api_url")
        return self.url

    @contextmanager
    def local_api(self, settings: Settings) -> Iterator[None]:
        self.calls.append("enter local api")
        try:
            yield
        finally:
            self.calls.append("leave local api")

    def stop_local_server(self) -> None:
        self.calls.append("stop local server")

    def triage_handler(
        self, settings: Settings, engine: Engine, similarity: SimilarityService, drafting: DraftingService
    ) -> Handler:
        self.calls.append("triage_handler")
        return self._handle

    def periodic_tick(
        self,
        settings: Settings,
        engine: Engine,
        process: ProcessDefinition,
        similarity: SimilarityService,
        drafting: DraftingService,
    ) -> Callable[[], object]:
        self.calls.append("periodic_tick")
        return self._tick

    def _handle(self, held: Claim) -> str | None:
        self.handled.append(held.submission_id)
        return None

    def _tick(self) -> None:
        self.ticks += 1


class FakeDrafter:
    """A drafting model that answers `reply`, or raises it when it is an exception.

    Set `reply` between calls to take the model down (`DraftUnavailable`) or make it answer garbage
    (`DraftInvalid`). It refuses anything but `MaskedText`, as the real client's type does, and
    remembers every call, so a test can check what reached the model.
    """

    model_id = "fake-model"

    def __init__(
        self, reply: dict[str, Any] | Exception, *, usage: tuple[int, int, int] = (10, 5, 7)
    ) -> None:
        self.reply = reply
        self.usage = usage
        """Input tokens, output tokens and latency in ms that each answer reports."""
        self.calls: list[tuple[MaskedText, PromptLike, dict[str, Any], Mapping[str, str]]] = []

    @property
    def seen(self) -> list[str]:
        """The masked texts the model was sent, in order."""
        return [text.text for text, *_ in self.calls]

    def draft(
        self, text: MaskedText, prompt: PromptLike, schema: dict[str, Any], context: Mapping[str, str]
    ) -> LlmResult:
        if not isinstance(text, MaskedText):
            raise TypeError("masked text only")
        self.calls.append((text, prompt, schema, context))
        if isinstance(self.reply, Exception):
            raise self.reply
        from intake.drafting.client import LlmResult  # the client's module loads the LLM libraries

        return LlmResult(self.reply, self.model_id, prompt.version, *self.usage, 1, False)


def _conforms() -> None:
    """Let mypy check the fakes against the Protocols (never called)."""
    _e: Embedder = FakeEmbedder()
    _f: Embedder = FailingEmbedder()
    _v: VectorIndex = InMemoryVectorIndex()
    _s: StoredVectors = InMemoryVectorIndex()
    _j: JobFlows = FakeJobFlows()
    _d: Drafter = FakeDrafter({})
