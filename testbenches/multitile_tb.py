"""cocotb testbench for the multi-tile top: a host-side driver over the host Wishbone port.

:class:`MultiTileTestbench` loads every tile's share of a GEMM (the split of
:mod:`golden_models.multitile`) through the host port and the NoC, starts all tiles (they
compute concurrently), polls their STATUS over the NoC, reads C back over the NoC and checks
it bit-exactly against :func:`golden_models.multitile.multitile_gemm`, and the whole C
scratchpad of each tile by backdoor. :func:`multitile_design` is the Verilator design
(the top's file and the tile's file) for :mod:`orbitbench.sim.verilator`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from golden_models.multitile import MultiTileResult, multitile_gemm
from golden_models.stimulus import GemmCase
from golden_models.tile import TileMemory
from orbitbench.driver.program import contiguous_runs
from orbitbench.sim import RTL_DIR, Design, multitile_verilog, tile_public
from orbitbench.spec.knobs import DESIGN
from orbitbench.spec.multitile import MultiTileConfig, NocReg, host_byte_addr
from orbitbench.spec.noc import NocConfig
from orbitbench.spec.params import GemmCommand, TileConfig
from orbitbench.spec.regmap import Reg, Status, reg_addr, region_base

from .tile_tb import REGIONS, Mismatch, TileBackdoor
from .wishbone import WishboneMaster

__all__ = ["multitile_design", "MultiTileTestbench",
           "config_from_env"]


def multitile_design(cfg: MultiTileConfig, rtl_dir: Path = RTL_DIR) -> Design:
    """The top for cocotb: its ports, the tiles' components (scratchpads for the backdoor,
    :func:`orbitbench.sim.tile_public`) and the routers' input buffers (for upsets) are
    visible."""
    top_v, tile_v = multitile_verilog(cfg, rtl_dir)
    public = [(cfg.top_name, "*"), *tile_public(cfg.tile),
              (f"{cfg.top_name}.mesh.router_*", "in*_slot*"),
              (f"{cfg.top_name}.mesh.router_*", "in*_wp*"),
              (f"{cfg.top_name}.mesh.router_*", "in*_rp*")]
    return Design(top=cfg.top_name, sources=(top_v, tile_v), params=cfg.as_dict(),
                  public=tuple(public))


def config_from_env() -> MultiTileConfig:
    """The configuration :func:`orbitbench.sim.verilator.run` passed (``ORBITBENCH_DESIGN``)."""
    params = json.loads(DESIGN.require())
    return MultiTileConfig(tile=TileConfig(**params["tile"]), noc=NocConfig(**params["noc"]),
                           name=params["name"])


class MultiTileTestbench:
    """Owns the clock, the host bus driver, the per-tile backdoors and the checks.

    ``reset()`` first. Tile ``t``'s bus is reached at host byte address
    ``host_byte_addr(cfg, t, addr)``; every access is one NoC transaction.
    """

    def __init__(self, dut, cfg: MultiTileConfig | None = None, *, period_ns: int = 10,
                 name: str = "mt"):
        self.dut = dut
        self.cfg = cfg or config_from_env()
        self.log = logging.getLogger(f"cocotb.{name}")
        self.bus = WishboneMaster(dut, "host", timeout=20_000, log=self.log.getChild("host"))
        self.clock = Clock(dut.clk, period_ns, unit="ns")
        self.backdoors = [TileBackdoor(getattr(dut, f"tile{t}"), self.cfg.tile)
                          for t in range(self.cfg.tiles)]
        self._clock_started = False
        self.phase = "idle"

    async def reset(self, cycles: int = 2) -> None:
        if not self._clock_started:
            self.clock.start()
            self._clock_started = True
        self.bus.idle()
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, cycles)
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)

    # --- host accesses ----------------------------------------------------------------
    def addr(self, tile: int, byte_addr: int) -> int:
        return host_byte_addr(self.cfg, tile, byte_addr)

    async def write_reg(self, tile: int, reg: Reg, value: int) -> None:
        await self.bus.write(self.addr(tile, reg_addr(reg)), value & 0xFFFF_FFFF)

    async def read_reg(self, tile: int, reg: Reg) -> int:
        return await self.bus.read(self.addr(tile, reg_addr(reg)))

    async def read_noc(self, reg: NocReg) -> int:
        return await self.bus.read(self.addr(self.cfg.noc_index, 4 * int(reg)))

    # --- GEMM -------------------------------------------------------------------------
    def expect(self, case: GemmCase, base: list[TileMemory] | None = None) -> MultiTileResult:
        """The model adapter: the golden split result of ``case`` on the tiles' current
        scratchpads (``base``, default: peeked by backdoor)."""
        if base is None:
            base = [bd.peek_image() for bd in self.backdoors]
        return multitile_gemm(self.cfg.tile, self.cfg.tiles, case.cmd, case.a, case.b,
                              case.bias, case.mult, case.shift, base=base)

    async def load(self, t: int, image: TileMemory, shadow: TileMemory) -> int:
        """Write the words of ``image`` that differ from ``shadow`` into tile ``t``."""
        moved = 0
        for region, bus_region in REGIONS.items():
            if region == "c":
                continue
            new = getattr(image, region)
            changed = np.nonzero(new != getattr(shadow, region))[0]
            for start, length in contiguous_runs(changed):
                base = self.addr(t, region_base(bus_region) + 4 * start)
                await self.bus.write_burst(base, new[start:start + length].tolist())
            moved += len(changed)
        return moved

    async def program(self, t: int, cmd: GemmCommand) -> None:
        await self.bus.write_burst(self.addr(t, reg_addr(Reg.M)), [
            cmd.m, cmd.k, cmd.n, cmd.a_zp & 0xFFFF_FFFF, cmd.b_zp & 0xFFFF_FFFF,
            cmd.out_zp & 0xFFFF_FFFF, cmd.act_min & 0xFFFF_FFFF, cmd.act_max & 0xFFFF_FFFF,
            cmd.qmode, cmd.qmult & 0xFFFF_FFFF, cmd.qshift & 0x3F])

    async def wait_all_done(self, tiles: list[int], poll_cycles: int = 50,
                            timeout_cycles: int = 200_000) -> dict[int, int]:
        """Poll STATUS of ``tiles`` over the NoC until all say DONE; returns their CYCLES."""
        pending, waited = set(tiles), 0
        while pending:
            for t in sorted(pending):
                status = await self.read_reg(t, Reg.STATUS)
                if status & Status.ERROR:
                    raise Mismatch(f"tile {t}: STATUS=0x{status:x} has ERROR")
                if status & Status.DONE:
                    pending.discard(t)
            if pending:
                await ClockCycles(self.dut.clk, poll_cycles)
                waited += poll_cycles
                if waited > timeout_cycles:
                    raise TimeoutError(f"tiles {sorted(pending)} not DONE after "
                                       f"{timeout_cycles} cycles")
        return {t: await self.read_reg(t, Reg.CYCLES) for t in tiles}

    async def read_c(self, t: int, cmd: GemmCommand) -> np.ndarray:
        """Rows ``0..cmd.m`` of tile ``t``'s C, read over the NoC (int8 ``[m, n]``)."""
        wpr, used = self.cfg.tile.max_n // 4, (cmd.n + 3) // 4
        rows = []
        for i in range(cmd.m):
            base = self.addr(t, region_base(REGIONS["c"]) + 4 * i * wpr)
            words = np.array(await self.bus.read_burst(base, used), dtype=np.uint32)
            rows.append(words.view(np.int8)[:cmd.n])
        return np.array(rows, dtype=np.int8).reshape(cmd.m, cmd.n)

    async def gemm(self, case: GemmCase, *, expected: MultiTileResult | None = None,
                   after_done=None, during=None) -> dict[int, int]:
        """Load, start all tiles, wait, read back and compare; returns CYCLES per tile.

        ``self.phase`` is ``"load"``, ``"run"`` (tiles started, polling) and ``"readback"``
        in turn. ``expected`` overrides the golden result (negative controls);
        ``after_done()`` is called once all tiles are DONE, before any read-back, and
        ``during()`` (a coroutine function) runs concurrently from the start (both to
        disturb the DUT on purpose). Raises :class:`~testbenches.tile_tb.Mismatch` on any
        differing word: C read over the NoC against the assembled golden C, and every
        tile's whole C scratchpad (backdoor) against its golden image.
        """
        base = [bd.peek_image() for bd in self.backdoors]
        golden = self.expect(case, base) if expected is None else expected
        active = [s for s in golden.shares if s.cmd is not None]
        task = cocotb.start_soon(during()) if during is not None else None
        self.phase = "load"
        for s in active:
            await self.load(s.tile, s.image, base[s.tile])
            await self.program(s.tile, s.cmd)
        self.phase = "run"
        for s in active:  # all tiles compute at once
            await self.write_reg(s.tile, Reg.CTRL, 1)
        cycles = await self.wait_all_done([s.tile for s in active])
        if after_done is not None:
            after_done()
        self.phase = "readback"
        for s in active:
            await self.write_reg(s.tile, Reg.STATUS, Status.DONE | Status.ERROR)
        got = np.concatenate([await self.read_c(s.tile, s.cmd) for s in active]) if active \
            else np.zeros((0, case.cmd.n), dtype=np.int8)
        self.phase = "idle"
        if task is not None and not task.done():
            task.cancel()
        problems = []
        bad = np.argwhere(got != golden.c)
        if len(bad):
            i, n = bad[0]
            problems.append(f"{len(bad)} C elements read over the NoC differ (first C[{i}][{n}]"
                            f" = {got[i, n]}, expected {golden.c[i, n]})")
        for s in active:
            observed = self.backdoors[s.tile].peek("c")
            diff = np.nonzero(observed != s.c)[0]
            if len(diff):
                w = int(diff[0])
                problems.append(f"tile {s.tile}: {len(diff)} C scratchpad words differ (word "
                                f"{w}: expected 0x{int(s.c[w]):08x} got 0x{int(observed[w]):08x})")
        if problems:
            raise Mismatch(f"{case.label} {case.cmd}: " + "; ".join(problems))
        return cycles
