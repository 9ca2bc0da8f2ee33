"""The ONNX reader and numpy evaluator (surrogates/onnx_graph.py, surrogates/_protobuf.py).

Hand-built protocol-buffer bytes check the wire reader and the operators one by one; YAHPO's
``model_v2.onnx`` (shared data) checks the whole graph against onnxruntime.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from nasbench.errors import DataIntegrityError
from surrogates._protobuf import WireError, fields, signed64, varints
from surrogates.onnx_graph import OPS, OnnxGraph, read_model, read_tensor
from tests.conftest import require_shared

MODEL = "yahpo_nb301/model_v2.onnx"


# ---------------------------------------------------------------- a tiny protobuf writer for fixtures
def _varint(v: int) -> bytes:
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, v = v & 0x7F, v >> 7
        out.append(byte | (0x80 if v else 0))
        if not v:
            return bytes(out)


def _key(number, wire):
    return _varint(number << 3 | wire)


def _len(number, payload: bytes) -> bytes:
    return _key(number, 2) + _varint(len(payload)) + payload


def _int(number, v):
    return _key(number, 0) + _varint(v)


def _str(number, s):
    return _len(number, s.encode())


def _tensor(name, array):
    code = {np.dtype("float32"): 1, np.dtype("int64"): 7, np.dtype("int32"): 6}[array.dtype]
    return b"".join(_int(1, d) for d in array.shape) + _int(2, code) + _str(8, name) + _len(9, array.tobytes())


def _attr_int(name, v):
    return _str(1, name) + _int(3, v) + _int(20, 2)


def _attr_float(name, v):
    return _str(1, name) + _key(2, 5) + struct.pack("<f", v) + _int(20, 1)


def _node(op, inputs, outputs, attrs=()):
    return (b"".join(_str(1, i) for i in inputs) + b"".join(_str(2, o) for o in outputs) + _str(4, op)
            + b"".join(_len(5, a) for a in attrs))


def _value_info(name, elem, dims):
    dim = b"".join(_len(1, _int(1, d) if isinstance(d, int) else _str(2, d)) for d in dims)
    return _str(1, name) + _len(2, _len(1, _int(1, elem) + _len(2, dim)))


def _model(nodes, inits, inputs, outputs):
    graph = (b"".join(_len(1, n) for n in nodes) + b"".join(_len(5, t) for t in inits)
             + b"".join(_len(11, v) for v in inputs) + b"".join(_len(12, v) for v in outputs))
    return _int(1, 7) + _str(2, "test") + _len(8, _int(2, 13)) + _len(7, graph)


def test_wire_reader_decodes_every_wire_type_and_negative_int64():
    blob = _int(1, 300) + _key(2, 1) + struct.pack("<q", -5) + _len(3, b"abc") + _key(4, 5) + b"\x01\x00\x00\x00"
    got = [(n, w, bytes(v) if isinstance(v, memoryview) else v) for n, w, v in fields(memoryview(blob))]
    assert got == [(1, 0, 300), (2, 1, (1 << 64) - 5), (3, 2, b"abc"), (4, 5, 1)]
    assert signed64(_varint_value(_varint(-3))) == -3
    assert varints(2, memoryview(_varint(1) + _varint(150))) == [1, 150]


def _varint_value(b: bytes) -> int:
    return next(v for _, _, v in fields(memoryview(_key(1, 0) + b)))


@pytest.mark.parametrize("blob, match", [
    (_key(1, 2) + _varint(10) + b"abc", "longer than the 3 bytes left"),
    (_key(1, 0) + b"\xff" * 11, "longer than 10 bytes"),
    (_key(1, 0) + b"\xff", "runs past the end"),
    (_key(1, 3), "wire type 3"),
    (b"\x00", "field number 0"),
    (_key(1, 5) + b"\x00", "runs past the end"),
])
def test_malformed_bytes_get_one_line_errors(blob, match):
    with pytest.raises(WireError, match=match):
        list(fields(memoryview(blob)))
    assert issubclass(WireError, DataIntegrityError)


def test_tensor_sizes_are_checked_before_allocating():
    name, array = read_tensor(memoryview(_tensor("w", np.arange(6, dtype=np.float32).reshape(2, 3))))
    assert name == "w" and array.shape == (2, 3) and not array.flags.writeable
    with pytest.raises(WireError, match="12 bytes of raw data for 4 elements"):
        read_tensor(memoryview(_int(1, 4) + _int(2, 1) + _str(8, "w") + _len(9, b"\0" * 12)))
    with pytest.raises(WireError, match="declares 1099511627776 elements"):
        read_tensor(memoryview(_int(1, 1 << 20) + _int(1, 1 << 20) + _int(2, 1) + _len(9, b"")))
    with pytest.raises(WireError, match="element type code 8"):
        read_tensor(memoryview(_int(1, 1) + _int(2, 8)))
    with pytest.raises(WireError, match="external file"):
        read_tensor(memoryview(_int(2, 1) + _len(13, b"")))


def _small_mlp():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 3)).astype(np.float32)
    b = rng.normal(size=4).astype(np.float32)
    scale, bias = np.float32([1.5, 0.5, 2.0, 1.0]), np.float32([0.1, -0.2, 0.0, 0.3])
    mean, var = np.float32([0.2, -0.1, 0.0, 0.5]), np.float32([1.0, 2.0, 0.5, 1.5])
    axes = np.array([1], dtype=np.int64)
    nodes = [
        _node("Gemm", ["x", "w", "b"], ["h"], [_attr_int("transB", 1)]),
        _node("BatchNormalization", ["h", "scale", "bias", "mean", "var"], ["n"], [_attr_float("epsilon", 1e-5)]),
        _node("Relu", ["n"], ["r"]),
        _node("Shape", ["r"], ["s"]),
        _node("Slice", ["r", "start", "two", "axes"], ["first"]),
        _node("Sigmoid", ["first"], ["y"]),
    ]
    inits = [_tensor(k, v) for k, v in dict(w=w, b=b, scale=scale, bias=bias, mean=mean, var=var,
                                             start=np.array([0], np.int64), two=np.array([2], np.int64),
                                             axes=axes).items()]
    blob = _model(nodes, inits, [_value_info("x", 1, ["batch", 3])], [_value_info("y", 1, ["batch", 2])])
    x = rng.normal(size=(5, 3)).astype(np.float32)
    h = x @ w.T + b
    n = (h - mean) / np.sqrt(var + np.float32(1e-5)) * scale + bias
    want = 1 / (1 + np.exp(-np.maximum(n, 0)[:, :2]))
    return blob, x, want


def test_a_hand_built_graph_evaluates_as_its_operators_define():
    blob, x, want = _small_mlp()
    model = read_model(blob)
    assert model.opsets == {"": 13} and [v.name for v in model.inputs] == ["x"]
    assert model.inputs[0].shape == ("batch", 3)
    y = OnnxGraph(model).run({"x": x})["y"]
    assert y.dtype == np.float32 and y.shape == (5, 2)
    np.testing.assert_allclose(y, want, rtol=1e-6)


def test_unsupported_operators_and_dangling_inputs_are_refused_at_load():
    blob = _model([_node("Conv", ["x", "x"], ["y"])], [], [_value_info("x", 1, [1, 3])], [_value_info("y", 1, [1])])
    with pytest.raises(WireError, match="operator Conv, which this evaluator does not implement"):
        OnnxGraph(read_model(blob))
    blob = _model([_node("Relu", ["ghost"], ["y"])], [], [_value_info("x", 1, [1])], [_value_info("y", 1, [1])])
    with pytest.raises(WireError, match="reads 'ghost' before any node defines it"):
        OnnxGraph(read_model(blob))
    with pytest.raises(WireError, match="no ONNX model"):
        read_model(_int(3, 1))


def test_integer_division_truncates_toward_zero_as_onnx_says():
    a, b = np.array([7, -7, 6], np.int64), np.array([2, 2, -4], np.int64)
    np.testing.assert_array_equal(OPS["Div"](a, b), [3, -3, -1])


# ---------------------------------------------------------------- YAHPO's model vs onnxruntime
@pytest.fixture(scope="module")
def yahpo_model():
    path = require_shared(MODEL) / MODEL
    return path, OnnxGraph(read_model(path.read_bytes()))


def _random_inputs(graph, n, seed):
    rng = np.random.default_rng(seed)
    sizes = [graph.model.initializers[f"embds_fct.{i}.weight"].shape[0] for i in range(34)]
    x_cat = np.stack([rng.integers(0, s, n) for s in sizes], axis=1).astype(np.int32)
    x_cont = rng.integers(1, 99, (n, 1)).astype(np.float32)
    return {"x_cat": x_cat, "x_cont": x_cont}


def test_yahpo_model_decodes_with_its_signature(yahpo_model):
    _, graph = yahpo_model
    m = graph.model
    assert m.producer == "pytorch 2.3.0" and m.opsets == {"": 13}
    assert [(v.name, str(v.dtype), v.shape) for v in m.inputs] == [
        ("x_cat", "int32", ("batch_size", 34)), ("x_cont", "float32", ("batch_size", 1))]
    assert [(v.name, v.shape) for v in m.outputs] == [("output", ("batch_size", 4))]


def test_numpy_equals_onnxruntime_on_yahpo_model(yahpo_model):
    """Over 4000 random code vectors (every column's codes, #na# included) and epochs 1..98."""
    ort = pytest.importorskip("onnxruntime", reason="the parity check needs pip install 'nasbench[yahpo]'")
    path, graph = yahpo_model
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    for seed in range(2):
        feeds = _random_inputs(graph, 2000, seed)
        ours = graph.run(feeds)["output"]
        theirs = session.run(["output"], feeds)[0]
        assert ours.dtype == theirs.dtype == np.float32 and ours.shape == theirs.shape == (2000, 4)
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    # single rows take the same path as batches
    one = {k: v[:1] for k, v in feeds.items()}
    np.testing.assert_allclose(graph.run(one)["output"], session.run(["output"], one)[0], rtol=1e-5, atol=1e-6)
