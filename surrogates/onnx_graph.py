"""Read an ONNX model without the ``onnx`` package and evaluate its graph with numpy.

An ONNX file is one protocol-buffer ``ModelProto`` (onnx/onnx: ``onnx/onnx.proto``): a ``GraphProto``
of ``NodeProto`` operators in topological order, ``TensorProto`` initializers (weights) and the
graph's inputs and outputs. :func:`read_model` decodes the fields this needs with the wire-format
reader of :mod:`surrogates._protobuf`; :class:`OnnxGraph` evaluates the graph with numpy, in the
element types the graph declares (float32 stays float32), following each operator's ONNX
definition. Only the operators feed-forward tabular surrogates use are implemented (see
:data:`OPS`); any other is refused when the model is loaded, not at the first query.

Constant sub-graphs (nodes whose inputs are all initializers or constants) are evaluated once at
load time; a call runs the remaining nodes only.

Examples
--------
>>> graph = OnnxGraph(read_model(open("model_v2.onnx", "rb").read()))      # doctest: +SKIP
>>> graph.run({"x_cat": x_cat, "x_cont": x_cont})["output"].shape          # doctest: +SKIP
(5, 4)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from surrogates._protobuf import LENGTH, WireError, fields, fixed32_float, signed64, varints

__all__ = ["OnnxModel", "Node", "ValueInfo", "OnnxGraph", "OPS", "read_model", "DTYPES"]

# TensorProto.DataType codes -> numpy dtypes (the numeric types tabular surrogates use)
DTYPES = {1: np.dtype("<f4"), 6: np.dtype("<i4"), 7: np.dtype("<i8"), 9: np.dtype("bool"), 11: np.dtype("<f8")}
_MAX_ELEMENTS = 1 << 28  # 1 GiB of float32: far above any surrogate, far below a hostile dims field
# AttributeProto fields by type: f=2 (float), i=3 (int), t=5 (tensor), floats=7, ints=8
_ATTR_FLOAT, _ATTR_INT, _ATTR_TENSOR, _ATTR_FLOATS, _ATTR_INTS = 2, 3, 5, 7, 8


@dataclass(frozen=True)
class ValueInfo:
    """A graph input or output: its name, element type (numpy dtype or None) and shape (ints, or str
    for named dimensions such as ``"batch_size"``)."""

    name: str
    dtype: object
    shape: tuple


@dataclass(frozen=True)
class Node:
    """One operator: ``op_type`` applied to ``inputs`` (value names; ``""`` = omitted optional input)."""

    op_type: str
    inputs: tuple
    outputs: tuple
    attrs: dict = field(default_factory=dict)
    domain: str = ""


@dataclass
class OnnxModel:
    """The parts of a ``ModelProto`` needed to evaluate it.

    Attributes
    ----------
    ir_version : int
    opsets : dict
        Domain (``""`` = the default ONNX domain) -> opset version.
    producer : str
        ``producer_name producer_version`` (e.g. ``pytorch 2.3.0``).
    nodes : list of Node
    initializers : dict
        Name -> read-only ndarray.
    inputs, outputs : list of ValueInfo
        Graph inputs that are not initializers, and graph outputs.
    """

    ir_version: int
    opsets: dict
    producer: str
    nodes: list
    initializers: dict
    inputs: list
    outputs: list


def _text(value) -> str:
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise WireError("a string field is not valid UTF-8; the file is not an ONNX model.") from None


def read_tensor(buf) -> tuple[str, np.ndarray]:
    """Decode a ``TensorProto`` into ``(name, read-only ndarray)``; sizes are checked before allocating."""
    dims, dtype_code, name, raw = [], None, "", None
    typed = {4: [], 5: [], 7: [], 10: []}  # float_data, int32_data, int64_data, double_data
    for number, wire, value in fields(buf):
        if number == 1:
            dims += [signed64(v) for v in varints(wire, value)]
        elif number == 2:
            dtype_code = value
        elif number == 8:
            name = _text(value)
        elif number == 9:
            raw = value
        elif number in (4, 10):
            size = 4 if number == 4 else 8
            if wire == LENGTH:
                typed[number].append(bytes(value))
            else:
                typed[number].append(value.to_bytes(size, "little"))
        elif number in (5, 7):
            typed[number] += [signed64(v) for v in varints(wire, value)]
        elif number in (13, 14):
            raise WireError(f"tensor {name!r} keeps its data in an external file; only self-contained models "
                            "are read.")
    if dtype_code not in DTYPES:
        raise WireError(f"tensor {name!r} has element type code {dtype_code}; supported: {sorted(DTYPES)}.")
    dtype = DTYPES[dtype_code]
    if any(d < 0 for d in dims):
        raise WireError(f"tensor {name!r} has a negative dimension {dims}.")
    n = int(np.prod(dims, dtype=np.float64)) if dims else 1
    if n > _MAX_ELEMENTS:
        raise WireError(f"tensor {name!r} declares {n} elements (dims {dims}); at most {_MAX_ELEMENTS} are read.")
    if raw is not None:
        if len(raw) != n * dtype.itemsize:
            raise WireError(f"tensor {name!r}: {len(raw)} bytes of raw data for {n} elements of {dtype}.")
        array = np.frombuffer(bytes(raw), dtype=dtype).copy()
    elif dtype_code in (1, 11):
        blob = b"".join(typed[4 if dtype_code == 1 else 10])
        if len(blob) != n * dtype.itemsize:
            raise WireError(f"tensor {name!r}: {len(blob) // dtype.itemsize} values for {n} elements.")
        array = np.frombuffer(blob, dtype=dtype).copy()
    else:
        values = typed[7] if dtype_code == 7 else typed[5]
        if len(values) != n:
            raise WireError(f"tensor {name!r}: {len(values)} values for {n} elements.")
        array = np.array(values, dtype=np.int64).astype(dtype)
    array = array.reshape(dims)
    array.setflags(write=False)
    return name, array


def _read_attribute(buf) -> tuple[str, object]:
    name, kind, found = "", None, {}
    for number, wire, value in fields(buf):
        if number == 1:
            name = _text(value)
        elif number == 20:
            kind = value
        elif number == _ATTR_FLOAT:
            found[number] = fixed32_float(value)
        elif number == _ATTR_INT:
            found[number] = signed64(value)
        elif number == _ATTR_TENSOR:
            found[number] = read_tensor(value)[1]
        elif number == _ATTR_INTS:
            found.setdefault(number, []).extend(signed64(v) for v in varints(wire, value))
        elif number == _ATTR_FLOATS:
            raw = bytes(value) if wire == LENGTH else value.to_bytes(4, "little")
            found.setdefault(number, []).extend(np.frombuffer(raw, dtype="<f4").tolist())
    slot = {1: _ATTR_FLOAT, 2: _ATTR_INT, 4: _ATTR_TENSOR, 6: _ATTR_FLOATS, 7: _ATTR_INTS}.get(kind)
    if slot is None:
        raise WireError(f"attribute {name!r} has type code {kind}; supported: float, int, tensor, floats, ints.")
    value = found.get(slot, [] if slot in (_ATTR_FLOATS, _ATTR_INTS) else None)
    if value is None:
        raise WireError(f"attribute {name!r} declares type code {kind} but carries no value.")
    return name, tuple(value) if isinstance(value, list) else value


def _read_node(buf) -> Node:
    inputs, outputs, attrs, op, domain = [], [], {}, "", ""
    for number, _, value in fields(buf):
        if number == 1:
            inputs.append(_text(value))
        elif number == 2:
            outputs.append(_text(value))
        elif number == 4:
            op = _text(value)
        elif number == 7:
            domain = _text(value)
        elif number == 5:
            key, val = _read_attribute(value)
            attrs[key] = val
    return Node(op, tuple(inputs), tuple(outputs), attrs, domain)


def _read_value_info(buf) -> ValueInfo:
    name, elem, shape = "", None, []
    for number, _, value in fields(buf):
        if number == 1:
            name = _text(value)
        elif number == 2:  # TypeProto -> tensor_type (1) -> elem_type (1), shape (2) -> dim (1)
            for n2, _, tensor in fields(value):
                if n2 != 1:
                    continue
                for n3, _, part in fields(tensor):
                    if n3 == 1:
                        elem = part
                    elif n3 == 2:
                        for n4, _, dim in fields(part):
                            if n4 == 1:
                                d = dict((k, v) for k, _, v in fields(dim))
                                shape.append(signed64(d[1]) if 1 in d else _text(d.get(2, b"?")))
    return ValueInfo(name, DTYPES.get(elem), tuple(shape))


def read_model(blob: bytes) -> OnnxModel:
    """Decode an ONNX ``ModelProto`` from the bytes of a ``.onnx`` file.

    Raises
    ------
    surrogates._protobuf.WireError
        (a :class:`nasbench.errors.DataIntegrityError`) when the bytes are not a self-contained ONNX
        model of the supported element types.
    """
    buf = memoryview(blob)
    ir_version, opsets, producer, graph = None, {}, [], None
    for number, _, value in fields(buf):
        if number == 1:
            ir_version = value
        elif number in (2, 3):
            producer.append(_text(value))
        elif number == 8:
            entry = {n: v for n, _, v in fields(value)}
            opsets[_text(entry.get(1, b""))] = entry.get(2, 0)
        elif number == 7:
            graph = value
    if ir_version is None or graph is None:
        raise WireError("the bytes hold no ONNX model (no ir_version or no graph); pass an .onnx file.")
    nodes, inits, inputs, outputs = [], {}, [], []
    for number, _, value in fields(graph):
        if number == 1:
            nodes.append(_read_node(value))
        elif number == 5:
            name, array = read_tensor(value)
            inits[name] = array
        elif number == 11:
            inputs.append(_read_value_info(value))
        elif number == 12:
            outputs.append(_read_value_info(value))
    inputs = [v for v in inputs if v.name not in inits]
    return OnnxModel(ir_version, opsets, " ".join(producer), nodes, inits, inputs, outputs)


# ---------------------------------------------------------------- operators
def _int_div(a, b):
    """ONNX Div on integers truncates toward zero (C semantics), unlike numpy's floor division."""
    q = np.abs(a) // np.abs(b)
    return np.where((a < 0) != (b < 0), -q, q).astype(np.result_type(a, b))


def _div(a, b):
    return _int_div(a, b) if np.issubdtype(np.result_type(a, b), np.integer) else a / b


def _gemm(a, b, c=None, *, alpha=1.0, beta=1.0, transA=0, transB=0):
    a = a.T if transA else a
    b = b.T if transB else b
    y = a @ b
    if alpha != 1.0:
        y = y * np.float32(alpha) if y.dtype == np.float32 else y * alpha
    if c is not None:
        y = y + (c if beta == 1.0 else c * np.asarray(beta, dtype=c.dtype))
    return y


def _batch_norm(x, scale, bias, mean, var, *, epsilon=1e-5, **_):
    # inference mode (training_mode absent or 0); the per-channel vectors broadcast over axis 1
    shape = (1, -1) + (1,) * (x.ndim - 2)
    eps = np.asarray(epsilon, dtype=x.dtype)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * scale.reshape(shape) + bias.reshape(shape)


def _slice(data, starts, ends, axes=None, steps=None):
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    index = [slice(None)] * data.ndim
    for s, e, a, st in zip(np.asarray(starts).tolist(), np.asarray(ends).tolist(), np.asarray(axes).tolist(),
                           np.asarray(steps).tolist()):
        if st == 0:
            raise ValueError("Slice step 0")
        dim = data.shape[a]
        # ONNX clamps starts/ends to the axis like Python slicing, with INT64 extremes meaning "open"
        index[a] = slice(max(-dim - 1, min(s, dim)), max(-dim - 1, min(e, dim)), st)
    return data[tuple(index)]


def _unsqueeze(data, axes):
    out_rank = data.ndim + len(axes)
    for a in sorted(int(a) % out_rank for a in np.asarray(axes).tolist()):
        data = np.expand_dims(data, a)
    return data


def _shape(x, *, start=0, end=None):
    return np.array(x.shape[start:end], dtype=np.int64)


def _sigmoid(x):
    with np.errstate(over="ignore"):  # exp(-x) overflows to inf for x << 0, giving the exact limit 0
        return (np.ones((), x.dtype) / (np.ones((), x.dtype) + np.exp(-x))).astype(x.dtype)


def _cast(x, *, to):
    if to not in DTYPES:
        raise ValueError(f"Cast to type code {to}")
    return x.astype(DTYPES[to])


def _variadic(fn):
    def apply(*xs):
        out = xs[0]
        for x in xs[1:]:
            out = fn(out, x)
        return out
    return apply


# op_type -> function(*inputs, **attrs); omitted optional inputs are passed as None
OPS = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": _div,
    "Relu": lambda x: np.maximum(x, np.zeros((), x.dtype)),
    "Sigmoid": _sigmoid, "Exp": np.exp,
    "Max": _variadic(np.maximum), "Min": _variadic(np.minimum),
    "Gemm": _gemm, "MatMul": np.matmul, "BatchNormalization": _batch_norm,
    "Gather": lambda data, indices, *, axis=0: np.take(data, indices.astype(np.int64), axis=axis),
    "Concat": lambda *xs, axis: np.concatenate(xs, axis=axis),
    "Unsqueeze": _unsqueeze, "Slice": _slice, "Shape": _shape, "Cast": _cast,
    "Identity": lambda x: x,
    "Constant": lambda *, value: value,
}


class OnnxGraph:
    """A numpy evaluator of an :class:`OnnxModel`'s graph.

    Parameters
    ----------
    model : OnnxModel

    Raises
    ------
    surrogates._protobuf.WireError
        When the graph uses an operator outside :data:`OPS`, a custom domain, or a value no earlier
        node defines.
    """

    def __init__(self, model: OnnxModel):
        self.model = model
        self.input_names = tuple(v.name for v in model.inputs)
        self.output_names = tuple(v.name for v in model.outputs)
        known = dict(model.initializers)
        dynamic = set(self.input_names)
        plan = []
        for node in model.nodes:
            if node.domain not in ("", "ai.onnx") or node.op_type not in OPS:
                raise WireError(f"the graph uses operator {node.domain + '::' if node.domain else ''}{node.op_type}, "
                                f"which this evaluator does not implement (supported: {', '.join(sorted(OPS))}).")
            undefined = [n for n in node.inputs if n and n not in known and n not in dynamic]
            if undefined:
                raise WireError(f"node {node.op_type} reads {undefined[0]!r} before any node defines it; "
                                "the graph is not in topological order or is incomplete.")
            if node.op_type == "Constant":
                known[node.outputs[0]] = node.attrs["value"]
            elif any(n in dynamic for n in node.inputs if n):
                plan.append(node)
                dynamic.update(node.outputs)
            else:  # constant folding: computed once here, never per call
                for name, value in zip(node.outputs, self._apply(node, known)):
                    known[name] = value
        missing = [n for n in self.output_names if n not in known and n not in dynamic]
        if missing:
            raise WireError(f"no node computes the graph output {missing[0]!r}.")
        self._constants, self._plan = known, plan

    @staticmethod
    def _apply(node: Node, values: dict) -> tuple:
        if node.op_type == "Constant":
            return (node.attrs["value"],)
        args = [values[n] if n else None for n in node.inputs]
        while args and args[-1] is None:
            args.pop()
        out = OPS[node.op_type](*args, **node.attrs)
        return out if isinstance(out, tuple) else (out,)

    def run(self, feeds: dict) -> dict:
        """Evaluate the graph.

        Parameters
        ----------
        feeds : dict
            Input name -> ndarray, already of the declared element type and shape.

        Returns
        -------
        dict
            Output name -> ndarray.
        """
        values = dict(self._constants)
        values.update(feeds)
        for node in self._plan:
            for name, value in zip(node.outputs, self._apply(node, values)):
                values[name] = value
        return {name: values[name] for name in self.output_names}
