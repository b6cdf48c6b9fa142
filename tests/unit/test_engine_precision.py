"""Precision choice (engine/precision.py) and the OpenVINO session behind precision="bf16": the selection logic on
CPUs with and without the instructions, the adapter against the numpy reference and onnxruntime, and every
encoder taking the same precision argument."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from sparsebolt.dense import OnnxEmbeddingFunction
from sparsebolt.engine.build import graph_path
from sparsebolt.engine.files import resolve_model
from sparsebolt.engine.precision import (
    BF16_FLAGS,
    PRECISIONS,
    RunPrecision,
    cpu_flags,
    openvino_installed,
    resolve_precision,
)
from sparsebolt.engine.session import create_session
from tests.unit.dense_tiny import TINY_CONFIG, bert_forward, make_tiny_model

SAPPHIRE_RAPIDS = {"avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_int8", "amx_bf16"}
ICE_LAKE = {"avx512f", "avx512_vnni"}  # VNNI, no bf16
HASWELL = {"avx2", "fma"}
HAS_BF16 = bool(cpu_flags() & BF16_FLAGS)
needs_openvino = pytest.mark.skipif(not openvino_installed(), reason="openvino is not installed")
needs_bf16 = pytest.mark.skipif(not (HAS_BF16 and openvino_installed()), reason="this CPU has no bf16 instructions")


# the choice --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("flags", "has_openvino", "expected"),
    [
        (SAPPHIRE_RAPIDS, True, "bf16"),
        (SAPPHIRE_RAPIDS, False, "int8"),  # bf16 instructions but no OpenVINO: VNNI's int8 on onnxruntime
        ({"avx512_bf16"}, True, "bf16"),  # AVX-512 BF16 without AMX still runs bf16
        (ICE_LAKE, True, "int8"),
        ({"avx_vnni"}, True, "int8"),
        (HASWELL, True, "fp32"),
        (set(), True, "fp32"),  # no /proc/cpuinfo (macOS, Windows)
    ],
)
def test_auto_picks_the_fastest_precision_the_cpu_has(flags: set[str], has_openvino: bool, expected: str) -> None:
    chosen = resolve_precision("auto", flags=flags, has_openvino=has_openvino)
    assert chosen.name == expected
    assert chosen.runtime == ("openvino" if expected == "bf16" else "onnxruntime")
    assert chosen.graph == ("int8" if expected == "int8" else "fp32")


def test_auto_never_picks_int8_for_an_encoder_without_an_int8_graph() -> None:
    assert resolve_precision("auto", int8=False, flags=ICE_LAKE, has_openvino=True).name == "fp32"
    assert resolve_precision("auto", int8=False, flags=SAPPHIRE_RAPIDS, has_openvino=True).name == "bf16"


@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_auto_on_a_gpu_is_fp32(device: str) -> None:
    assert resolve_precision("auto", device=device, flags=SAPPHIRE_RAPIDS, has_openvino=True).name == "fp32"


def test_explicit_precisions_resolve_to_their_runtime_whatever_the_cpu() -> None:
    for flags in (SAPPHIRE_RAPIDS, HASWELL):
        assert resolve_precision("fp32", flags=flags, has_openvino=True) == RunPrecision("fp32", "fp32", "onnxruntime")
        assert resolve_precision("int8", flags=flags, has_openvino=True) == RunPrecision("int8", "int8", "onnxruntime")
    assert resolve_precision("bf16", flags=SAPPHIRE_RAPIDS, has_openvino=True) == RunPrecision(
        "bf16", "fp32", "openvino", attention="matmul"
    )


def test_bf16_where_it_cannot_run_says_what_to_do() -> None:
    with pytest.raises(ValueError, match="amx_bf16 or avx512_bf16.*precision='auto'"):
        resolve_precision("bf16", flags=ICE_LAKE, has_openvino=True)
    with pytest.raises(ImportError, match=r"pip install 'sparsebolt\[openvino\]'"):
        resolve_precision("bf16", flags=SAPPHIRE_RAPIDS, has_openvino=False)
    with pytest.raises(ValueError, match="runs on the CPU"):
        resolve_precision("bf16", device="cuda", flags=SAPPHIRE_RAPIDS, has_openvino=True)


@pytest.mark.parametrize("bad", ["fp16", "FP32", "", None, 8, "int4"])
def test_unknown_precisions_list_the_choices(bad: object) -> None:
    with pytest.raises(ValueError, match="choose one of"):
        resolve_precision(bad, flags=HASWELL, has_openvino=True)  # type: ignore[arg-type]
    assert set(PRECISIONS) == {"fp32", "int8", "bf16", "auto"}


def test_int8_is_refused_where_no_int8_graph_is_built() -> None:
    with pytest.raises(ValueError, match="dense sentence encoders only"):
        resolve_precision("int8", int8=False, flags=ICE_LAKE, has_openvino=True)


def test_cpu_flags_read_the_flags_line(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: fpu avx2 amx_bf16 avx512_vnni\n\n")
    assert cpu_flags(info) == {"fpu", "avx2", "amx_bf16", "avx512_vnni"}
    assert cpu_flags(tmp_path / "missing") == frozenset()
    (tmp_path / "noflags").write_text("processor\t: 0\n")
    assert cpu_flags(tmp_path / "noflags") == frozenset()


# the OpenVINO session ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "model", max_seq_length=20)


@pytest.fixture(scope="module")
def graph(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return graph_path(resolve_model(str(folder)), cache=tmp_path_factory.mktemp("cache"))


def _feeds(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, 60, size=(3, 11)).astype(np.int64)
    mask = np.ones_like(ids)
    mask[1, 7:] = 0
    mask[2, 4:] = 0
    return {"input_ids": ids, "attention_mask": mask}


def _reference(folder: Path, feeds: dict[str, np.ndarray]) -> np.ndarray:
    weights = load_file(str(folder / "model.safetensors"))
    return bert_forward(weights, TINY_CONFIG, feeds["input_ids"], feeds["attention_mask"])


@needs_openvino
def test_openvino_session_in_f32_equals_the_reference_and_onnxruntime(folder: Path, graph: Path) -> None:
    from sparsebolt.engine.openvino_session import OpenVinoSession

    session = OpenVinoSession(graph, inference_precision="f32", threads=1)
    ort_session = create_session(graph, threads=1)
    assert [i.name for i in session.get_inputs()] == [i.name for i in ort_session.get_inputs()]
    assert [(i.type, len(i.shape)) for i in session.get_inputs()] == [
        (i.type, len(i.shape)) for i in ort_session.get_inputs()
    ]
    assert [o.name for o in session.get_outputs()] == [o.name for o in ort_session.get_outputs()]
    assert session.get_outputs()[0].shape[-1] == TINY_CONFIG["hidden_size"]
    feeds = _feeds()
    name = session.get_outputs()[0].name
    got = session.run([name], feeds)[0]
    reference = _reference(folder, feeds)
    kept = feeds["attention_mask"].astype(bool)
    np.testing.assert_allclose(got[kept], reference[kept], atol=5e-5)
    np.testing.assert_allclose(got, ort_session.run([name], feeds)[0], atol=5e-5)


@needs_openvino
def test_openvino_session_outputs_are_the_callers_and_threads_share_it(folder: Path, graph: Path) -> None:
    from sparsebolt.engine.openvino_session import OpenVinoSession

    session = OpenVinoSession(graph, inference_precision="f32", threads=1)
    name = session.get_outputs()[0].name
    first = session.run([name], _feeds(0))[0]
    kept = first.copy()
    session.run([name], _feeds(1))  # a later inference must not overwrite an earlier result
    np.testing.assert_array_equal(first, kept)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda seed: session.run(None, _feeds(seed))[0], [0, 1, 2, 3] * 3))
    for seed, result in zip([0, 1, 2, 3] * 3, results):
        np.testing.assert_allclose(result, session.run([name], _feeds(seed))[0], atol=1e-6)
    with pytest.raises(ValueError, match="no outputs"):
        session.run(["logits"], _feeds())
    with pytest.raises(ValueError, match="threads"):
        OpenVinoSession(graph, threads=0)


def _bulk_feeds(rows: int, length: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, 60, size=(rows, length)).astype(np.int64)
    mask = np.ones_like(ids)
    mask[::3, length // 2 :] = 0  # padded rows among full ones, as a length-sorted batch has
    return {"input_ids": ids, "attention_mask": mask}


@needs_openvino
def test_a_recurring_large_batch_shape_runs_on_its_own_compiled_model_with_the_same_outputs(
    folder: Path, graph: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sparsebolt.engine import openvino_session
    from sparsebolt.engine.openvino_session import OpenVinoSession

    # The tiny model runs in microseconds: count a compile as nearly free, so one dynamic run earns one.
    monkeypatch.setattr(openvino_session, "_FIRST_COMPILE_ESTIMATE", 1e-9)
    session = OpenVinoSession(graph, inference_precision="f32", threads=2)
    assert session.streams == 2 and session.max_static == openvino_session.MAX_STATIC  # a tiny model fits
    name = session.get_outputs()[0].name
    rows, length = 128, openvino_session.STATIC_MIN_TOKENS // 128
    feeds = [_bulk_feeds(rows, length, seed) for seed in range(3)]
    dynamic = session.run([name], feeds[0])[0]  # first sighting: the dynamic model
    assert not session._static
    split = [session.run([name], f)[0] for f in feeds]  # second sighting on: compiled for the shape, two streams
    assert len(session._static) == 1
    np.testing.assert_allclose(split[0], dynamic, atol=1e-5)
    for f, got in zip(feeds, split):
        kept = f["attention_mask"].astype(bool)
        np.testing.assert_allclose(got[kept], _reference(folder, f)[kept], atol=5e-5)
    with ThreadPoolExecutor(3) as pool:  # threads share the compiled model, each with its own requests
        again = list(pool.map(lambda f: session.run([name], f)[0], feeds * 2))
    for got, want in zip(again, split * 2):
        np.testing.assert_array_equal(got, want)
    # Small batches, odd row counts and shapes seen once stay on the dynamic model; the cache is bounded.
    for shape in [(2, 11), (rows + 1, length), (rows, length + 1)]:
        session.run([name], _bulk_feeds(*shape, seed=0))
    session.run([name], _bulk_feeds(2, 11, seed=1))
    assert len(session._static) == 1
    assert session._compile_seconds > 1e-6  # the real compile's time is the next estimate
    session.run([name], _bulk_feeds(rows, length + 1, seed=1))
    assert len(session._static) == 1  # the dynamic model has not yet spent five compiles' time on that shape
    session._compile_seconds = 1e-9
    session.max_static = 1
    session.run([name], _bulk_feeds(rows, length + 1, seed=1))  # it would earn one, but the models made stay
    assert list(session._static) == [(("attention_mask", rows, length), ("input_ids", rows, length))]
    session.max_static = 2
    session.run([name], _bulk_feeds(rows, length + 1, seed=1))
    assert len(session._static) == 2


@needs_openvino
def test_a_graph_whose_output_is_not_batch_first_never_runs_split(monkeypatch: pytest.MonkeyPatch) -> None:
    from onnx import TensorProto, helper

    from sparsebolt.engine import openvino_session
    from sparsebolt.engine.openvino_session import OpenVinoSession

    nodes = [helper.make_node("Cast", ["input_ids"], ["f"], to=TensorProto.FLOAT),
             helper.make_node("Transpose", ["f"], ["y"], perm=[1, 0])]
    graph = helper.make_graph(nodes, "columns", [helper.make_tensor_value_info("input_ids", TensorProto.INT64,
                                                                               ["batch", "length"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["length", "batch"])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    monkeypatch.setattr(openvino_session, "_FIRST_COMPILE_ESTIMATE", 1e-9)
    session = OpenVinoSession(model, inference_precision="f32", threads=2)
    ids = np.arange(128 * 16, dtype=np.int64).reshape(128, 16)
    for _ in range(3):
        np.testing.assert_array_equal(session.run(None, {"input_ids": ids})[0], ids.T.astype(np.float32))
    assert session.max_static == 0 and not session._static


@needs_openvino
def test_create_session_refuses_providers_for_openvino_and_unknown_runtimes(graph: Path) -> None:
    with pytest.raises(ValueError, match="providers= selects onnxruntime"):
        create_session(graph, providers=["CPUExecutionProvider"], runtime="openvino")
    with pytest.raises(ValueError, match="runtime 'tensorrt' is not supported"):
        create_session(graph, runtime="tensorrt")


# the encoders ------------------------------------------------------------------------------------------------
TEXTS = ["the sky over the sea", "", "sea sky " * 9, "a b c d e f g h i j"]


@needs_bf16
def test_dense_bf16_is_within_its_documented_fidelity_of_the_reference(folder: Path, tmp_path: Path) -> None:
    exact = OnnxEmbeddingFunction(model_path=folder, cache_dir=tmp_path, threads=1)
    fast = OnnxEmbeddingFunction(model_path=folder, cache_dir=tmp_path, threads=1, precision="bf16")
    assert fast.run_precision.runtime == "openvino" and "OpenVINO" in fast.session.get_providers()[0]
    assert "precision='bf16'" in repr(fast)
    got, want = fast.encode(TEXTS), exact.encode(TEXTS)
    assert got.dtype == np.float32 and got.shape == want.shape
    cosine = np.sum(got * want, axis=1)
    assert cosine.min() > 0.999, cosine
    assert not np.array_equal(got, want)  # bf16 really ran: the products were rounded


def test_auto_is_shown_with_what_it_chose(folder: Path, tmp_path: Path) -> None:
    encoder = OnnxEmbeddingFunction(model_path=folder, cache_dir=tmp_path, threads=1, precision="auto")
    assert repr(encoder).count(f"precision='auto' ({encoder.run_precision.name})") == 1
    assert encoder.run_precision == resolve_precision("auto")


def test_an_unknown_precision_is_refused_with_the_choices(folder: Path) -> None:
    with pytest.raises(ValueError, match="choose one of"):
        OnnxEmbeddingFunction(model_path=folder, precision="fp16")


@pytest.fixture(scope="module")
def splade_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.reference.transformer import random_weights, save_hf_folder
    from tests.unit.test_splade import BERT_WIDE

    weights = random_weights(BERT_WIDE, seed=5, architecture="masked_lm")
    return save_hf_folder(tmp_path_factory.mktemp("splade") / "model", BERT_WIDE, weights, architecture="masked_lm")


def test_splade_takes_the_same_precisions_but_no_int8(splade_folder: Path, tmp_path: Path) -> None:
    from sparsebolt.sparse import SpladeEmbeddingFunction

    with pytest.raises(ValueError, match="dense sentence encoders only"):
        SpladeEmbeddingFunction(model_path=splade_folder, cache_dir=tmp_path, precision="int8")
    auto = SpladeEmbeddingFunction(model_path=splade_folder, cache_dir=tmp_path, threads=1, precision="auto")
    assert auto.run_precision.name in ("fp32", "bf16")


@needs_bf16
def test_splade_bf16_rows_are_close_to_fp32(splade_folder: Path, tmp_path: Path) -> None:
    from sparsebolt.sparse import SpladeEmbeddingFunction

    texts = ["the sky over the sea", "sea sky " * 9, "a b c d e f g h i j"]
    exact = SpladeEmbeddingFunction(model_path=splade_folder, cache_dir=tmp_path, threads=1)
    fast = SpladeEmbeddingFunction(model_path=splade_folder, cache_dir=tmp_path, threads=1, precision="bf16")
    want = exact.encode_documents(texts).toarray()
    got = fast.encode_documents(texts).toarray()
    cosine = np.sum(got * want, axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    assert cosine.min() > 0.999, cosine


def test_the_command_lines_precision_runs_every_onnx_encoder_without_changing_its_recipe(splade_folder: Path) -> None:
    import argparse

    from sparsebolt.cli_encoders import add_model_args, build_for_cli
    from sparsebolt.encoders import make_recipe, recipe_of

    parser = argparse.ArgumentParser()
    add_model_args(parser)
    assert parser.parse_args([]).precision is None
    assert parser.parse_args(["--precision", "auto"]).precision == "auto"
    with pytest.raises(SystemExit):
        parser.parse_args(["--precision", "fp16"])
    recipes = {"dense": make_recipe("minilm"), "sparse": make_recipe("splade", model_name=str(splade_folder))}
    built, exact = build_for_cli(recipes, precision="auto"), build_for_cli(recipes)
    assert built["dense"].precision == "auto" and built["sparse"].run_precision == resolve_precision("auto", int8=False)
    assert exact["dense"].precision == "fp32" and exact["sparse"].run_precision.name == "fp32"
    for field in recipes:  # how an encoder runs is not what it is
        assert recipe_of(built[field]).name == recipe_of(exact[field]).name
    assert recipe_of(built["sparse"]) == recipe_of(exact["sparse"])
