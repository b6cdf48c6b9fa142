"""Provider selection, session options and the declared-inputs feed of ONNX Runtime sessions."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from sparsebolt.engine.session import (
    check_active_providers,
    create_session,
    declared_inputs,
    feed,
    make_session_options,
    select_providers,
)

CPU, CUDA = "CPUExecutionProvider", "CUDAExecutionProvider"


# providers and sessions ----------------------------------------------------------------------------------
def test_cpu_is_the_default_provider() -> None:
    assert select_providers(available=[CPU]) == [CPU]


def test_cuda_maps_to_the_cuda_provider_with_cpu_after_it() -> None:
    chosen = select_providers("cuda:1", available=[CUDA, CPU])
    assert chosen == [(CUDA, {"device_id": 1}), CPU]
    assert select_providers("cuda", available=[CUDA, CPU])[0] == (CUDA, {"device_id": 0})


def test_cuda_without_onnxruntime_gpu_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="onnxruntime-gpu"):
        select_providers("cuda", available=[CPU])


def test_cuda_on_this_onnxruntime_build_fails_before_running(tmp_path) -> None:
    import onnxruntime as ort

    if CUDA in ort.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    with pytest.raises(ValueError, match="not available in this onnxruntime build"):
        create_session(b"unused", device="cuda")


@pytest.mark.parametrize(
    ("device", "providers", "message"),
    [
        ("tpu", None, "not supported"),
        ("cuda:x", None, "integer"),
        ("cpu", [], "empty"),
        ("cpu", ["TensorrtExecutionProvider"], "not available"),
    ],
)
def test_bad_device_or_providers(device: str, providers, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        select_providers(device, providers, available=[CPU])


def test_explicit_providers_pass_through_with_options() -> None:
    chosen = select_providers(providers=[(CUDA, {"device_id": 2}), CPU], available=[CUDA, CPU])
    assert chosen == [(CUDA, {"device_id": 2}), CPU]


def test_a_dropped_provider_is_logged(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="sparsebolt.engine.session"):
        check_active_providers([(CUDA, {"device_id": 0}), CPU], [CPU])
    assert "CUDAExecutionProvider" in caplog.text
    caplog.clear()
    check_active_providers([CPU], [CPU])
    assert caplog.text == ""


@pytest.mark.parametrize("threads", [0, -1, 1.5, "2"])
def test_threads_must_be_positive(threads) -> None:
    with pytest.raises(ValueError, match="threads"):
        make_session_options(threads=threads)


def test_threads_reach_the_session_options() -> None:
    assert make_session_options(threads=3).intra_op_num_threads == 3




# the declared-inputs feed --------------------------------------------------------------------------------------------
TOKEN_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def echo_graph(inputs: dict[str, int] | None = None) -> bytes:
    """A graph declaring ``inputs`` (name -> TensorProto type; default the three token inputs, int64) whose output
    ``sums`` [batch, 3] holds per row the sums of input_ids, attention_mask and token_type_ids (0 if undeclared)."""
    from onnx import TensorProto, helper

    declared = inputs or dict.fromkeys(TOKEN_INPUTS, TensorProto.INT64)
    nodes = []
    for name in declared:
        nodes.append(helper.make_node("Cast", [name], [f"{name}_f"], to=TensorProto.FLOAT))
        nodes.append(helper.make_node("ReduceSum", [f"{name}_f", "axes"], [f"{name}_sum"], keepdims=1))
    first = f"{next(iter(declared))}_sum"
    for name in TOKEN_INPUTS:
        if name not in declared:
            nodes.append(helper.make_node("Mul", [first, "zero"], [f"{name}_sum"]))
    nodes.append(helper.make_node("Concat", [f"{name}_sum" for name in TOKEN_INPUTS], ["sums"], axis=1))
    graph = helper.make_graph(
        nodes,
        "echo",
        [helper.make_tensor_value_info(name, kind, ["batch", "sequence"]) for name, kind in declared.items()],
        [helper.make_tensor_value_info("sums", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor("axes", TensorProto.INT64, [1], [1]),
         helper.make_tensor("zero", TensorProto.FLOAT, [], [0])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def test_only_declared_inputs_are_fed_in_their_declared_type() -> None:
    from onnx import TensorProto

    session = create_session(echo_graph({"input_ids": TensorProto.INT32, "attention_mask": TensorProto.INT64}))
    inputs = declared_inputs(session)
    assert inputs == {"input_ids": np.int32, "attention_mask": np.int64}
    arrays = {name: np.array([[2, 5, 3], [2, 3, 0]]) for name in TOKEN_INPUTS}
    fed = feed(inputs, arrays)
    assert sorted(fed) == ["attention_mask", "input_ids"] and fed["input_ids"].dtype == np.int32
    np.testing.assert_array_equal(session.run(["sums"], fed)[0], [[10, 10, 0], [5, 5, 0]])


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"input_ids": "INT64", "position_ids": "INT64"}, r"inputs \['input_ids', 'position_ids'\]; sparsebolt feeds"),
        ({"attention_mask": "INT64"}, r"model.onnx declares inputs \['attention_mask'\]"),  # no input_ids
        ({"input_ids": "FLOAT"}, r"types \{'input_ids': 'tensor\(float\)'\}; token inputs must be tensor\(int64\)"),
    ],
)
def test_a_graph_wanting_inputs_we_cannot_give_is_refused(inputs: dict[str, str], message: str) -> None:
    from onnx import TensorProto

    session = create_session(echo_graph({name: getattr(TensorProto, kind) for name, kind in inputs.items()}))
    with pytest.raises(ValueError, match=message):
        declared_inputs(session, graph="model.onnx")
