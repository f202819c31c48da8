"""hdl_gen.tile_controller.Controller alone in the Amaranth simulator: timing, strobes, errors.

The expected cycle counts are golden_models.tile.gemm_cycles (the tile's timing contract);
the strobe counts follow from the block loop (blocks x (1 clear, K feeds, rows drains)).
"""

import pytest
from amaranth.sim import Simulator

from golden_models.tile import gemm_cycles
from hdl_gen.tile_controller import Controller
from orbitbench.spec.params import CONFIGS, GemmCommand

SMALL, TMR = CONFIGS["small"], CONFIGS["small_tmr"]


def run(cfg, cmd_dims, *, ce=lambda t: True, limit=20000, before_start=None, each=None):
    """Program M, K, N, strobe START; returns a dict of what was observed until DONE."""
    dut = Controller(cfg)
    seen = {"cycles": 0, "busy": 0, "feeding": 0, "draining": 0, "clear": 0, "k": [],
            "blocks": []}

    async def tb(ctx):
        m, k, n = cmd_dims
        ctx.set(dut.cmd.m, m)
        ctx.set(dut.cmd.k, k)
        ctx.set(dut.cmd.n, n)
        ctx.set(dut.ce, 1)
        if before_start is not None:
            await before_start(ctx, dut)
        ctx.set(dut.ctl.start, 1)
        await ctx.tick()
        ctx.set(dut.ctl.start, 0)
        for t in range(limit):
            if not ctx.get(dut.busy):
                break
            ctx.set(dut.ce, ce(t))
            step = dut.step
            for name in ("feeding", "draining", "clear"):
                seen[name] += ctx.get(getattr(step, name))
            if ctx.get(step.feeding):
                seen["k"].append(ctx.get(step.k))
            if ctx.get(step.clear):
                seen["blocks"].append((ctx.get(step.ib), ctx.get(step.jb)))
            if each is not None:
                each(ctx, dut, t)
            seen["busy"] += 1
            await ctx.tick()
        else:
            raise AssertionError(f"still busy after {limit} cycles")
        seen["cycles"] = ctx.get(dut.ctl.cycles)
        seen["done"], seen["error"] = ctx.get(dut.ctl.done), ctx.get(dut.ctl.error)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    return seen


@pytest.mark.parametrize("cfg", [SMALL, TMR], ids=lambda c: c.name)
@pytest.mark.parametrize("dims", [(1, 1, 1), (4, 4, 4), (5, 3, 9), (32, 32, 32), (17, 8, 4)])
def test_cycles_are_the_timing_contract(cfg, dims):
    m, k, n = dims
    seen = run(cfg, dims)
    expected = gemm_cycles(cfg, GemmCommand(m=m, k=k, n=n))
    assert seen["cycles"] == seen["busy"] == expected
    assert seen["done"] == 1 and seen["error"] == 0
    blocks = -(-m // cfg.rows) * -(-n // cfg.cols)
    assert (seen["clear"], seen["feeding"], seen["draining"]) == (blocks, blocks * k,
                                                                  blocks * cfg.rows)
    assert seen["k"] == list(range(k)) * blocks
    # Row blocks outer, column blocks inner.
    assert seen["blocks"] == [(i, j) for i in range(-(-m // cfg.rows))
                              for j in range(-(-n // cfg.cols))]


def test_held_cycles_stand_still():
    """ce low in 3 of every 4 busy cycles: the same strobes, CYCLES counts wall cycles."""
    dims = (5, 7, 6)
    fast, slow = run(SMALL, dims), run(SMALL, dims, ce=lambda t: t % 4 == 3)
    advancing = gemm_cycles(SMALL, GemmCommand(m=5, k=7, n=6))
    assert slow["cycles"] == slow["busy"] == 4 * advancing
    for name in ("feeding", "draining", "clear", "k", "blocks"):
        assert slow[name] == fast[name], name


@pytest.mark.parametrize("dims", [(0, 4, 4), (4, 0, 4), (4, 4, 0), (33, 4, 4), (4, 33, 4),
                                  (4, 4, 33), (0xFFFF, 1, 1)])
def test_bad_dimensions_set_error_and_done_at_once(dims):
    seen = run(SMALL, dims)
    assert seen["busy"] == 0 and seen["cycles"] == 0
    assert seen["done"] == 1 and seen["error"] == 1
    assert seen["feeding"] == seen["draining"] == seen["clear"] == 0


def test_start_and_status_clears():
    """START clears DONE, ERROR, CYCLES; clear_done/clear_error clear one flag each."""

    async def after_error(ctx, dut):
        ctx.set(dut.cmd.k, 0)
        ctx.set(dut.ctl.start, 1)
        await ctx.tick()
        ctx.set(dut.ctl.start, 0)
        assert (ctx.get(dut.ctl.done), ctx.get(dut.ctl.error)) == (1, 1)
        for strobe, left in ((dut.ctl.clear_error, (1, 0)), (dut.ctl.clear_done, (0, 0))):
            ctx.set(strobe, 1)
            await ctx.tick()
            ctx.set(strobe, 0)
            assert (ctx.get(dut.ctl.done), ctx.get(dut.ctl.error)) == left
        ctx.set(dut.ctl.start, 1)
        ctx.set(dut.cmd.k, 0)
        await ctx.tick()
        ctx.set(dut.ctl.start, 0)
        ctx.set(dut.cmd.k, 2)
        ctx.set(dut.ctl.clear_done, 1)  # cleared again below by START
        await ctx.tick()
        ctx.set(dut.ctl.clear_done, 0)
        assert (ctx.get(dut.ctl.done), ctx.get(dut.ctl.error)) == (0, 1)

    seen = run(SMALL, (4, 2, 4), before_start=after_error)
    assert (seen["done"], seen["error"]) == (1, 0), "START clears ERROR"
    assert seen["cycles"] == gemm_cycles(SMALL, GemmCommand(m=4, k=2, n=4))


def test_finishing_command_wins_over_clear_done():
    last = gemm_cycles(SMALL, GemmCommand(m=4, k=2, n=4)) - 1

    def clear_in_last_cycle(ctx, dut, t):
        ctx.set(dut.ctl.clear_done, t == last)

    seen = run(SMALL, (4, 2, 4), each=clear_in_last_cycle)
    assert seen["done"] == 1
