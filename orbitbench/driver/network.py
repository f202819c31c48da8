"""Lower an int8 network onto tile GEMM commands (pure data, no RTL).

:func:`compile_network` turns every FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D of a
:class:`golden_models.network.Network` into :class:`GemmJob` s: one
:class:`~orbitbench.spec.params.GemmCommand` each, with its static operands (int8 B, int32 bias,
per-channel multiplier and shift from the model) and the slice of the layer's im2col matrix
that is its A. Everything else (pooling, RESHAPE, ADD, SOFTMAX) is a :class:`HostStage`, run in
NumPy exactly as LiteRT's int8 kernels (:func:`golden_models.network.run_host_op`).

Lowering of one GEMM layer with ``rows`` output pixels per image and a batch of ``B``:

* the im2col matrix has ``B * rows`` rows (padding reads the input zero point, which the tile
  subtracts as ``a_zp``, so padding contributes exactly 0); it is tiled over M in chunks of
  ``cfg.max_m`` rows;
* FULLY_CONNECTED and CONV_2D (one group, ``K = in_features`` resp. ``kh*kw*cin``) are tiled
  over N (output channels) in chunks of ``cfg.max_n``;
* DEPTHWISE_CONV_2D is lowered block-diagonally: ``G`` channels per command, A is the
  concatenation of their ``kh*kw`` patches (``K = G*kh*kw``), B is block-diagonal (each
  channel's ``depth_multiplier`` filters against its own patch, zeros elsewhere), so
  ``N = G * depth_multiplier``. ``G = min(channels, max_k // (kh*kw), max_n // dm)``. The
  zeros cost MACs on the array, but one command per channel would leave N = 1 of the array's
  columns busy and cost a command (and its bus traffic) per channel: on the default tile a
  16-channel 3x3 depthwise layer is 3 commands per M chunk instead of 16, and fewer cycles.
  The zero blocks add exactly 0 to every accumulator, so the result is bit-exact;
* every command uses ``b_zp = 0`` (symmetric weights), ``a_zp`` = the input zero point,
  ``out_zp`` and the fused activation's clamp, per-channel mult/shift (``per_channel``), and
  the rounding of :func:`job_rounding` (QMODE.SINGLE: single for FULLY_CONNECTED, double for
  convolutions, which reproduces LiteRT on every tensor on a selectable tile).

The tile cannot split K across commands (it writes back requantized int8, partial sums
never leave it), so a layer with ``K > cfg.max_k`` raises :class:`NetworkError`.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from golden_models import digits
from golden_models.network import (
    GEMM_OPS,
    GemmLayer,
    Network,
    NetworkError,
    Operator,
    gemm_layer,
    im2col,
    load_network,
    op_requant,
    quantize_input,
    run_host_op,
)
from golden_models.tile import TileMemory, gemm_cycles, pack_operands, run_tile, unpack_result
from orbitbench.spec.errors import ParameterError
from orbitbench.spec.params import GemmCommand, TileConfig
from orbitbench.spec.paths import NETWORKS_DIR

from .program import BusOp, GemmProgram, gemm_program

__all__ = ["model_names", "load_model", "digits_images",
           "CORRUPTIONS", "GemmJob", "GemmStage", "HostStage", "NetworkError", "NetworkProgram",
           "compile_network", "corrupt_program", "inference_bus_program", "job_operand_a",
           "job_rounding", "program_steps", "run_program_numpy"]


def model_names(networks_dir: Path = NETWORKS_DIR) -> list[str]:
    """The models in ``networks/models.json``."""
    return sorted(json.loads((networks_dir / "models.json").read_text())["models"])


def load_model(name: str, networks_dir: Path = NETWORKS_DIR, *, option: str = "--model"
               ) -> tuple[Path, Network, dict]:
    """(path, network, its entry of models.json) of model ``name``.

    Raises
    ------
    ParameterError
        ``name`` is not in models.json (the message names ``option``).
    """
    info = json.loads((networks_dir / "models.json").read_text())["models"]
    if name not in info:
        raise ParameterError(f"{option} must be one of {', '.join(sorted(info))}, not {name!r}")
    path = networks_dir / info[name]["file"]
    return path, load_network(path), info[name]


def digits_images(net: Network, images: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(int8 images, labels) of the first ``images`` of the digits test split (all 360 if
    None), quantized with ``net``'s input scale and zero point.

    Raises
    ------
    ParameterError
        ``images`` is not from 1 to the split's size (named ``--images``).
    """
    x, labels = digits.test_split()
    n = len(x) if images is None else images
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= len(x):
        raise ParameterError(f"--images must be from 1 to {len(x)}, not {n}")
    return quantize_input(net, x[:n]), labels[:n]


@dataclass(frozen=True, eq=False)
class GemmJob:
    """One tile command of a GEMM layer, as plain data.

    Members
    -------
    cmd : GemmCommand
        ``m, k, n``, zero points, clamp; ``per_channel=True``.
    b : np.ndarray of int8, shape ``[k, n]``
        The mathematical B (block-diagonal for a depthwise block).
    bias, mult, shift : np.ndarray of int64, shape ``[n]``
        int32 bias and multiplier, shift -31..30, for the MULT/SHIFT/BIAS scratchpads.
    rows : (int, int)
        Rows ``[start, stop)`` of the layer's im2col matrix (``B * layer.rows`` rows) that
        are A; the same rows of the layer's output matrix receive C.
    groups : (int, int)
        Groups ``[start, stop)`` of the im2col matrix whose patches are concatenated into A.
    cols : (int, int)
        Output channels ``[start, stop)`` that C fills.
    """

    cmd: GemmCommand
    b: np.ndarray
    bias: np.ndarray
    mult: np.ndarray
    shift: np.ndarray
    rows: tuple[int, int]
    groups: tuple[int, int]
    cols: tuple[int, int]


@dataclass(frozen=True, eq=False)
class GemmStage:
    """A GEMM layer and its commands."""

    layer: GemmLayer
    jobs: tuple[GemmJob, ...]


@dataclass(frozen=True, eq=False)
class HostStage:
    """An operator the host runs in NumPy (bit-exact with LiteRT's int8 kernel)."""

    op: Operator


@dataclass(frozen=True, eq=False)
class NetworkProgram:
    """A network lowered for one tile configuration and batch size.

    Members
    -------
    net : Network
    cfg : TileConfig
    batch : int
    rounding : str
        The network rounding it was compiled for (:data:`NETWORK_ROUNDINGS`); each job's
        ``cmd.rounding`` says what that means for its layer.
    stages : tuple of GemmStage and HostStage
        In execution order.
    """

    net: Network
    cfg: TileConfig
    batch: int
    rounding: str
    stages: tuple[GemmStage | HostStage, ...]

    @property
    def jobs(self) -> tuple[GemmJob, ...]:
        return tuple(j for s in self.stages if isinstance(s, GemmStage) for j in s.jobs)

    @property
    def macs_per_inference(self) -> int:
        """The network's multiply-accumulates for one image (no padding, no zero blocks)."""
        return sum(s.layer.macs_per_image for s in self.stages if isinstance(s, GemmStage))

    @property
    def tile_macs(self) -> int:
        """MACs the tile performs for the whole batch: sum of ``m * k * n`` over commands."""
        return sum(j.cmd.m * j.cmd.k * j.cmd.n for j in self.jobs)

    @property
    def roundings_honoured(self) -> bool:
        """The tile applies every job's requested rounding (always on a selectable tile; on a
        fixed one only when every job asks for the tile's own)."""
        return all(self.cfg.rounding_for(j.cmd) == j.cmd.rounding for j in self.jobs)

    @property
    def tile_cycles(self) -> int:
        """Sum of the tile's CYCLES over the commands (timing contract of ``gemm_cycles``)."""
        return sum(gemm_cycles(self.cfg, j.cmd) for j in self.jobs)


def _block_diagonal(w: np.ndarray) -> np.ndarray:
    """``[G, k, n]`` -> ``[G*k, G*n]`` with block ``g`` on the diagonal."""
    g, k, n = w.shape
    out = np.zeros((g * k, g * n), dtype=np.int8)
    for i in range(g):
        out[i * k:(i + 1) * k, i * n:(i + 1) * n] = w[i]
    return out


def _layer_jobs(net: Network, layer: GemmLayer, cfg: TileConfig, batch: int,
                rounding: str) -> list[GemmJob]:
    op = layer.op
    if layer.k > cfg.max_k:
        raise net.error(op.label, f"has K = {layer.k}, above max_k = {cfg.max_k} of config "
                        f"{cfg.name!r}: the tile cannot split K across commands (it returns "
                        "requantized int8)")
    if layer.groups > 1 and layer.n > cfg.max_n:
        raise net.error(op.label, f"has depth multiplier {layer.n}, above max_n = "
                        f"{cfg.max_n} of config {cfg.name!r}")
    total = batch * layer.rows
    if layer.groups == 1:
        per = cfg.max_n
        blocks = [((0, 1), (n0, min(n0 + per, layer.n))) for n0 in range(0, layer.n, per)]
    else:
        g_per = min(layer.groups, cfg.max_k // layer.k, cfg.max_n // layer.n)
        blocks = [((g0, min(g0 + g_per, layer.groups)),
                   (g0 * layer.n, min(g0 + g_per, layer.groups) * layer.n))
                  for g0 in range(0, layer.groups, g_per)]
    jobs = []
    for m0 in range(0, total, cfg.max_m):
        m1 = min(m0 + cfg.max_m, total)
        for (g0, g1), (n0, n1) in blocks:
            if layer.groups == 1:
                b = layer.weights[0][:, n0:n1]
            else:
                b = _block_diagonal(layer.weights[g0:g1])
            cmd = GemmCommand(m=m1 - m0, k=b.shape[0], n=b.shape[1], a_zp=layer.a_zp, b_zp=0,
                              out_zp=layer.out_zp, act_min=layer.act_min,
                              act_max=layer.act_max, per_channel=True, rounding=rounding)
            jobs.append(GemmJob(cmd=cmd, b=b, bias=layer.bias[n0:n1], mult=layer.mult[n0:n1],
                                shift=layer.shift[n0:n1], rows=(m0, m1), groups=(g0, g1),
                                cols=(n0, n1)))
    return jobs


def job_rounding(op_type: str, rounding: str) -> str:
    """The tile rounding (QMODE.SINGLE) of a GEMM operator under a network ``rounding``.

    ``"litert"``: what reproduces LiteRT 2.3.0's reference kernels on every tensor
    (measured, :mod:`golden_models.network`): single rounding for FULLY_CONNECTED (LiteRT
    requantizes it in floating point; single rounding agrees on every FC output of the
    digits test split), gemmlowp double rounding for CONV_2D and DEPTHWISE_CONV_2D.
    Otherwise ``rounding`` itself.
    """
    requant = op_requant(op_type, rounding)  # validates rounding
    return "single" if requant == "float" else requant


def compile_network(net: Network, cfg: TileConfig, batch: int,
                    rounding: str = "litert") -> NetworkProgram:
    """Lower ``net`` onto tile commands for ``batch`` images at a time.

    Parameters
    ----------
    net : Network
    cfg : TileConfig
        Capacities ``max_m``, ``max_k``, ``max_n`` bound every command.
    batch : int
        Images per run (>= 1); M of a layer is ``batch * output pixels``.
    rounding : {"litert", "double", "single"}
        ``"litert"`` (the default): each GEMM job's rounding as :func:`job_rounding` says,
        bit-exact with LiteRT on a selectable tile; ``"double"`` / ``"single"``: every job.
        A fixed-rounding tile applies its own whatever the job asks
        (:attr:`NetworkProgram.roundings_honoured`).

    Raises
    ------
    NetworkError
        A layer's K exceeds ``cfg.max_k`` (or a depth multiplier ``cfg.max_n``); the message
        names the file, the operator and the config.
    TypeError, ValueError
        ``cfg`` is not a TileConfig, ``batch`` not a positive integer, ``rounding`` unknown.
    """
    if not isinstance(cfg, TileConfig):
        raise TypeError(f"cfg must be a TileConfig, not {cfg!r}")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a positive integer, not {batch!r}")
    job_rounding("CONV_2D", rounding)  # validates before any work
    stages: list[GemmStage | HostStage] = []
    for op in net.operators:
        if op.type in GEMM_OPS:
            r = job_rounding(op.type, rounding)
            layer = gemm_layer(net, op, r)
            stages.append(GemmStage(layer, tuple(_layer_jobs(net, layer, cfg, batch, r))))
        else:
            stages.append(HostStage(op))
    return NetworkProgram(net, cfg, batch, rounding, tuple(stages))


def job_operand_a(job: GemmJob, cols: np.ndarray) -> np.ndarray:
    """A of ``job`` (int8 ``[m, k]``) from the layer's im2col matrix ``[B*rows, groups, k]``."""
    (m0, m1), (g0, g1) = job.rows, job.groups
    return cols[m0:m1, g0:g1].reshape(m1 - m0, -1)


def program_steps(program: NetworkProgram, x, tap=None):
    """Execute a program with the GEMM jobs done by the caller: a generator.

    ``tap(tensor index, array) -> array``, if given, sees every activation tensor (the input
    and each stage's output) as it is made and returns what later stages use (a model-level
    fault injector's hook).

    Host stages run :func:`golden_models.network.run_host_op` with LiteRT's requantization
    (:func:`golden_models.network.op_requant` ``"litert"``). For every GEMM job it yields
    ``(job, a)``, ``a`` the job's int8 A ``[m, k]``, and expects the job's int8 C
    ``[m, n]`` sent back (``gen.send(c)``); it then returns (``StopIteration.value``) every
    activation tensor, a dict from tensor index to its ``[batch, ...]`` array. One executor
    for the NumPy tile model (:func:`run_program_numpy`) and the RTL (``testbenches``).

    Raises
    ------
    ValueError
        ``x`` is not int8 of shape ``[program.batch, *input_shape[1:]]``, or a C sent back
        has the wrong shape.
    """
    net = program.net
    x = np.asarray(x)
    t_in = net.tensors[net.input]
    if x.dtype != np.int8 or x.shape != (program.batch, *t_in.shape[1:]):
        raise ValueError(f"x must be int8 of shape {(program.batch, *t_in.shape[1:])}, not "
                         f"{x.dtype} {x.shape}")
    def put(index: int, value: np.ndarray) -> None:
        env[index] = value if tap is None else tap(index, value)

    env: dict = {}
    put(net.input, x)
    for stage in program.stages:
        if isinstance(stage, HostStage):
            op = stage.op
            put(op.outputs[0], run_host_op(net, op, [env[j] for j in op.inputs if j in env],
                                           op_requant(op.type, "litert")))
            continue
        layer = stage.layer
        cols = im2col(layer, env[layer.op.inputs[0]])
        cols = cols.reshape(program.batch * layer.rows, layer.groups, layer.k)
        out = np.zeros((program.batch * layer.rows, layer.groups * layer.n), dtype=np.int8)
        for job in stage.jobs:
            c = np.asarray((yield job, job_operand_a(job, cols)))
            (m0, m1), (n0, n1) = job.rows, job.cols
            if c.shape != (m1 - m0, n1 - n0):
                raise ValueError(f"{net.path}: {layer.op.label}: C must have shape "
                                 f"{(m1 - m0, n1 - n0)}, not {c.shape}")
            out[m0:m1, n0:n1] = c
        put(layer.op.outputs[0], out.reshape((program.batch, *layer.out_shape)))
    return env


#: Negative controls of ``orbitbench infer --corrupt``.
CORRUPTIONS = ("none", "weight", "rounding", "zero-point")

_OTHER = {"double": "single", "single": "double"}


def _replace_stage(prog: NetworkProgram, idx: int, jobs) -> NetworkProgram:
    stage = dataclasses.replace(prog.stages[idx], jobs=tuple(jobs))
    return dataclasses.replace(prog, stages=(*prog.stages[:idx], stage, *prog.stages[idx + 1:]))


def corrupt_program(prog: NetworkProgram, how: str) -> NetworkProgram:
    """``prog`` with one deliberate error (``how`` in :data:`CORRUPTIONS`), for negative
    controls: ``weight``: every weight of output channel 0 of the first GEMM layer has bit 6
    flipped (one weight alone can sit on an always-blank pixel); ``rounding``: every job
    asks for the other rounding; ``zero-point``: the first GEMM layer's ``a_zp`` is off by
    one."""
    if how not in CORRUPTIONS:
        raise ValueError(f"corrupt must be one of {', '.join(CORRUPTIONS)}, not {how!r}")
    if how == "none":
        return prog
    first = next(i for i, s in enumerate(prog.stages) if isinstance(s, GemmStage))
    jobs = prog.stages[first].jobs
    if how == "weight":
        def bad_b(b):
            b = b.copy()
            b[:, 0] ^= np.int8(0x40)
            return b
        return _replace_stage(prog, first, [dataclasses.replace(j, b=bad_b(j.b)) for j in jobs])
    if how == "zero-point":
        def bad_zp(cmd):
            return dataclasses.replace(cmd, a_zp=cmd.a_zp + 1 if cmd.a_zp < 127 else 126)
        return _replace_stage(prog, first, [dataclasses.replace(j, cmd=bad_zp(j.cmd))
                                            for j in jobs])
    for i, stage in enumerate(prog.stages):
        if isinstance(stage, GemmStage):
            prog = _replace_stage(prog, i, [dataclasses.replace(j, cmd=dataclasses.replace(
                j.cmd, rounding=_OTHER[j.cmd.rounding])) for j in stage.jobs])
    return prog


def inference_bus_program(program: NetworkProgram, x, *, counters: bool = False,
                          timing: bool = True) -> GemmProgram:
    """The whole inference of ``x`` as one frontdoor bus program, for a harness that cannot
    run the host stages (the raw Verilator bench, application-level fault campaigns).

    The jobs' C come from the tile model (:func:`run_program_numpy`'s arithmetic); each job
    is :func:`~orbitbench.driver.program.gemm_program` with ``load="changed"`` against what
    the tile holds after the previous one, starting from zeroed scratchpads (power-up), as
    ``testbenches/network_tb.py`` plays it. Its reads expect the tile model's words; played
    once from power-up it is bit-exact (it is not repeatable: the loads are deltas).
    ``counters`` and ``timing`` are :func:`gemm_program`'s, per job. The program's phases
    are ``job<i>`` (every op of job ``i`` of :attr:`NetworkProgram.jobs`) and
    ``job<i>.<phase>`` (its phases of :data:`~orbitbench.driver.program.PHASES`), so
    ``phase_reads("job3.readback")`` are job 3's result reads; ``counter_reads`` names
    ``job<i>.<COUNTER>``.
    """
    cfg = program.cfg
    shadow = TileMemory.zeros(cfg)
    ops: list = []
    expected: list = []
    status: list[int] = []
    results: dict[int, int] = {}
    counter_reads: dict[str, int] = {}
    phases: dict[str, tuple[int, int]] = {}
    steps = program_steps(program, x)
    c, total, i = None, 0, 0
    try:
        while True:
            job, a = steps.send(c)
            image = pack_operands(cfg, a, job.b, job.bias, job.mult, job.shift, mem=shadow)
            prog = gemm_program(cfg, job.cmd, image, load="changed", shadow=shadow,
                                counters=counters, timing=timing)
            base, op0 = len(expected), len(ops)
            ops += prog.ops[:-1]  # without END
            expected += prog.expected
            status += [base + r for r in prog.status_reads]
            results.update({base + r: w for r, w in prog.result_reads.items()})
            counter_reads.update({f"job{i}.{name}": base + r
                                  for name, r in prog.counter_reads.items()})
            phases[f"job{i}"] = (op0, len(ops))
            phases.update({f"job{i}.{name}": (op0 + lo, op0 + hi)
                           for name, (lo, hi) in prog.phases.items()})
            shadow = dataclasses.replace(image, c=prog.golden.c.copy())
            total += prog.gemm_cycles
            c = unpack_result(cfg, prog.golden.c, job.cmd.m, job.cmd.n)
            i += 1
    except StopIteration:
        pass
    return GemmProgram(ops=(*ops, BusOp.end()), expected=tuple(expected),
                       status_reads=tuple(status), result_reads=results,
                       counter_reads=counter_reads, phases=phases, gemm_cycles=total)


def run_program_numpy(program: NetworkProgram, x, cfg: TileConfig, *,
                      tensors: bool = False):
    """Execute a program: every GEMM job through :func:`golden_models.tile.run_tile`.

    Operands are packed into scratchpad images with
    :func:`golden_models.tile.pack_operands` and C read back with ``unpack_result``, as
    software would over the bus; host stages as :func:`program_steps` says.

    Parameters
    ----------
    program : NetworkProgram
    x : array of int8, shape ``[program.batch, *input_shape[1:]]``
    cfg : TileConfig
        Must be the configuration the program was compiled for.
    tensors : bool
        Return every activation tensor (a dict as :func:`golden_models.network.run_network`).

    Returns
    -------
    np.ndarray of int8: the network output ``[batch, *output_shape[1:]]``; with
    ``tensors=True`` a dict from tensor index to its ``[batch, ...]`` array.

    Raises
    ------
    ValueError
        ``cfg`` or the batch size differs from the program's, or the tile flags an error.
    """
    if cfg != program.cfg:
        raise ValueError(f"program was compiled for config {program.cfg.name!r}, not "
                         f"{cfg.name!r}")
    steps = program_steps(program, x)
    c = None
    try:
        while True:
            job, a = steps.send(c)
            mem = pack_operands(cfg, a, job.b, job.bias, job.mult, job.shift)
            res = run_tile(cfg, job.cmd, mem)
            if res.error:
                raise ValueError(f"{program.net.path}: the tile flagged an error on {job.cmd}")
            c = unpack_result(cfg, res.c, job.cmd.m, job.cmd.n)
    except StopIteration as stop:
        env = stop.value
    return env if tensors else env[program.net.output]
