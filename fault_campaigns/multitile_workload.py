"""The multi-tile top's campaign workload: one GEMM split across the tiles, through the NoC.

A bus-op ROM (:class:`MultiTileCampaignHarness`, like :mod:`hdl_gen.harness.campaign`
but on the top's host port) plays, from reset: for every tile with rows (the split of
:mod:`golden_models.multitile`), its operand words and command registers, IRQ_ENABLE;
then START to every such tile (they compute concurrently); WAIT_IRQ until all of them
raise ``irq``; per tile a STATUS read and a DONE clear; per tile its result rows; per tile
the counters TMR_ERRORS, ECC_CORRECTED, ECC_UNCORRECTABLE; finally the host interface's
NoC counters CORRECTED, DETECTED and TMR_MISMATCH (:class:`orbitbench.spec.multitile.NocReg`).
Every access is a NoC transaction except the last three reads.

Correct outcome: every result word equals :func:`golden_models.multitile.multitile_gemm`'s
(int8 elements) and every STATUS read says DONE. Protection events: STATUS.TMR_MISMATCH,
TMR_ERRORS, ECC_CORRECTED, the NoC's CORRECTED and TMR_MISMATCH report corrections;
STATUS.ECC_UE, STATUS.ERROR, ECC_UNCORRECTABLE and the NoC's DETECTED report detected
errors. Default targets: all state of the top (instance ``mt``), not the harness's ROM;
:data:`LINK_TARGETS` restricts them to the NoC's link words (router input buffers).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from golden_models.multitile import multitile_gemm
from golden_models.stimulus import random_case
from hdl_gen.harness.multitile import Op, emit_mt_harness, pack
from orbitbench.sim import RTL_DIR, SIM_BUILD, multitile_verilog
from orbitbench.spec.multitile import MultiTileConfig, NocReg, get_multitile_config
from orbitbench.spec.params import INT8_MAX, INT8_MIN
from orbitbench.spec.regmap import ADDR_WIDTH, Reg, Region, Status, reg_addr, region_base

from .engine import Ports
from .workload import Preload, WordSpec, Workload

__all__ = ["multitile_workload", "DEFAULT_GEMM", "LINK_TARGETS", "HOST_ROUTER_LINKS"]

#: M x K x N of the default workload: 8 rows per tile of the 2x2 top, half the tile's K/N.
DEFAULT_GEMM = (32, 16, 16)
#: Include globs of the NoC's link words: every router input buffer slot (the links are
#: combinational, so a flit in flight is always in some slot).
LINK_TARGETS = ("mt.mesh.router_*.in*_slot*",)
#: The link words of router (0, 0) only, which every transaction crosses (the host's
#: router): upsets there hit a flit in flight far more often than over the whole mesh.
HOST_ROUTER_LINKS = ("mt.mesh.router_0_0.in*_slot*",)


def _operand_words(cfg, m: int, k: int, n: int) -> dict[str, np.ndarray]:
    kw_used, kw = (k + 3) // 4, cfg.max_k // 4
    rows = lambda count: (np.arange(count)[:, None] * kw + np.arange(kw_used)).ravel()  # noqa: E731
    return {"a": rows(m), "b": rows(n), "bias": np.arange(n), "mult": np.arange(n),
            "shift": np.arange(n)}


_REGIONS = {"a": Region.A, "b": Region.B, "bias": Region.BIAS, "mult": Region.MULT,
            "shift": Region.SHIFT}
_COUNTERS = ((Reg.TMR_ERRORS, "corrected"), (Reg.ECC_CORRECTED, "corrected"),
             (Reg.ECC_UNCORRECTABLE, "detected"))
_NOC_COUNTERS = ((NocReg.CORRECTED, "corrected"), (NocReg.DETECTED, "detected"),
                 (NocReg.TMR_MISMATCH, "corrected"))


def multitile_workload(config: str | MultiTileConfig = "mt2x2",
                       gemm: tuple[int, int, int] = DEFAULT_GEMM, seed: int = 1, *,
                       rtl_dir: Path | str = RTL_DIR, build_root: Path | str = SIM_BUILD,
                       corrupt: str | None = None) -> Workload:
    """The campaign workload of one ``gemm`` (M, K, N) on the multi-tile ``config``.

    Operands from :func:`golden_models.stimulus.random_case` with ``seed`` (per-channel, zero
    points -20..20, full int8 clamp so that every output carries information). The Verilog
    comes from ``rtl_dir`` (or, without the top there, freshly emitted into
    ``build_root/mt_rtl``). ``corrupt="operand"`` writes one wrong A word while expecting
    the true result: the golden-run check must then refuse the campaign.
    """
    cfg = get_multitile_config(config) if isinstance(config, str) else config
    if corrupt not in (None, "operand"):
        raise ValueError(f"corrupt must be None or 'operand', not {corrupt!r}")
    m, k, n = (int(x) for x in gemm)
    tile = cfg.tile
    rng = np.random.default_rng(seed)
    case = random_case(tile, rng, m=min(m, tile.max_m), k=k, n=n, per_channel=True,
                       extreme_zp=False)
    a = rng.integers(INT8_MIN, INT8_MAX + 1, size=(m, k), dtype=np.int64).astype(np.int8)
    cmd = dataclasses.replace(case.cmd, m=m, act_min=INT8_MIN, act_max=INT8_MAX)
    golden = multitile_gemm(tile, cfg.tiles, cmd, a, case.b, case.bias, case.mult, case.shift)

    def addr(t: int, byte_addr: int) -> int:
        return ((t << (ADDR_WIDTH + 2)) | byte_addr) >> 2

    ops: list[int] = []
    expected: list[int | None] = []
    words: dict[int, WordSpec] = {}

    def read(word_addr: int, value: int, spec: WordSpec | None = None) -> None:
        if spec is not None:
            words[len(expected)] = spec
        ops.append(pack(cfg, Op.READ, word_addr))
        expected.append(value)

    active = [s for s in golden.shares if s.cmd is not None]
    corrupted = False
    for s in active:
        for region, idx in _operand_words(tile, s.cmd.m, k, n).items():
            data = getattr(s.image, region)
            for w in idx:
                value = int(data[w])
                if corrupt == "operand" and region == "a" and not corrupted:
                    value ^= 0x8080_8080
                    corrupted = True
                ops.append(pack(cfg, Op.WRITE, addr(s.tile, region_base(_REGIONS[region])
                                                      + 4 * int(w)), value))
        c = s.cmd
        for i, value in enumerate([c.m, c.k, c.n, c.a_zp, c.b_zp, c.out_zp, c.act_min,
                                   c.act_max, int(c.per_channel), c.qmult, c.qshift & 0x3F]):
            ops.append(pack(cfg, Op.WRITE, addr(s.tile, reg_addr(Reg.M)) + i, value))
        ops.append(pack(cfg, Op.WRITE, addr(s.tile, reg_addr(Reg.IRQ_ENABLE)), 1))
    for s in active:
        ops.append(pack(cfg, Op.WRITE, addr(s.tile, reg_addr(Reg.CTRL)), 1))
    ops.append(pack(cfg, Op.WAIT_IRQ, 0, sum(1 << s.tile for s in active)))
    status = WordSpec(data=0, corrected=int(Status.TMR_MISMATCH),
                      detected=int(Status.ECC_UE | Status.ERROR))
    for s in active:
        read(addr(s.tile, reg_addr(Reg.STATUS)), int(Status.DONE), status)
        ops.append(pack(cfg, Op.WRITE, addr(s.tile, reg_addr(Reg.STATUS)),
                         Status.DONE | Status.ERROR))
    wpr, used = tile.max_n // 4, (n + 3) // 4
    for s in active:
        for i in range(s.cmd.m):
            for j in range(used):
                w = i * wpr + j
                read(addr(s.tile, region_base(Region.C) + 4 * w), int(s.c[w]))
    for s in active:
        for reg, kind in _COUNTERS:
            read(addr(s.tile, reg_addr(reg)), 0, WordSpec(data=0, **{kind: 0xFFFF_FFFF}))
    for reg, kind in _NOC_COUNTERS:
        read(addr(cfg.noc_index, 4 * int(reg)), 0, WordSpec(data=0, **{kind: 0xFFFF_FFFF}))
    ops.append(pack(cfg, Op.END))
    depth = 1 << (len(ops) - 1).bit_length()

    top_v, tile_v = multitile_verilog(cfg, Path(rtl_dir), Path(build_root))
    top, text = emit_mt_harness(cfg, depth)
    harness_v = Path(build_root) / "campaign_harness" / f"{top}.v"
    if not harness_v.exists() or harness_v.read_text() != text:
        harness_v.parent.mkdir(parents=True, exist_ok=True)
        harness_v.write_text(text)
    return Workload(
        name=f"mt-gemm{m}x{k}x{n}-seed{seed}" + (f"-corrupt-{corrupt}" if corrupt else ""),
        top=top, sources=(top_v, tile_v, harness_v), ports=Ports(),
        include=("mt.*",), preload=(Preload("ops", tuple(ops)),),
        expected=tuple(expected), words=words,
        word_default=WordSpec(data=0xFFFF_FFFF), elem_bits=8, elem_signed=True,
        params={"config": cfg.name, "tile": tile.name, "noc_protection": cfg.noc.protection,
                "noc_tmr": cfg.noc.tmr, "gemm": [m, k, n], "seed": seed,
                "tiles": cfg.tiles})

