"""cocotb side of ``orbitbench infer``: a TFLite network's inferences on the RTL tile.

Reads its request from the JSON file ``ORBITBENCH_REQUEST``::

    {"model": ".tflite path", "inputs": ".npy path (int8 [N, *input_shape[1:]])",
     "batch": images per program, "corrupt": "none" | "weight" | "rounding" | "zero-point",
     "tensors": ".npz path to write"}

and runs the images in batches through
:func:`orbitbench.driver.network.program_steps`: the host stages in NumPy, every GEMM job on
the tile through its tile program (:func:`orbitbench.driver.program.gemm_program`, played by
the harness's bus player). **Every operand goes over the bus** (frontdoor): A, Bᵀ, bias,
MULT and SHIFT words that differ from what the tile holds (so a layer's weights are written
once per layer and batch, not once per command), then the command, START, the wait for the
irq, STATUS/CYCLES, and the readback of C. Each command is also checked word by word against
:func:`golden_models.tile.run_tile` (the tile scoreboard of :class:`GemmTileTestbench`).

Writes every activation tensor of every image to ``tensors`` (``np.savez``, keys the tensor
indices) and a summary to ``ORBITBENCH_REPLY``: cycles per layer, ACT_FEED/ACT_SRAM deltas,
bus transfers, tile mismatches. The comparison with LiteRT is the caller's
(:mod:`orbitbench.apps.infer`). ``corrupt`` is a negative control applied to the program the
tile is given (:func:`orbitbench.driver.network.corrupt_program`; the reference stays LiteRT).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.utils import get_sim_time

from golden_models.network import load_network
from golden_models.tile import pack_operands, unpack_result
from orbitbench.driver.network import (
    GemmStage,
    NetworkProgram,
    compile_network,
    corrupt_program,
    program_steps,
)
from orbitbench.spec.knobs import REPLY, REQUEST
from orbitbench.spec.regmap import Reg

from .tile_tb import GemmTileTestbench, Mismatch

_PERIOD_NS = 10


async def _read_activity(tb: GemmTileTestbench) -> tuple[int, int]:
    return await tb.read_reg(Reg.ACT_FEED), await tb.read_reg(Reg.ACT_SRAM)


@cocotb.test()
async def inference(dut):
    request = json.loads(Path(REQUEST.require()).read_text())
    tb = GemmTileTestbench(dut, period_ns=_PERIOD_NS)
    await tb.reset()
    cfg = tb.cfg
    net = load_network(request["model"])
    x = np.load(request["inputs"])
    batch, corrupt = int(request["batch"]), request["corrupt"]
    programs: dict[int, NetworkProgram] = {}
    layer_cycles: dict[str, int] = {}
    tensors: dict[int, list[np.ndarray]] = {}
    mismatches: list[str] = []
    jobs = cycles = 0
    t0, sim0 = time.process_time(), get_sim_time("ns")
    feed0, sram0 = await _read_activity(tb)
    bus0 = tb.bus_transfers
    for start in range(0, len(x), batch):
        chunk = x[start:start + batch]
        if len(chunk) not in programs:
            programs[len(chunk)] = corrupt_program(compile_network(net, cfg, len(chunk)),
                                                   corrupt)
        prog = programs[len(chunk)]
        label = {id(j): s.layer.op.label for s in prog.stages if isinstance(s, GemmStage)
                 for j in s.jobs}
        steps = program_steps(prog, chunk)
        c = None
        try:
            while True:
                job, a = steps.send(c)
                image = pack_operands(cfg, a, job.b, job.bias, job.mult, job.shift,
                                      mem=tb.shadow)
                try:
                    result = await tb.gemm(image, job.cmd, path="frontdoor")
                    observed = result.observed
                    job_cycles = result.cycles
                except Mismatch as exc:  # reported, and the RTL's C goes on
                    mismatches.append(f"{label[id(job)]}: {str(exc)[:300]}")
                    observed = tb.backdoor.peek("c")
                    job_cycles = await tb.read_reg(Reg.CYCLES)
                c = unpack_result(cfg, observed, job.cmd.m, job.cmd.n)
                jobs += 1
                cycles += job_cycles
                layer_cycles[label[id(job)]] = layer_cycles.get(label[id(job)], 0) + job_cycles
        except StopIteration as stop:
            env = stop.value
        for t, value in env.items():
            tensors.setdefault(t, []).append(value)
    feed1, sram1 = await _read_activity(tb)
    np.savez(request["tensors"], **{str(t): np.concatenate(v) for t, v in tensors.items()})
    reply = {
        "config": cfg.as_dict(), "images": len(x), "batch": batch, "corrupt": corrupt,
        "jobs": jobs, "cycles": cycles, "layer_cycles": layer_cycles,
        "act_feed": (feed1 - feed0) % (1 << 32), "act_sram": (sram1 - sram0) % (1 << 32),
        "bus_transfers": tb.bus_transfers - bus0, "tile_mismatches": mismatches,
        "cpu_s": time.process_time() - t0,
        "sim_cycles": int(get_sim_time("ns") - sim0) // _PERIOD_NS,
    }
    Path(REPLY.require()).write_text(json.dumps(reply))
