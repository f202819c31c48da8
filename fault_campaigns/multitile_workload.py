"""The multi-tile top's campaign workload: one GEMM split across the tiles, through the NoC.

The program is :func:`orbitbench.driver.program.multitile_program`'s, played from reset by
the bus player (:class:`hdl_gen.harness.player.BusPlayer`, mode ``autorun``) on the top's
host port: for every tile with rows (the split of :mod:`golden_models.multitile`), its
operand words and command registers, IRQ_ENABLE; then START to every such tile (they compute
concurrently); WAIT_IRQ until all of them raise ``irq``; per tile a STATUS read and a DONE
clear; per tile its result rows; per tile the counters TMR_ERRORS, ECC_CORRECTED,
ECC_UNCORRECTABLE; finally the host interface's NoC counters CORRECTED, DETECTED and
TMR_MISMATCH (:class:`orbitbench.spec.multitile.NocReg`). Every access is a NoC transaction
except the last three reads.

Correct outcome: every result word equals :func:`golden_models.multitile.multitile_gemm`'s
(int8 elements) and every STATUS read says DONE. Protection events: STATUS.TMR_MISMATCH,
TMR_ERRORS, ECC_CORRECTED, the NoC's CORRECTED and TMR_MISMATCH report corrections;
STATUS.ECC_UE, STATUS.ERROR, ECC_UNCORRECTABLE and the NoC's DETECTED report detected
errors. Default targets: all state of the top (instance ``mt``), not the player's memory;
:data:`LINK_TARGETS` restricts them to the NoC's link words (router input buffers).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from golden_models.multitile import multitile_gemm
from golden_models.stimulus import random_case
from hdl_gen.harness.player import Mode, emit_player, multitile_target
from orbitbench.driver.program import multitile_program
from orbitbench.sim import RTL_DIR, SIM_BUILD, multitile_verilog, write_if_changed
from orbitbench.spec.multitile import MultiTileConfig, NocReg, get_multitile_config
from orbitbench.spec.params import INT8_MAX, INT8_MIN

from .engine import Ports
from .tile_workload import COUNTER_KINDS, STATUS_WORD
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

#: What a non-zero NoC counter reports (the tiles' counters: as on one tile).
_NOC_KINDS = {NocReg.CORRECTED.name: "corrected", NocReg.DETECTED.name: "detected",
              NocReg.TMR_MISMATCH.name: "corrected"}


def _counter_kind(name: str) -> str:
    """"tile0.TMR_ERRORS" -> "corrected", "noc.DETECTED" -> "detected"."""
    scope, _, counter = name.partition(".")
    return (_NOC_KINDS if scope == "noc" else COUNTER_KINDS)[counter]


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
    prog = multitile_program(cfg, golden, corrupt=corrupt)
    words = {i: STATUS_WORD for i in prog.status_reads}
    for name, i in prog.counter_reads.items():
        words[i] = WordSpec(data=0, **{_counter_kind(name): 0xFFFF_FFFF})
    depth = 1 << (len(prog.ops) - 1).bit_length()

    top_v, tile_v = multitile_verilog(cfg, Path(rtl_dir), Path(build_root))
    top, text = emit_player(multitile_target(cfg), mode=Mode.AUTORUN, depth=depth)
    harness_v = write_if_changed(Path(build_root) / "campaign_harness" / f"{top}.v", text)
    return Workload(
        name=f"mt-gemm{m}x{k}x{n}-seed{seed}" + (f"-corrupt-{corrupt}" if corrupt else ""),
        top=top, sources=(top_v, tile_v, harness_v), ports=Ports(),
        include=("mt.*",),
        preload=(Preload("player_ops", tuple(prog.words(cfg.host_addr_width))),),
        expected=prog.expected, words=words,
        word_default=WordSpec(data=0xFFFF_FFFF), elem_bits=8, elem_signed=True,
        params={"config": cfg.name, "tile": tile.name, "noc_protection": cfg.noc.protection,
                "noc_tmr": cfg.noc.tmr, "gemm": [m, k, n], "seed": seed,
                "tiles": cfg.tiles})

