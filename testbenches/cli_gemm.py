"""cocotb side of ``orbitbench gemm``: one GEMM on the RTL, checked against the golden model.

Reads its request from the JSON file ``ORBITBENCH_REQUEST`` and writes the outcome to
``ORBITBENCH_REPLY``; the CLI does the printing. The test itself passes whenever the run
completed (a mismatch is a result to report, not a crash).
"""

from __future__ import annotations

import json
from pathlib import Path

import cocotb
import numpy as np

import golden_models.tile
from golden_models.stimulus import random_case
from golden_models.tile import unpack_result
from orbitbench.spec.knobs import REPLY, REQUEST
from orbitbench.spec.regmap import Reg

from .tile_tb import GemmTileTestbench, Mismatch


@cocotb.test()
async def one_gemm(dut):
    request = json.loads(Path(REQUEST.require()).read_text())
    tb = GemmTileTestbench(dut)
    await tb.reset()
    rng = np.random.default_rng(request["seed"])
    quant = request["quant"]
    case = random_case(tb.cfg, rng, m=request["m"], k=request["k"], n=request["n"],
                       per_channel=None if quant == "random" else quant == "per-channel")
    image = case.image(tb.cfg, tb.shadow)
    reply = {"cmd": case.cmd.__dict__, "config": tb.cfg.as_dict(), "corrupt": request["corrupt"]}
    real = golden_models.tile.gemm_requant
    if request["corrupt"] == "model":
        # A golden model whose outputs have their lowest bit flipped.
        golden_models.tile.gemm_requant = lambda *a, **kw: real(*a, **kw) ^ np.int8(1)
    try:
        def upset():
            # Flip the lowest bit of C[0][0] in the result memory, as a radiation upset would.
            words = tb.backdoor.peek("c")
            words[0] ^= 1
            tb.backdoor.poke("c", words, only=np.array([0]))

        result = await tb.gemm(image, case.cmd, path=request["load"],
                               upset=upset if request["corrupt"] == "dut" else None)
        reply.update(passed=True, cycles=result.cycles, mismatches=[])
        observed = result.observed
    except Mismatch as exc:
        reply.update(passed=False, error=str(exc)[:2000])
        observed = tb.backdoor.peek("c")
        reply["cycles"] = await tb.read_reg(Reg.CYCLES)
    finally:
        golden_models.tile.gemm_requant = real
    out = unpack_result(tb.cfg, observed, case.cmd.m, case.cmd.n)
    reply["sample"] = out[:4, :8].tolist()
    reply["bus_transfers"] = tb.bus_transfers
    with open(REPLY.require(), "w") as f:
        json.dump(reply, f)
