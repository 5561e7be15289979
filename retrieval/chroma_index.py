"""The vector index in Chroma, embedded (a directory) or a server (a URL).

Chroma never embeds here: the collection is created without an embedding function, so a call that
forgets the vectors fails instead of silently downloading Chroma's default model. One collection
per embedding model (`<name>-<model_id>`), so switching models never mixes vector spaces.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import numpy as np

from retrieval.base import DenseHit, Document, IndexUnavailable, Matrix, Vector, content_hash

_GET_BATCH = 5000
"""Ids per `get` call (see `ChromaIndex._get`)."""

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

T = TypeVar("T")

_META_PREFIX = "meta."
"""Document.metadata is stored under this prefix so it cannot clash with our own fields."""


def collection_name(name: str, model_id: str) -> str:
    """Return `<name>-<model_id>` made valid for Chroma (3-63 of [a-zA-Z0-9._-], alnum at ends)."""
    raw = re.sub(r"[^a-zA-Z0-9._-]+", "-", f"{name}-{model_id}")
    raw = re.sub(r"\.{2,}", ".", raw)
    raw = raw[:63].strip("._-")
    if len(raw) < 3:
        raw = f"{raw}-idx".strip("._-")
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", raw):
        raw = f"c-{raw}"
    return raw


def _server_address(url: str) -> tuple[str, int, bool]:
    """Return host, port and whether TLS is used, from `http(s)://host[:port]`."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not a Chroma server URL: {url!r}")
    ssl = parts.scheme == "https"
    return parts.hostname, parts.port or (443 if ssl else 8000), ssl


def _index_errors() -> tuple[type[BaseException], ...]:
    """Return the exception types Chroma and its HTTP client raise when the index is unusable."""
    import httpx
    from chromadb.errors import ChromaError

    return (ChromaError, httpx.HTTPError, ValueError, OSError, RuntimeError)


class ChromaIndex:
    """VectorIndex over one Chroma collection in cosine space; connects on first use.

    Each record carries `kind`, `ref`, `title` and `content_hash` (sha256 of the text and model id)
    in its metadata, and the text as its document, so the index can be inspected on its own.
    """

    def __init__(
        self,
        *,
        model_id: str,
        path: str | Path | None = None,
        url: str | None = None,
        collection: str = "beredning",
        client: ClientAPI | None = None,
    ) -> None:
        if client is None and (path is None) == (url is None or not url):
            raise ValueError("give exactly one of path (embedded Chroma) or url (Chroma server)")
        self._path = Path(path) if path is not None else None
        # Parsed now, so that a malformed URL is a settings error at startup, not a retry loop.
        self._server = _server_address(url) if url else None
        self._model_id = model_id
        self.collection_name = collection_name(collection, model_id)
        self._client = client
        self._collection: Collection | None = None
        self._lock = threading.Lock()

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except _index_errors() as exc:
            raise IndexUnavailable(f"Chroma {action} failed: {exc}") from exc

    def _connect(self) -> ClientAPI:
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False)
        if self._server is not None:
            host, port, ssl = self._server
            return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=settings)
        assert self._path is not None
        self._path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(self._path), settings=settings)

    def _col(self) -> Collection:
        with self._lock:
            if self._collection is not None:
                return self._collection
            with self._errors("connect"):
                if self._client is None:
                    self._client = self._connect()
                col = self._client.get_or_create_collection(
                    self.collection_name,
                    configuration={"hnsw": {"space": "cosine"}},
                    embedding_function=None,
                )
            space = (col.configuration.get("hnsw") or {}).get("space", "cosine")
            if space != "cosine":
                raise IndexUnavailable(
                    f"collection {self.collection_name} uses {space} distance, not cosine; rebuild the index"
                )
            self._collection = col
            return col

    def _call(self, action: str, fn: Callable[[Collection], T]) -> T:
        col = self._col()
        try:
            with self._errors(action):
                return fn(col)
        except IndexUnavailable:
            # Another process may have compacted the collection (a new one under the same name):
            # look it up again once before giving up.
            with self._lock:
                self._collection = None
            col = self._col()
            with self._errors(action):
                return fn(col)

    def _batch_size(self) -> int:
        """Return Chroma's largest accepted batch; servers that cannot tell get a safe 1000."""
        client = self._client
        if client is None or not hasattr(client, "get_max_batch_size"):
            return 1000
        try:
            return max(1, int(client.get_max_batch_size()))
        except _index_errors():
            return 1000

    def upsert(self, documents: Sequence[Document], embeddings: Matrix) -> None:
        """Insert or replace documents with their vectors, in batches Chroma accepts."""
        if len(documents) != len(embeddings):
            raise ValueError(f"{len(documents)} documents but {len(embeddings)} embeddings")
        if not documents:
            return
        self._col()
        step = self._batch_size()
        for start in range(0, len(documents), step):
            docs = documents[start : start + step]
            vectors = np.asarray(embeddings[start : start + step], dtype=np.float32)
            self._call(
                "upsert",
                lambda col, docs=docs, vectors=vectors: col.upsert(  # type: ignore[misc]
                    ids=[d.key for d in docs],
                    embeddings=vectors,
                    metadatas=[self._metadata(d) for d in docs],
                    documents=[d.text for d in docs],
                ),
            )

    def _metadata(self, doc: Document) -> dict[str, str | int | float | bool]:
        meta: dict[str, str | int | float | bool] = {f"{_META_PREFIX}{k}": v for k, v in doc.metadata.items()}
        meta.update(
            kind=doc.kind,
            ref=doc.ref,
            title=doc.title,
            content_hash=content_hash(doc.text, self._model_id),
        )
        return meta

    def delete(self, keys: Sequence[str]) -> None:
        """Remove documents; unknown keys are ignored."""
        if keys:
            self._call("delete", lambda col: col.delete(ids=list(keys)))

    def query(self, embedding: Vector, limit: int, kinds: Sequence[str] | None = None) -> list[DenseHit]:
        """Return up to `limit` nearest documents; similarity = 1 - cosine distance."""
        if limit <= 0 or (kinds is not None and not kinds):
            return []
        where: Any = {"kind": {"$in": list(kinds)}} if kinds else None
        vector = np.asarray(embedding, dtype=np.float32).reshape(1, -1)

        # No count() first: Chroma 1.x answers an empty collection with no ids, and over HTTP the
        # count was a second round trip per query.
        def run(col: Collection) -> Any:
            return col.query(query_embeddings=vector, n_results=limit, where=where, include=["distances"])

        result = self._call("query", run)
        ids = result["ids"][0]
        distances = (result["distances"] or [[]])[0]
        return [DenseHit(key=k, similarity=1.0 - float(d)) for k, d in zip(ids, distances, strict=True)]

    def count(self) -> int:
        """Return the number of stored documents."""
        return self._call("count", lambda col: int(col.count()))

    def reset(self) -> None:
        """Drop and recreate the collection (faster than deleting every id)."""
        self._col()
        with self._lock:
            client = self._client
            assert client is not None
            with self._errors("reset"):
                client.delete_collection(self.collection_name)
            self._collection = None
        self._col()

    def compact(self) -> None:
        """Rewrite the collection from what it holds, so that deleted documents leave no trace.

        Chroma only marks a deleted vector in its HNSW files and leaves the deleted rows in its
        SQLite file: after an erasure both still hold the text and its vector. The live documents
        are copied with their stored vectors (nothing is embedded again) into a new collection,
        the old one is dropped and the new one takes its name. If the process dies in between,
        the index is incomplete but SQL is not: `beredning reindex` rebuilds it.
        """
        col = self._col()
        with self._lock:
            client = self._client
            assert client is not None
            temporary = collection_name(f"{self.collection_name[:40]}-compact", "tmp")
            with self._errors("compact"):
                total = col.count()
                if temporary in {c.name for c in client.list_collections()}:
                    client.delete_collection(temporary)
                fresh = client.create_collection(
                    temporary, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
                )
                step = min(self._batch_size(), _GET_BATCH)
                for offset in range(0, total, step):
                    got = col.get(include=["embeddings", "metadatas", "documents"], limit=step, offset=offset)
                    if got["ids"]:
                        fresh.add(
                            ids=got["ids"],
                            embeddings=got["embeddings"],
                            metadatas=got["metadatas"],
                            documents=got["documents"],
                        )
                client.delete_collection(self.collection_name)
                fresh.modify(name=self.collection_name)
            self._collection = None

    def _get(self, keys: Sequence[str], include: list[Any]) -> Iterator[Any]:
        """Yield Chroma's answers for `keys`, one batch at a time.

        Chroma's embedded store binds one SQL variable per id; SQLite refuses more than 32,766,
        which a sync of 100,000 items reached. Batches keep every call well under that, and are
        handed on one by one: from a Chroma server the vectors arrive as JSON lists of Python
        floats (some 30 bytes a number), which at a first sync of 100,000 items were all held at
        once.
        """
        for start in range(0, len(keys), _GET_BATCH):
            ids = list(keys[start : start + _GET_BATCH])

            def fetch(col: Collection, ids: list[str] = ids) -> Any:
                return col.get(ids=ids, include=include)

            yield self._call("get", fetch)

    def content_hashes(self, keys: Sequence[str]) -> dict[str, str]:
        """Return the stored `content_hash` for each known key, to skip re-embedding."""
        out: dict[str, str] = {}
        for got in self._get(keys, ["metadatas"]):
            metas = got["metadatas"] or [None] * len(got["ids"])
            out.update(
                (k, str(m["content_hash"]))
                for k, m in zip(got["ids"], metas, strict=True)
                if m is not None and "content_hash" in m
            )
        return out

    def get_embeddings(self, keys: Sequence[str]) -> dict[str, Vector]:
        """Return the stored vector for each known key."""
        out: dict[str, Vector] = {}
        for got in self._get(keys, ["embeddings"]):
            if got["embeddings"] is not None and len(got["ids"]):
                # one conversion per batch (no Python object per number), then a copy per row, so
                # that no vector keeps its whole batch alive after the others are replaced
                batch = np.asarray(got["embeddings"], dtype=np.float32)
                out.update((k, row.copy()) for k, row in zip(got["ids"], batch, strict=True))
        return out

    def get_documents(self, keys: Sequence[str]) -> dict[str, Document]:
        """Return the stored documents for known keys, rebuilt from their metadata and text."""
        out: dict[str, Document] = {}
        rows: list[tuple[str, Any, Any]] = []
        for got in self._get(keys, ["metadatas", "documents"]):
            ids = got["ids"]
            texts = got["documents"] or [None] * len(ids)
            metas = got["metadatas"] or [None] * len(ids)
            rows.extend(zip(ids, metas, texts, strict=True))
        for key, meta, text in rows:
            meta = dict(meta or {})
            title = str(meta.get("title", ""))
            text = text or ""
            body = text[len(title) + 1 :] if title and text.startswith(f"{title}\n") else ""
            if not title:
                body = text
            out[key] = Document(
                key=key,
                kind=str(meta.get("kind", "")),
                ref=str(meta.get("ref", "")),
                title=title,
                body=body,
                metadata={
                    k[len(_META_PREFIX) :]: v
                    for k, v in meta.items()
                    if k.startswith(_META_PREFIX) and isinstance(v, (str, int, float, bool))
                },
            )
        return out
