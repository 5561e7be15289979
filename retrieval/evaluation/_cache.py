"""An on-disk cache of embeddings for evaluation runs, so that a second run embeds nothing.

A group run embeds every item of the file (about 3 long texts a second with e5 on two cores), so
re-running `beredning eval` after a change to the scoring, not to the model, would spend minutes
re-making the same vectors. `DiskEmbeddingCache` keeps each vector in a file named by the SHA-256 of
the embedder id, the role (`passage`: `embed_documents`, `query`: `embed_query`) and the text:

    <root>/<embedder id>/<role>/<first two hex digits>/<sha256>.npy

- A changed model, prefix convention or text gives another key, so a stale vector is never read
  (an embedder that changes what it computes must change its `model_id`).
- Safe against concurrent writers (two evaluations at once): a vector is written to a temporary
  file in the same directory and moved into place with `Path.replace` (`os.replace`), which is
  atomic; readers see either no file or a whole one, and two writers of one key write the same
  vector.
- A file that cannot be read (a disk filled mid-write by something else) counts as missing and is
  written again.

Only evaluation uses it (`beredning eval --cache-dir`, `$BEREDNING_EVAL_CACHE`, default
`<data_dir>/cache/embeddings`; `--no-cache` turns it off). The service keeps its vectors in the
vector index and never reads this cache.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Literal

import numpy as np

from retrieval.base import Vector

Role = Literal["passage", "query"]


class DiskEmbeddingCache:
    """Vectors of one embedder on disk, keyed by role and text hash."""

    def __init__(self, root: Path, model_id: str) -> None:
        self.model_id = model_id
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", model_id) or "_"
        self.directory = root / safe

    def _path(self, role: Role, text: str) -> Path:
        digest = hashlib.sha256(f"{self.model_id}\0{role}\0{text}".encode()).hexdigest()
        return self.directory / role / digest[:2] / f"{digest}.npy"

    def get(self, role: Role, text: str) -> Vector | None:
        """Return the stored vector, or None when there is none (or it cannot be read)."""
        path = self._path(role, text)
        try:
            vector = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        if vector.ndim != 1 or vector.dtype != np.float32:
            return None
        found: Vector = vector
        return found

    def put(self, role: Role, text: str, vector: Vector) -> None:
        """Store a vector atomically; a failure to write only costs a later re-embedding."""
        path = self._path(role, text)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npy")
            try:
                with os.fdopen(handle, "wb") as out:
                    np.save(out, np.asarray(vector, dtype=np.float32), allow_pickle=False)
                Path(temporary).replace(path)  # atomic within one directory
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            return
