"""golden_models.network against LiteRT 2.3.0's reference kernels, bit for bit.

LiteRT runs with ``OpResolverType.BUILTIN_REF`` (no XNNPACK) and
``experimental_preserve_all_tensors``, so every intermediate tensor is compared, on the whole
digits test split. Two measurements pin which rounding the wheel uses per operator:

* every operator fed LiteRT's own input tensors (so errors cannot hide in later layers);
* single-operator slices of the models (the flatbuffer cut down to one operator) fed random
  or exhaustive inputs, and one FULLY_CONNECTED slice whose scales make the real multiplier
  exactly 2**-7, so one accumulator in 128 is an exact tie.

Measured on the LiteRT 2.3.0 wheel, mismatching outputs (see golden_models.network):

=====================  ===========================  ==========  ==========  ===========
operator               data                          ``double``  ``single``  ``"float"``
=====================  ===========================  ==========  ==========  ===========
CONV_2D (CNN op 0)     test split, 368,640 outputs   0           121         -
DEPTHWISE (CNN op 1)   test split, 368,640 outputs   0           1,543       -
CONV_2D (CNN op 2)     test split, 368,640 outputs   0           490         -
FULLY_CONNECTED (MLP)  test split, 3 layers          18+16+7     0           0
FULLY_CONNECTED tie    slice, 2**-7, 20,000 outputs  17          164         0
ADD (CNN op 3)         slice, all 65,536 pairs       0           0           -
SOFTMAX                slice, 20,000 random rows     0           0           -
=====================  ===========================  ==========  ==========  ===========

ADD and SOFTMAX do not tell the two builds apart on these parameters (SOFTMAX only uses
shifts >= 0, where both builds compute the same function).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter, OpResolverType
from ai_edge_litert.tools import flatbuffer_utils

from golden_models import digits
from golden_models import network as gn
from golden_models.quant import quantize_multiplier

ROOT = Path(__file__).resolve().parents[2]
NETWORKS = ROOT / "networks"
DATA = ROOT / "tests" / "data"
MODELS = ("digits_cnn", "digits_mlp")


def litert(content: bytes | None = None, path: Path | None = None) -> Interpreter:
    interp = Interpreter(model_path=None if path is None else str(path), model_content=content,
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                         experimental_preserve_all_tensors=True)
    interp.allocate_tensors()
    return interp


def litert_tensors(interp: Interpreter, inputs: dict[int, np.ndarray], keep) -> dict:
    """Run image by image (the graphs are batch 1); stack the tensors in ``keep``."""
    n = len(next(iter(inputs.values())))
    out = {j: [] for j in keep}
    for i in range(n):
        for j, arr in inputs.items():
            interp.set_tensor(j, arr[i:i + 1])
        interp.invoke()
        for j in keep:
            out[j].append(interp.get_tensor(j)[0].copy())
    return {j: np.stack(v) for j, v in out.items()}


@pytest.fixture(scope="module")
def split():
    return digits.test_split()


@pytest.fixture(scope="module", params=MODELS)
def model(request, split):
    """(name, net, int8 test images, every activation tensor as LiteRT computed it)."""
    path = NETWORKS / f"{request.param}.tflite"
    net = gn.load_network(path)
    x = gn.quantize_input(net, split[0])
    acts = [net.input] + [j for op in net.operators for j in op.outputs]
    return request.param, net, x, litert_tensors(litert(path=path), {net.input: x}, acts)


def mismatches(net, ref, rounding) -> dict[str, int]:
    """Per operator: outputs that differ from LiteRT when fed LiteRT's own inputs."""
    counts = {}
    for op in net.operators:
        requant = gn.op_requant(op.type, rounding)
        ins = [ref[j] for j in op.inputs if j in ref]
        if op.type in gn.GEMM_OPS:
            mbqm = "double" if requant == "float" else requant
            got = gn.run_gemm_layer(gn.gemm_layer(net, op, mbqm), ins[0], requant)
        else:
            got = gn.run_host_op(net, op, ins, requant)
        counts[op.label] = int((got != ref[op.outputs[0]]).sum())
    return counts


# --- loading --------------------------------------------------------------------------------


def test_cnn_structure():
    net = gn.load_network(NETWORKS / "digits_cnn.tflite")
    assert [op.type for op in net.operators] == [
        "CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D", "ADD", "MAX_POOL_2D", "DEPTHWISE_CONV_2D",
        "CONV_2D", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"]
    conv, dw, add = net.operators[0], net.operators[1], net.operators[3]
    assert dict(conv.options) == {"activation": "RELU", "padding": "SAME", "stride": (1, 1),
                                  "dilation": (1, 1)}
    assert dw.options["depth_multiplier"] == 1 and add.options["activation"] == "RELU"
    assert dict(net.operators[4].options)["filter"] == (2, 2)
    w = net.tensors[conv.inputs[1]]
    assert w.shape == (16, 3, 3, 1) and w.quant.per_axis and len(w.quant.scale) == 16
    assert w.quant.axis == 0 and set(w.quant.zero_point) == {0}
    assert net.tensors[net.input].shape == (1, 8, 8, 1)
    assert not w.data.flags.writeable
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.operators[0].type = "ADD"


def test_mlp_structure_and_k():
    net = gn.load_network(NETWORKS / "digits_mlp.tflite")
    assert [op.type for op in net.operators] == ["RESHAPE"] + ["FULLY_CONNECTED"] * 3 + [
        "SOFTMAX"]
    assert [gn.gemm_layer(net, op).k for op in net.operators[1:4]] == [64, 64, 32]


def test_gemm_layer_multipliers_follow_quantize_multiplier():
    """Per-channel (mult, shift) from double(in) * double(w) / double(out), frexp, 31 bits."""
    net = gn.load_network(NETWORKS / "digits_cnn.tflite")
    op = net.operators[2]
    layer = gn.gemm_layer(net, op)
    s_in = net.tensors[op.inputs[0]].quant.scale[0]
    s_out = net.tensors[op.outputs[0]].quant.scale[0]
    for c, s_w in enumerate(net.tensors[op.inputs[1]].quant.scale):
        real = s_in * s_w / s_out
        assert (layer.mult[c], layer.shift[c]) == quantize_multiplier(real)
        assert abs(layer.mult[c] * 2.0 ** (layer.shift[c] - 31) / real - 1) < 2 ** -30
    assert layer.macs_per_image == 64 * 16 * 16


@pytest.mark.parametrize("real, expected", [
    (0.5, (1 << 30, 0)), (0.75, (3 << 29, 0)), (1.0, (1 << 30, 1)),
    (1 - 2 ** -40, (1 << 30, 1)),  # rounds to 2**31: halved, shift + 1
    (2.0 ** -40, (0, 0)),  # shift below -31 flushes to zero
    (0.0, (0, 0)), (-0.75, (-(3 << 29), 0)),
])
def test_quantize_multiplier(real, expected):
    assert quantize_multiplier(real) == expected


def test_quantize_multiplier_single_rounding_saturates_large_shifts():
    assert quantize_multiplier(2.0 ** 40) == (1 << 30, 41)
    assert quantize_multiplier(2.0 ** 40, "single") == ((1 << 31) - 1, 30)


# --- bit-exact against LiteRT ----------------------------------------------------------------


def test_every_tensor_bit_exact_with_litert(model):
    name, net, x, ref = model
    got = gn.run_network(net, x, tensors=True)
    assert set(got) == set(ref)
    bad = {j: int((got[j] != ref[j]).sum()) for j in ref if not np.array_equal(got[j], ref[j])}
    assert bad == {}, f"{name}: tensors that differ from LiteRT: {bad}"


def test_accuracy_matches_models_json(model, split):
    name, net, x, _ = model
    record = json.loads((NETWORKS / "models.json").read_text())["models"][name]
    acc = float((gn.run_network(net, x).argmax(axis=1) == split[1]).mean())
    assert acc == pytest.approx(record["litert_int8_test_accuracy"], abs=1e-6)
    assert acc >= 0.95 and record["float_test_accuracy"] >= 0.95


def test_measured_rounding_per_operator(model):
    """The table in the module docstring, rows from the test split."""
    name, net, _, ref = model
    assert set(mismatches(net, ref, "litert").values()) == {0}
    double, single = mismatches(net, ref, "double"), mismatches(net, ref, "single")
    for op in net.operators:
        if op.type == "FULLY_CONNECTED":
            assert double[op.label] > 0 and single[op.label] == 0, (name, op.label)
        elif op.type in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            assert double[op.label] == 0 and single[op.label] > 0, (name, op.label)
        else:
            assert double[op.label] == single[op.label] == 0, (name, op.label)
    if name == "digits_cnn":
        assert [single[f"operator {i} ({t})"] for i, t in
                ((0, "CONV_2D"), (1, "DEPTHWISE_CONV_2D"), (2, "CONV_2D"))] == [121, 1543, 490]
    else:
        assert [double[f"operator {i} (FULLY_CONNECTED)"] for i in (1, 2, 3)] == [18, 16, 7]


def slice_model(path: Path, op_index: int, scales: dict[int, float] | None = None) -> bytes:
    """The model cut down to one operator (its activation inputs become graph inputs)."""
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(path.read_bytes()))
    graph = model.subgraphs[0]
    op = graph.operators[op_index]
    consts = {i for i, t in enumerate(graph.tensors)
              if model.buffers[t.buffer].data is not None and len(model.buffers[t.buffer].data)}
    graph.inputs = [j for j in op.inputs if j >= 0 and j not in consts]
    graph.outputs = list(op.outputs)
    graph.operators = [op]
    for j, s in (scales or {}).items():
        q = graph.tensors[j].quantization
        q.scale = [s] * len(q.scale)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def run_slice(content: bytes, inputs: list[np.ndarray]):
    interp = litert(content=content)
    idx = [d["index"] for d in interp.get_input_details()]
    out = interp.get_output_details()[0]["index"]
    return litert_tensors(interp, dict(zip(idx, inputs, strict=True)), [out])[out]


def test_add_slice_every_input_pair():
    path = NETWORKS / "digits_cnn.tflite"
    net = gn.load_network(path)
    op = net.operators[3]
    pairs = np.stack(np.meshgrid(np.arange(-128, 128), np.arange(-128, 128)), -1)
    a, b = (pairs[..., i].astype(np.int8).reshape(64, 1, 8, 8, 16)[:, 0] for i in (0, 1))
    ref = run_slice(slice_model(path, 3), [a, b])
    for rounding in ("double", "single"):
        assert np.array_equal(gn.run_host_op(net, op, [a, b], rounding), ref), rounding


def test_softmax_slice_random_logits():
    path = NETWORKS / "digits_mlp.tflite"
    net = gn.load_network(path)
    op = net.operators[4]
    rng = np.random.default_rng(7)
    x = rng.integers(-128, 128, (20000, 10)).astype(np.int8)
    x[:2000] = rng.integers(100, 128, (2000, 10))  # near-equal logits: large sums
    x[2000:2100] = 5  # all equal
    ref = run_slice(slice_model(path, 4), [x])
    for rounding in ("double", "single"):
        assert np.array_equal(gn.run_host_op(net, op, [x], rounding), ref), rounding


def test_fully_connected_tie_slice_is_float_requant(tmp_path):
    """The MLP's last FC (no activation, so negative ties show) with scales 2**-8 (input),
    2**-3 (weights), 2**-4 (output): the real multiplier is exactly 2**-7 and an accumulator
    that is 64 mod 128 is an exact tie. LiteRT rounds those away from zero (C ``round``),
    single rounding rounds them up, double rounding gets them right but errs near ties."""
    path = NETWORKS / "digits_mlp.tflite"
    op_t = gn.load_network(path).operators[3]
    content = slice_model(path, 3, {op_t.inputs[0]: 2 ** -8, op_t.inputs[1]: 2 ** -3,
                                    op_t.outputs[0]: 2 ** -4})
    (tmp_path / "slice.tflite").write_bytes(content)
    net = gn.load_network(tmp_path / "slice.tflite")
    layer = gn.gemm_layer(net, net.operators[0])
    assert set(layer.real_scale) == {2 ** -7}
    # Activations just above the zero point keep most outputs inside the int8 range.
    zp = net.tensors[net.input].quant.zero_point[0]
    x = (zp + np.random.default_rng(3).integers(0, 40, (2000, 32))).astype(np.int8)
    ref = run_slice(content, [x])
    counts = {r: int((gn.run_gemm_layer(layer, x, r) != ref).sum())
              for r in ("float", "double", "single")}
    assert counts == {"float": 0, "double": 17, "single": 164}


# --- negative controls: a wrong model must be caught ------------------------------------------


def test_negative_control_other_rounding(model):
    """Single rounding everywhere breaks the CNN's output; double breaks the MLP's FC layers."""
    name, net, x, ref = model
    out = gn.run_network(net, x, "single" if name == "digits_cnn" else "double", tensors=True)
    assert any(not np.array_equal(out[j], ref[j]) for j in ref)


def test_negative_control_corrupted_weight(model):
    name, net, x, ref = model
    op = next(op for op in net.operators if op.type in gn.GEMM_OPS)
    w = net.tensors[op.inputs[1]]
    # The tap with the most activity: a weight on an always-zero pixel would change nothing.
    layer = gn.gemm_layer(net, op)
    a = gn.im2col(layer, ref[op.inputs[0]]).astype(np.int64) - layer.a_zp
    k = int(np.abs(a).sum(axis=(0, 1, 2)).argmax())
    bad = np.array(w.data).reshape(w.shape[0], -1)
    bad[0, k] = 127 if bad[0, k] < 0 else -127
    bad = bad.reshape(w.shape)
    tensors = list(net.tensors)
    tensors[w.index] = dataclasses.replace(w, data=bad)
    broken = dataclasses.replace(net, tensors=tuple(tensors))
    got = gn.run_network(broken, x, tensors=True)
    assert not np.array_equal(got[op.outputs[0]], ref[op.outputs[0]])


def test_negative_control_wrong_zero_point(model):
    name, net, x, ref = model
    op = next(op for op in net.operators if op.type in gn.GEMM_OPS)
    t = net.tensors[op.inputs[0]]
    q = dataclasses.replace(t.quant, zero_point=(t.quant.zero_point[0] + 1,))
    tensors = list(net.tensors)
    tensors[t.index] = dataclasses.replace(t, quant=q)
    broken = dataclasses.replace(net, tensors=tuple(tensors))
    got = gn.run_network(broken, x, tensors=True)
    assert not np.array_equal(got[op.outputs[0]], ref[op.outputs[0]])


# --- bad models and inputs ----------------------------------------------------------------------


def test_not_a_flatbuffer(tmp_path):
    p = tmp_path / "notes.tflite"
    p.write_text("this is a text file, not a model\n")
    with pytest.raises(gn.NetworkError) as e:
        gn.load_network(p)
    assert str(e.value) == f"{p}: not a TFLite flatbuffer (no 'TFL3' file identifier)"


def test_float_model():
    p = DATA / "float_fc.tflite"
    with pytest.raises(gn.NetworkError) as e:
        gn.load_network(p)
    assert str(e.value) == (f"{p}: tensor 0 ('serving_default_keras_tensor_38:0') is "
                            "float32, not quantized int8: only full-int8 models are supported")


def test_unsupported_operator():
    p = DATA / "int8_tanh.tflite"
    with pytest.raises(gn.NetworkError) as e:
        gn.load_network(p)
    assert str(e.value) == (
        f"{p}: operator 1 (TANH) is not supported; supported operators: ADD, AVERAGE_POOL_2D, "
        "CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, MAX_POOL_2D, RESHAPE, SOFTMAX")


def test_network_error_is_a_value_error():
    assert issubclass(gn.NetworkError, ValueError)


def test_wrong_input_shape():
    net = gn.load_network(NETWORKS / "digits_mlp.tflite")
    with pytest.raises(gn.NetworkError) as e:
        gn.run_network(net, np.zeros((2, 8, 8), dtype=np.int8))
    assert str(e.value) == (f"{net.path}: tensor 0 ('serving_default_keras_tensor_30:0') "
                            "takes int8 [B, 8, 8, 1], not int8 [2, 8, 8]")


def test_unknown_rounding():
    net = gn.load_network(NETWORKS / "digits_mlp.tflite")
    with pytest.raises(ValueError, match="rounding must be 'litert', 'double' or 'single'"):
        gn.run_network(net, np.zeros((1, 8, 8, 1), dtype=np.int8), "nearest")
