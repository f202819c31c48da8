"""orbitbench.driver.network: the digits models lowered onto tile commands.

Every GEMM job runs through golden_models.tile.run_tile on packed scratchpad images; the
result must equal golden_models.network.run_network with the tile's rounding on every image
of the test split, and LiteRT's output (measured: the FC layers' float requantization in
LiteRT moves some FC outputs by 1 LSB, see tests/golden_models/test_network.py, but never the
softmax output of these two models).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from golden_models import digits
from golden_models import network as gn
from orbitbench.driver.network import (
    GemmStage,
    HostStage,
    NetworkError,
    compile_network,
    corrupt_program,
    inference_bus_program,
    run_program_numpy,
)
from orbitbench.driver.program import OpKind
from orbitbench.spec.params import CONFIGS, TileConfig
from orbitbench.spec.regmap import Status

NETWORKS = Path(__file__).resolve().parents[2] / "networks"


def litert_outputs(path: Path, x: np.ndarray) -> np.ndarray:
    interp = Interpreter(model_path=str(path),
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interp.allocate_tensors()
    i, o = interp.get_input_details()[0]["index"], interp.get_output_details()[0]["index"]
    out = []
    for image in x:
        interp.set_tensor(i, image[None])
        interp.invoke()
        out.append(interp.get_tensor(o)[0].copy())
    return np.stack(out)


@pytest.fixture(scope="module", params=["digits_cnn", "digits_mlp"])
def model(request):
    path = NETWORKS / f"{request.param}.tflite"
    net = gn.load_network(path)
    x = gn.quantize_input(net, digits.test_split()[0])
    return request.param, net, x, litert_outputs(path, x)


@pytest.fixture(scope="module")
def programs(model):
    name, net, x, _ = model
    return {r: compile_network(net, CONFIGS["default"], len(x), r) for r in ("double", "single")}


def test_whole_test_split_bit_exact(model, programs):
    name, net, x, lite = model
    out = run_program_numpy(programs["double"], x, CONFIGS["default"])
    assert np.array_equal(out, gn.run_network(net, x, "double"))
    assert np.array_equal(out, lite)
    assert np.array_equal(out, gn.run_network(net, x))  # "litert"


def test_litert_rounding_exact_on_every_tensor(model):
    """The default ("litert"): single rounding for FC jobs, double for convolutions; on the
    selectable default tile every GEMM layer's output equals LiteRT's mix exactly, while
    all-double jobs miss some FC outputs (negative control)."""
    name, net, x, _ = model
    cfg = CONFIGS["default"]
    prog = compile_network(net, cfg, len(x))
    assert prog.rounding == "litert" and prog.roundings_honoured
    for stage in prog.stages:
        if isinstance(stage, GemmStage):
            want = "single" if stage.layer.op.type == "FULLY_CONNECTED" else "double"
            assert {j.cmd.rounding for j in stage.jobs} == {want}
    want = gn.run_network(net, x, tensors=True)
    got = run_program_numpy(prog, x, cfg, tensors=True)
    assert sorted(got) == sorted(want)
    for t in want:
        assert np.array_equal(got[t], want[t]), net.tensors[t].label
    double = run_program_numpy(compile_network(net, cfg, len(x), "double"), x, cfg,
                               tensors=True)
    assert any(not np.array_equal(double[t], want[t]) for t in want)
    for r in ("double", "single"):
        assert compile_network(net, cfg, 1, r).roundings_honoured
    fixed = dataclasses.replace(cfg, rounding="double")
    assert not compile_network(net, fixed, 1).roundings_honoured


def test_single_rounding_tile(model, programs):
    """Single rounding: equal to LiteRT on the MLP (FC only), 55 outputs off on the CNN."""
    name, net, x, lite = model
    out = run_program_numpy(programs["single"], x, CONFIGS["default"])
    assert np.array_equal(out, gn.run_network(net, x, "single"))
    assert int((out != lite).sum()) == (55 if name == "digits_cnn" else 0)


def test_jobs_fit_and_are_plain_data(model, programs):
    name, net, x, _ = model
    cfg = CONFIGS["default"]
    prog = programs["double"]
    assert [type(s) for s in prog.stages] == [
        GemmStage if op.type in gn.GEMM_OPS else HostStage for op in net.operators]
    for job in prog.jobs:
        cmd = job.cmd
        assert cmd.fits(cfg) and cmd.per_channel and cmd.b_zp == 0
        assert job.b.dtype == np.int8 and job.b.shape == (cmd.k, cmd.n)
        for v in (job.bias, job.mult, job.shift):
            assert v.shape == (cmd.n,)
        assert job.rows[1] - job.rows[0] == cmd.m and job.cols[1] - job.cols[0] == cmd.n


def test_macs_per_inference(model, programs):
    name, _, x, _ = model
    prog = programs["double"]
    # CNN: 64*16*9 + 64*16*9 + 64*16*16 + 16*16*9 + 16*32*16 + 32*10; MLP: 64*64 + 64*32 + 32*10.
    assert prog.macs_per_inference == {"digits_cnn": 45632, "digits_mlp": 6464}[name]
    # Only the zero blocks of the block-diagonal depthwise commands add MACs on the tile:
    # per output pixel 7x7 + 7x7 + 2x2 channel blocks of K = 9 instead of 16 channels.
    per_pixel = (2 * 63 * 7 + 18 * 2) - 16 * 9
    extra = {"digits_cnn": (64 + 16) * per_pixel, "digits_mlp": 0}[name]
    assert prog.tile_macs == len(x) * (prog.macs_per_inference + extra)


def test_depthwise_block_diagonal():
    net = gn.load_network(NETWORKS / "digits_cnn.tflite")
    prog = compile_network(net, CONFIGS["default"], 1)
    dw = prog.stages[1]
    assert [(j.cmd.k, j.cmd.n, j.groups) for j in dw.jobs] == [
        (63, 7, (0, 7)), (63, 7, (7, 14)), (18, 2, (14, 16))]
    b = dw.jobs[0].b
    assert np.count_nonzero(b[9:, 0]) == 0 and np.count_nonzero(b[:9, 1]) == 0


def test_small_config_rejects_k64():
    net = gn.load_network(NETWORKS / "digits_mlp.tflite")
    with pytest.raises(NetworkError) as e:
        compile_network(net, CONFIGS["small"], 1)
    assert str(e.value) == (
        f"{net.path}: operator 1 (FULLY_CONNECTED) has K = 64, above max_k = 32 of config "
        "'small': the tile cannot split K across commands (it returns requantized int8)")


def test_cnn_on_small_config():
    """Every CNN layer has K <= 32: it runs on the 4x4 tile too, with more M/N chunks."""
    net = gn.load_network(NETWORKS / "digits_cnn.tflite")
    x = gn.quantize_input(net, digits.test_split()[0][:24])
    prog = compile_network(net, CONFIGS["small"], len(x))
    assert max(j.cmd.m for j in prog.jobs) == 32
    assert np.array_equal(run_program_numpy(prog, x, CONFIGS["small"]),
                          gn.run_network(net, x, "double"))


def test_negative_control_corrupted_job(model, programs):
    """The classifier's weights for class 0 negated in its first job: the check must fail.

    (A single byte is not enough: the int8 softmax saturates, and the always-zero corner
    pixels make some weights irrelevant.)
    """
    name, net, x, _ = model
    prog = programs["double"]
    idx = max(i for i, s in enumerate(prog.stages) if isinstance(s, GemmStage))
    stage = prog.stages[idx]
    job = stage.jobs[0]
    b = job.b.copy()
    b[:, 0] = -b[:, 0]
    bad_stage = dataclasses.replace(stage, jobs=(dataclasses.replace(job, b=b),
                                                 *stage.jobs[1:]))
    broken = dataclasses.replace(prog, stages=(*prog.stages[:idx], bad_stage,
                                               *prog.stages[idx + 1:]))
    out = run_program_numpy(broken, x, CONFIGS["default"])
    assert not np.array_equal(out, gn.run_network(net, x, "double"))


@pytest.mark.parametrize("call, exc, match", [
    (lambda net: compile_network(net, "default", 1), TypeError, "cfg must be a TileConfig"),
    (lambda net: compile_network(net, CONFIGS["default"], 0), ValueError,
     "batch must be a positive integer, not 0"),
    (lambda net: compile_network(net, CONFIGS["default"], 1, "nearest"), ValueError,
     "rounding must be 'litert', 'double' or 'single', not 'nearest'"),
    (lambda net: run_program_numpy(compile_network(net, CONFIGS["default"], 1),
                                   np.zeros((1, 8, 8, 1), np.int8), CONFIGS["small"]),
     ValueError, "program was compiled for config 'default', not 'small'"),
    (lambda net: run_program_numpy(compile_network(net, CONFIGS["default"], 2),
                                   np.zeros((1, 8, 8, 1), np.int8), CONFIGS["default"]),
     ValueError, r"x must be int8 of shape \(2, 8, 8, 1\)"),
])
def test_invalid_arguments(call, exc, match):
    net = gn.load_network(NETWORKS / "digits_mlp.tflite")
    with pytest.raises(exc, match=match):
        call(net)


def test_tight_tile_tiles_m_and_n():
    """A tile with max_m = max_n = 8 splits the MLP's 64 channels and the batch."""
    net = gn.load_network(NETWORKS / "digits_mlp.tflite")
    cfg = TileConfig(rows=4, cols=4, max_m=8, max_k=64, max_n=8, name="tight")
    x = gn.quantize_input(net, digits.test_split()[0][:20])
    prog = compile_network(net, cfg, len(x))
    fc0 = prog.stages[1]
    assert len(fc0.jobs) == 3 * 8  # M chunks 8 + 8 + 4, N chunks 8 x 8
    assert np.array_equal(run_program_numpy(prog, x, cfg), gn.run_network(net, x, "double"))


@pytest.mark.parametrize("how", ["weight", "rounding", "zero-point"])
def test_negative_controls_break_the_comparison(model, how):
    """Each corruption of orbitbench infer --corrupt changes some tensor of the test split
    (so the RTL comparison, which checks every tensor, must fail); "none" changes nothing."""
    name, net, x, _ = model
    cfg = CONFIGS["default"]
    want = gn.run_network(net, x, tensors=True)
    prog = compile_network(net, cfg, len(x))
    assert corrupt_program(prog, "none") is prog
    got = run_program_numpy(corrupt_program(prog, how), x, cfg, tensors=True)
    assert any(not np.array_equal(got[t], want[t]) for t in want)
    with pytest.raises(ValueError, match="^corrupt must be one of none, weight, rounding, "
                       "zero-point, not 'bits'$"):
        corrupt_program(prog, "bits")


def test_inference_bus_program():
    """The whole inference as one bus program (make bench-infer's raw bound): one command
    per job, every STATUS read expecting DONE, the CYCLES sum of the timing contract, and
    result reads expecting the tile model's words (the last job's are the classifier's C)."""
    net = gn.load_network(NETWORKS / "digits_mlp.tflite")
    cfg = CONFIGS["default"]
    x = gn.quantize_input(net, digits.test_split()[0][:5])
    prog = compile_network(net, cfg, len(x))
    bus = inference_bus_program(prog, x)
    assert bus.gemm_cycles == prog.tile_cycles
    assert len(bus.status_reads) == 2 * len(prog.jobs)
    assert {bus.expected[i] for i in bus.status_reads} == {int(Status.DONE)}
    assert sum(op.kind == OpKind.END for op in bus.ops) == 1 and bus.ops[-1].kind == OpKind.END
    fc = gn.run_network(net, x, tensors=True)[net.operators[-2].outputs[0]]
    last = sorted(bus.result_reads)[-len(x) * 3:]  # 5 rows of ceil(10 / 4) words
    got = np.array([bus.expected[i] for i in last], dtype=np.uint32).view(np.int8)
    assert np.array_equal(got.reshape(len(x), 12)[:, :10], fc)
