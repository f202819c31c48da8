"""Golden model of a whole int8 TFLite network, bit-exact with LiteRT's reference kernels.

:func:`load_network` reads a ``.tflite`` flatbuffer with the schema module bundled in
``ai-edge-litert`` (``ai_edge_litert.schema_py_generated`` through
``ai_edge_litert.tools.flatbuffer_utils``) into a frozen :class:`Network`. :func:`run_network`
executes it in NumPy on a batch of images at once, every operator as LiteRT 2.3.0 runs it
with ``OpResolverType.BUILTIN_REF``:

* FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D are int8 GEMMs over im2col rows
  (:class:`GemmLayer`, shared with the tile compiler ``orbitbench.driver.network``): zero
  point subtracted from the activations, symmetric int8 weights, int32 bias, per-channel
  (multiplier, shift) from TFLite's ``QuantizeMultiplier`` of
  ``double(input_scale) * double(weight_scale) / double(output_scale)``, then
  :func:`golden_models.quant.requantize` with the fused activation's clamp;
* MAX_POOL_2D, AVERAGE_POOL_2D, ADD and SOFTMAX come from :mod:`golden_models.tflite_ops`;
  RESHAPE only relabels the data.

Which rounding LiteRT uses is a measured fact, not an assumption. Measured on the LiteRT
2.3.0 wheel (``tests/golden_models/test_network.py``, every operator fed LiteRT's own input
tensors over the 360 test images, plus single-operator slices of the models fed random
inputs):

* CONV_2D, DEPTHWISE_CONV_2D, ADD and SOFTMAX use gemmlowp's double rounding (TFLite built
  without ``TFLITE_SINGLE_ROUNDING``): 0 mismatches with ``"double"``; single rounding
  mismatches e.g. 121 / 1543 / 490 of 368,640 outputs of the CNN's first three layers;
* FULLY_CONNECTED requantizes in floating point: the reference kernel computes
  ``round(double(acc) * (double(in_scale) * double(w_scale) / double(out_scale)))``
  (LiteRT's "Make the fully_connected ref kernel do requant in float"). Double rounding
  mismatches 18 + 16 + 7 outputs of the MLP's three FC layers; single rounding agrees with
  the float kernel on these models, but is not the same function: on a slice whose real
  multiplier is exactly 2**-7 (exact ties), 20,000 outputs give float 0, double 17 and
  single 164 mismatches (C's ``round`` takes negative ties away from zero);
* pooling and RESHAPE do not rescale.

``rounding="litert"`` (the default) reproduces that mix; ``"double"`` and ``"single"`` use
that ``MultiplyByQuantizedMultiplier`` for every operator, FULLY_CONNECTED included: what the
tile computes with that rounding (and what TFLite builds before the float FC kernel did).

Models are batch-1 graphs (static shapes, as ``networks/make_models.py`` converts them);
:func:`run_network` runs that graph on ``B`` images by replacing the leading 1 of every
activation tensor with ``B``. Every model problem raises :class:`NetworkError` naming the
file and the operator (index and type) or tensor.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.tools import flatbuffer_utils

from golden_models import tflite_ops
from golden_models.quant import (
    _wrap,
    check_rounding,
    quantize_multiplier,
    requantize,
    round_half_away,
)
from orbitbench.spec.errors import ParameterError
from orbitbench.spec.params import INT8_MAX, INT8_MIN

__all__ = ["GEMM_OPS", "HOST_OPS", "NETWORK_ROUNDINGS", "GemmLayer", "Network", "NetworkError",
           "Operator", "Quantization", "Tensor", "activation_range", "gemm_layer", "im2col",
           "load_network", "op_requant", "quantize_input", "run_gemm_layer", "run_host_op",
           "run_network"]

#: Operators that become tile GEMMs.
GEMM_OPS = ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D")
#: Operators that run on the host (NumPy) in the tile program.
HOST_OPS = ("MAX_POOL_2D", "AVERAGE_POOL_2D", "ADD", "RESHAPE", "SOFTMAX")

#: ``rounding`` of :func:`run_network`: LiteRT 2.3.0's measured mix, or one MBQM build.
NETWORK_ROUNDINGS = ("litert", "double", "single")

_OP_NAMES = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
_TYPE_NAMES = {v: k.lower() for k, v in vars(schema.TensorType).items()
               if not k.startswith("_")}
_ACTIVATIONS = {v: k for k, v in vars(schema.ActivationFunctionType).items()
                if not k.startswith("_")}
_PADDINGS = {schema.Padding.SAME: "SAME", schema.Padding.VALID: "VALID"}


class NetworkError(ParameterError):
    """A model that golden_models.network or the tile compiler cannot take; says why and where."""


def _check_network_rounding(rounding) -> str:
    if not isinstance(rounding, str) or rounding not in NETWORK_ROUNDINGS:
        raise ValueError(f"rounding must be 'litert', 'double' or 'single', not {rounding!r}")
    return rounding


def op_requant(op_type: str, rounding: str) -> str:
    """The requantization one operator type uses under a network ``rounding``.

    ``"litert"``: ``"float"`` for FULLY_CONNECTED (double-precision ``round``), ``"double"``
    for everything else; otherwise ``rounding`` itself.
    """
    if _check_network_rounding(rounding) == "litert":
        return "float" if op_type == "FULLY_CONNECTED" else "double"
    return rounding


@dataclass(frozen=True)
class Quantization:
    """Affine quantization ``real = scale * (q - zero_point)``, per tensor or along ``axis``.

    Members
    -------
    scale : tuple of float
        float32 values (exactly representable as Python floats).
    zero_point : tuple of int
    axis : int
        ``quantized_dimension`` (meaningful when there is more than one scale).
    """

    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    axis: int = 0

    @property
    def per_axis(self) -> bool:
        return len(self.scale) > 1


@dataclass(frozen=True, eq=False)
class Tensor:
    """One tensor: ``shape`` and ``dtype`` (``"int8"``, ``"int32"``, ``"float32"``...),
    ``quant`` (``None`` if unquantized) and ``data`` (a read-only array for constants)."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    quant: Quantization | None
    data: np.ndarray | None

    @property
    def label(self) -> str:
        return f"tensor {self.index} ({self.name!r})"


@dataclass(frozen=True, eq=False)
class Operator:
    """One operator: ``type`` (builtin name), tensor indices (-1 = absent optional input)
    and ``options`` (read-only mapping: ``stride`` (h, w), ``padding`` "SAME"/"VALID",
    ``activation`` "NONE"/"RELU"/"RELU6"/"RELU_N1_TO_1", ``dilation`` (h, w),
    ``filter`` (h, w) for pooling, ``depth_multiplier``, ``beta``, ``keep_num_dims``)."""

    index: int
    type: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: types.MappingProxyType

    @property
    def label(self) -> str:
        return f"operator {self.index} ({self.type})"


@dataclass(frozen=True, eq=False)
class Network:
    """A loaded int8 network: one subgraph, one input, one output, topologically ordered."""

    path: str
    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    input: int
    output: int

    def error(self, where: str, what: str) -> NetworkError:
        return NetworkError(f"{self.path}: {where} {what}")


def _frozen(arr) -> np.ndarray:
    out = np.array(arr, copy=True)
    out.flags.writeable = False
    return out


def _options(op_type: str, opts) -> dict:
    if opts is None:
        return {}
    out = {}
    for attr, key in (("fusedActivationFunction", "activation"),):
        if hasattr(opts, attr):
            out[key] = _ACTIVATIONS.get(getattr(opts, attr), str(getattr(opts, attr)))
    if hasattr(opts, "padding"):
        out["padding"] = _PADDINGS.get(opts.padding, str(opts.padding))
    if hasattr(opts, "strideH"):
        out["stride"] = (int(opts.strideH), int(opts.strideW))
    if hasattr(opts, "dilationHFactor"):
        out["dilation"] = (int(opts.dilationHFactor), int(opts.dilationWFactor))
    if hasattr(opts, "filterHeight"):
        out["filter"] = (int(opts.filterHeight), int(opts.filterWidth))
    if hasattr(opts, "depthMultiplier"):
        out["depth_multiplier"] = int(opts.depthMultiplier)
    if hasattr(opts, "beta"):
        out["beta"] = float(opts.beta)
    if hasattr(opts, "keepNumDims"):
        out["keep_num_dims"] = bool(opts.keepNumDims)
    return out


def load_network(path) -> Network:
    """Read an int8 ``.tflite`` model into a frozen :class:`Network`.

    Raises
    ------
    NetworkError
        The file is not a TFLite flatbuffer, has more than one subgraph, input or output,
        holds a non-int8 activation (a float model), or an operator outside
        :data:`GEMM_OPS` + :data:`HOST_OPS`; the message names the file and the operator or
        tensor.
    """
    name = str(path)
    buf = Path(path).read_bytes()
    if len(buf) < 8 or not schema.Model.ModelBufferHasIdentifier(buf, 0):
        raise NetworkError(f"{name}: not a TFLite flatbuffer (no 'TFL3' file identifier)")
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(buf))
    if len(model.subgraphs) != 1:
        raise NetworkError(f"{name}: has {len(model.subgraphs)} subgraphs, not 1")
    graph = model.subgraphs[0]
    tensors = []
    for i, t in enumerate(graph.tensors):
        q = t.quantization
        quant = None
        if q is not None and q.scale is not None and len(q.scale):
            quant = Quantization(tuple(float(np.float32(s)) for s in q.scale),
                                 tuple(int(z) for z in q.zeroPoint), int(q.quantizedDimension))
        dtype = _TYPE_NAMES.get(t.type, str(t.type))
        data = None
        raw = model.buffers[t.buffer].data if t.buffer < len(model.buffers) else None
        if raw is not None and len(raw):
            shape = tuple(int(d) for d in t.shape)
            data = _frozen(np.frombuffer(bytes(raw), dtype=np.dtype(dtype).newbyteorder("<"))
                           .reshape(shape))
        tname = t.name.decode() if isinstance(t.name, bytes) else str(t.name)
        tensors.append(Tensor(i, tname, tuple(int(d) for d in t.shape), dtype, quant, data))
    ops = []
    for i, op in enumerate(graph.operators):
        code = flatbuffer_utils.get_builtin_code_from_operator_code(
            model.operatorCodes[op.opcodeIndex])
        op_type = _OP_NAMES.get(code, f"BUILTIN_{code}")
        ops.append(Operator(i, op_type, tuple(int(j) for j in op.inputs),
                            tuple(int(j) for j in op.outputs),
                            types.MappingProxyType(_options(op_type, op.builtinOptions))))
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise NetworkError(f"{name}: has {len(graph.inputs)} inputs and {len(graph.outputs)} "
                           "outputs, not one of each")
    net = Network(name, tuple(tensors), tuple(ops), int(graph.inputs[0]), int(graph.outputs[0]))
    _validate(net)
    return net


def _validate(net: Network) -> None:
    activations = {net.input} | {j for op in net.operators for j in op.outputs}
    for j in sorted(activations):
        t = net.tensors[j]
        if t.dtype != "int8" or t.quant is None:
            raise net.error(t.label, f"is {t.dtype}, not quantized int8: only full-int8 "
                            "models are supported")
        if not t.shape or t.shape[0] != 1:
            raise net.error(t.label, f"has shape {t.shape}: a batch-1 graph is expected")
    supported = GEMM_OPS + HOST_OPS
    for op in net.operators:
        if op.type not in supported:
            raise net.error(op.label, f"is not supported; supported operators: "
                            f"{', '.join(sorted(supported))}")
        act = op.options.get("activation", "NONE")
        if act not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
            raise net.error(op.label, f"has fused activation {act}, not supported")


def activation_range(net: Network, op: Operator) -> tuple[int, int]:
    """``CalculateActivationRangeQuantized``: the int8 clamp of a fused activation.

    ``Quantize(f) = zero_point + round_half_away(float32(f) / float32(scale))`` in float32;
    RELU ``[Quantize(0), 127]``, RELU6 ``[Quantize(0), Quantize(6)]``, RELU_N1_TO_1
    ``[Quantize(-1), Quantize(1)]``, each bound limited to -128..127.
    """
    out = net.tensors[op.outputs[0]].quant
    scale, zp = np.float32(out.scale[0]), out.zero_point[0]

    def q(f: float) -> int:
        return zp + int(round_half_away(np.float32(f) / scale))

    act = op.options.get("activation", "NONE")
    lo, hi = {"NONE": (INT8_MIN, INT8_MAX), "RELU": (q(0.0), INT8_MAX),
              "RELU6": (q(0.0), q(6.0)), "RELU_N1_TO_1": (q(-1.0), q(1.0))}[act]
    return max(INT8_MIN, lo), min(INT8_MAX, hi)


@dataclass(frozen=True, eq=False)
class GemmLayer:
    """A FULLY_CONNECTED / CONV_2D / DEPTHWISE_CONV_2D as ``groups`` int8 GEMMs.

    For each image, ``rows`` im2col rows (output pixels; 1 for a plain FC) times ``groups``
    independent GEMMs of ``[rows, k] x [k, n]``; output channel ``g * n + j`` comes from
    group ``g``, column ``j``. CONV_2D and FC have one group (``k = kh*kw*cin`` resp.
    ``in_features``); DEPTHWISE_CONV_2D has one group per input channel (``k = kh*kw``,
    ``n = depth_multiplier``).

    Members
    -------
    op : Operator
    in_shape, out_shape : tuple of int
        Per-image activation shapes (without the batch axis).
    filter_hw, stride, dilation, pad : tuple of int
        Window geometry (``pad`` = leading padding rows, cols; 1x1 for FC).
    groups, rows, k, n : int
    weights : np.ndarray of int8, shape ``[groups, k, n]``
        The mathematical B of each group.
    bias, mult, shift : np.ndarray of int64, shape ``[groups * n]``
    real_scale : np.ndarray of float64, shape ``[groups * n]``
        ``double(in_scale) * double(w_scale) / double(out_scale)``, what (mult, shift) encode.
    a_zp, out_zp, act_min, act_max : int
    """

    op: Operator
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    filter_hw: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad: tuple[int, int]
    groups: int
    rows: int
    k: int
    n: int
    weights: np.ndarray
    bias: np.ndarray
    mult: np.ndarray
    shift: np.ndarray
    real_scale: np.ndarray
    a_zp: int
    out_zp: int
    act_min: int
    act_max: int

    @property
    def macs_per_image(self) -> int:
        """Multiply-accumulates of one image: ``rows * groups * k * n``."""
        return self.rows * self.groups * self.k * self.n


def gemm_layer(net: Network, op: Operator, rounding: str = "double") -> GemmLayer:
    """The GEMM description of a FULLY_CONNECTED, CONV_2D or DEPTHWISE_CONV_2D operator.

    ``rounding`` ("double" or "single") only matters to ``QuantizeMultiplier``'s
    single-rounding saturation of shifts above 30.

    Raises
    ------
    NetworkError
        ``op`` is not one of :data:`GEMM_OPS`, its filter is not constant int8 with zero
        points 0, its bias is not int32, or it is a grouped convolution.
    """
    check_rounding(rounding)
    if op.type not in GEMM_OPS:
        raise net.error(op.label, "is not a GEMM operator")
    x, w = net.tensors[op.inputs[0]], net.tensors[op.inputs[1]]
    out = net.tensors[op.outputs[0]]
    if w.data is None or w.dtype != "int8" or w.quant is None or any(w.quant.zero_point):
        raise net.error(op.label, f"needs a constant symmetric int8 filter; {w.label} is not")
    nout = out.shape[-1]
    bias = np.zeros(nout, dtype=np.int64)
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        b = net.tensors[op.inputs[2]]
        if b.data is None or b.dtype != "int32":
            raise net.error(op.label, f"needs a constant int32 bias; {b.label} is not")
        bias = b.data.astype(np.int64).reshape(nout)
    in_scale, out_scale = x.quant.scale[0], out.quant.scale[0]
    scales = np.broadcast_to(np.asarray(w.quant.scale), (nout,))
    # The order of PopulateConvolutionQuantizationParams: (in * w) / out, all in double.
    real = np.array([in_scale * float(s) / out_scale for s in scales], dtype=np.float64)
    pairs = [quantize_multiplier(float(r), rounding) for r in real]
    mult = np.array([p[0] for p in pairs], dtype=np.int64)
    shift = np.array([p[1] for p in pairs], dtype=np.int64)
    act_min, act_max = activation_range(net, op)
    in_shape, out_shape = x.shape[1:], out.shape[1:]
    common = dict(op=op, in_shape=in_shape, out_shape=out_shape, bias=bias, mult=mult,
                  shift=shift, real_scale=_frozen(real), a_zp=x.quant.zero_point[0],
                  out_zp=out.quant.zero_point[0], act_min=act_min, act_max=act_max)
    wd = w.data.astype(np.int8)
    if op.type == "FULLY_CONNECTED":
        k = wd.shape[-1]
        rows = int(np.prod(in_shape)) // k
        return GemmLayer(filter_hw=(1, 1), stride=(1, 1), dilation=(1, 1), pad=(0, 0),
                         groups=1, rows=rows, k=k, n=nout, weights=_frozen(wd.T[None]),
                         **common)
    (h, wi, cin), (oh, ow, _) = in_shape, out_shape
    kh, kw = wd.shape[1:3]
    stride, dilation = op.options["stride"], op.options["dilation"]
    pad = tuple(tflite_ops.compute_padding(op.options["padding"], size, f, s, d)[1]
                for size, f, s, d in zip((h, wi), (kh, kw), stride, dilation, strict=True))
    geo = dict(filter_hw=(kh, kw), stride=stride, dilation=dilation, pad=pad, rows=oh * ow)
    if op.type == "CONV_2D":
        if wd.shape[3] != cin:
            raise net.error(op.label, f"is a grouped convolution ({cin} input channels, "
                            f"filter depth {wd.shape[3]}), not supported")
        b = wd.reshape(nout, kh * kw * cin).T  # rows ordered (ky, kx, cin), as im2col
        return GemmLayer(groups=1, k=kh * kw * cin, n=nout, weights=_frozen(b[None]),
                         **geo, **common)
    dm = op.options["depth_multiplier"]
    b = wd.reshape(kh * kw, cin, dm).transpose(1, 0, 2)  # [cin, kh*kw, dm]
    return GemmLayer(groups=cin, k=kh * kw, n=dm, weights=_frozen(b), **geo, **common)


def im2col(layer: GemmLayer, x: np.ndarray) -> np.ndarray:
    """int8 GEMM operands of a batch: ``[B, rows, groups, k]``.

    Convolution windows that fall outside the image read the input zero point, so padding
    contributes exactly ``0`` to ``sum (a - a_zp) * w`` (LiteRT skips those taps instead).
    CONV_2D rows are ordered ``(ky, kx, cin)``, DEPTHWISE_CONV_2D groups are input channels
    with ``(ky, kx)`` inside; a FULLY_CONNECTED row is a slice of the flattened input.
    """
    x = np.asarray(x, dtype=np.int8)
    b = x.shape[0]
    if layer.op.type == "FULLY_CONNECTED":
        return x.reshape(b, layer.rows, 1, layer.k)
    h, w, c = layer.in_shape
    oh, ow, _ = layer.out_shape
    (kh, kw), (sh, sw), (dh, dw), (pt, pl) = (layer.filter_hw, layer.stride, layer.dilation,
                                              layer.pad)
    ys = np.arange(oh)[:, None] * sh - pt + np.arange(kh)[None, :] * dh  # [OH, kh]
    xs = np.arange(ow)[:, None] * sw - pl + np.arange(kw)[None, :] * dw  # [OW, kw]
    py, px = max(0, -ys.min(), ys.max() - h + 1), max(0, -xs.min(), xs.max() - w + 1)
    padded = np.full((b, h + 2 * py, w + 2 * px, c), layer.a_zp, dtype=np.int8)
    padded[:, py:py + h, px:px + w] = x
    win = padded[:, (ys + py)[:, None, :, None], (xs + px)[None, :, None, :]]
    win = win.reshape(b, oh * ow, kh * kw, c)  # [B, rows, kh*kw, C]
    if layer.op.type == "CONV_2D":
        return win.reshape(b, oh * ow, 1, kh * kw * c)
    return win.transpose(0, 1, 3, 2)  # [B, rows, C, kh*kw]


def run_gemm_layer(layer: GemmLayer, x: np.ndarray, requant: str = "double") -> np.ndarray:
    """``[B, *out_shape]`` int8 output of a GEMM layer on a batch ``[B, *in_shape]``.

    ``requant`` is ``"double"`` or ``"single"`` (:func:`golden_models.quant.requantize` with
    the layer's (mult, shift)), or ``"float"``: LiteRT's FULLY_CONNECTED reference kernel,
    ``round_half_away(double(acc + bias) * real_scale) + out_zp``, then the clamp.
    """
    a = im2col(layer, x).astype(np.int64) - layer.a_zp
    acc = np.einsum("brgk,gkn->brgn", a, layer.weights.astype(np.int64))
    acc = _wrap(acc.reshape(a.shape[0], layer.rows, layer.groups * layer.n))
    if requant == "float":
        scaled = round_half_away(_wrap(acc + layer.bias).astype(np.float64) * layer.real_scale)
        out = np.clip(scaled.astype(np.int64) + layer.out_zp, layer.act_min, layer.act_max)
    else:
        out = requantize(acc, _wrap(layer.bias), layer.mult, layer.shift, layer.out_zp,
                         layer.act_min, layer.act_max, rounding=requant)
    return np.asarray(out, dtype=np.int8).reshape((a.shape[0], *layer.out_shape))


def run_host_op(net: Network, op: Operator, inputs: list[np.ndarray],
                rounding: str = "double") -> np.ndarray:
    """Output of one of :data:`HOST_OPS` on batched int8 inputs, as LiteRT computes it.

    ``rounding`` ("double" or "single") is the MultiplyByQuantizedMultiplier of ADD and
    SOFTMAX.
    """
    check_rounding(rounding)
    out_t = net.tensors[op.outputs[0]]
    batch = inputs[0].shape[0]
    if op.type == "RESHAPE":
        return inputs[0].reshape((batch, *out_t.shape[1:]))
    lo, hi = activation_range(net, op)
    if op.type in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
        pool = tflite_ops.max_pool if op.type == "MAX_POOL_2D" else tflite_ops.average_pool
        return pool(inputs[0], op.options["filter"], op.options["stride"],
                    op.options["padding"], lo, hi)
    if op.type == "ADD":
        t1, t2 = (net.tensors[j] for j in op.inputs[:2])
        if t1.shape != t2.shape:
            raise net.error(op.label, f"broadcasts {t1.shape} with {t2.shape}: not supported")
        params = tflite_ops.add_params(t1.quant.scale[0], t2.quant.scale[0],
                                       out_t.quant.scale[0], rounding)
        return tflite_ops.add(inputs[0], inputs[1], t1.quant.zero_point[0],
                              t2.quant.zero_point[0], out_t.quant.zero_point[0], params,
                              lo, hi, rounding)
    if op.type == "SOFTMAX":
        in_t = net.tensors[op.inputs[0]]
        if out_t.quant.zero_point[0] != INT8_MIN:
            raise net.error(op.label, "needs output zero point -128 (scale 1/256)")
        params = tflite_ops.softmax_params(in_t.quant.scale[0], op.options["beta"], rounding)
        return tflite_ops.softmax(inputs[0], params, rounding)
    raise net.error(op.label, "is not a host operator")


def quantize_input(net: Network, images) -> np.ndarray:
    """Float images to the model's int8 input, as TFLite's QUANTIZE op does.

    ``clip(round_half_away(float32(x) / float32(scale)) + zero_point, -128, 127)``, reshaped
    to ``[B, *input_shape[1:]]`` (e.g. digits ``[B, 8, 8]`` -> ``[B, 8, 8, 1]``).
    """
    t = net.tensors[net.input]
    q = round_half_away(np.asarray(images, dtype=np.float32) / np.float32(t.quant.scale[0]))
    q = np.clip(q + t.quant.zero_point[0], INT8_MIN, INT8_MAX).astype(np.int8)
    return q.reshape((q.shape[0], *t.shape[1:]))


def run_network(net: Network, x, rounding: str = "litert", *, tensors: bool = False):
    """Run the network on a batch of int8 inputs ``[B, *input_shape[1:]]``.

    Parameters
    ----------
    net : Network
    x : array of int8
        ``B`` images (see :func:`quantize_input`).
    rounding : {"litert", "double", "single"}
        ``"litert"``: LiteRT 2.3.0's reference kernels as measured (module docstring);
        ``"double"`` / ``"single"``: that MultiplyByQuantizedMultiplier everywhere.
    tensors : bool
        Return every activation tensor instead of the output only.

    Returns
    -------
    np.ndarray of int8, ``[B, *output_shape[1:]]``; or with ``tensors=True`` a dict from
    tensor index to its ``[B, ...]`` array (input and every operator output).

    Raises
    ------
    NetworkError
        ``x`` has the wrong shape or type, or an operator cannot be run.
    """
    _check_network_rounding(rounding)
    t_in = net.tensors[net.input]
    x = np.asarray(x)
    if x.dtype != np.int8 or x.shape[1:] != t_in.shape[1:]:
        raise net.error(t_in.label, f"takes int8 [B, {', '.join(map(str, t_in.shape[1:]))}], "
                        f"not {x.dtype} {list(x.shape)}")
    env = {net.input: x}
    for op in net.operators:
        requant = op_requant(op.type, rounding)
        if op.type in GEMM_OPS:
            mbqm = "double" if requant == "float" else requant
            out = run_gemm_layer(gemm_layer(net, op, mbqm), env[op.inputs[0]], requant)
        else:
            out = run_host_op(net, op, [env[j] for j in op.inputs if j in env], requant)
        env[op.outputs[0]] = out
    return env if tensors else env[net.output]
