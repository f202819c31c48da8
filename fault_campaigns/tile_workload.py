"""The tile's campaign workload: one GEMM through the bus, checked against the golden model.

The program is :func:`orbitbench.driver.program.make_workload`'s (the raw benchmark's seeded
GEMM, built by :func:`~orbitbench.driver.program.gemm_program`): load A, Bᵀ, bias, MULT,
SHIFT; program the command; IRQ_ENABLE; START; wait for ``irq``; read STATUS, CYCLES,
STATUS; clear DONE; read the result rows; read the protection counters TMR_ERRORS,
ECC_CORRECTED and ECC_UNCORRECTABLE; END. The ops play from the ``player_ops`` memory of
the bus player (:class:`hdl_gen.harness.player.BusPlayer`, mode ``autorun``).

Correct outcome: every result word equals :func:`golden_models.tile.run_tile`'s (elements are
int8, so an SDC's largest error is in output LSBs) and the STATUS reads say DONE.
Protection events: STATUS.TMR_MISMATCH, STATUS.ABFT_CORRECTED, TMR_ERRORS, ECC_CORRECTED and
ABFT_CORRECTED report corrections; STATUS.ECC_UE, STATUS.ERROR, STATUS.ABFT_ERROR,
ECC_UNCORRECTABLE and ABFT_DETECTED report detected-uncorrectable errors.
CYCLES is not compared (a fault may legitimately change the timing).
"""

from __future__ import annotations

from pathlib import Path

from hdl_gen.harness.player import Mode, emit_player, tile_target
from orbitbench.driver.program import make_workload
from orbitbench.sim import RTL_DIR, SIM_BUILD, write_if_changed
from orbitbench.spec.params import TileConfig
from orbitbench.spec.regmap import Reg, Status

from .engine import Ports
from .workload import Preload, WordSpec, Workload

__all__ = ["tile_workload", "harness_depth", "DEFAULT_GEMM", "COUNTER_KINDS", "STATUS_WORD"]

#: The nightly workload's GEMM on the small tile (every hardening profile exists there):
#: half the tile's capacity in M and N, full K.
DEFAULT_GEMM = (16, 32, 16)

#: What a non-zero protection counter reports.
COUNTER_KINDS = {Reg.TMR_ERRORS.name: "corrected", Reg.ECC_CORRECTED.name: "corrected",
                 Reg.ECC_UNCORRECTABLE.name: "detected", Reg.ABFT_CORRECTED.name: "corrected",
                 Reg.ABFT_DETECTED.name: "detected"}
#: STATUS read: no data bits; the sticky flags report protection events.
STATUS_WORD = WordSpec(data=0, corrected=int(Status.TMR_MISMATCH | Status.ABFT_CORRECTED),
                       detected=int(Status.ECC_UE | Status.ERROR | Status.ABFT_ERROR))


def harness_depth(cfg: TileConfig) -> int:
    """Ops memory depth: room for a GEMM at the tile's full capacity, rounded up to 2**n."""
    need = cfg.a_words + cfg.b_words + 3 * cfg.max_n + cfg.c_words + 64
    return 1 << (need - 1).bit_length()


def tile_workload(cfg: TileConfig, gemm: tuple[int, int, int] = DEFAULT_GEMM, seed: int = 1,
                  *, rtl_dir: Path = RTL_DIR, build_root: Path = SIM_BUILD,
                  corrupt: str | None = None, activity: bool = False) -> Workload:
    """The campaign workload of one ``gemm`` (M, K, N) on ``cfg`` with operands from ``seed``.

    ``corrupt="operand"`` writes one wrong A word while expecting the true result: the
    golden-run check must then refuse the campaign (a negative control). ``activity``
    ends the program with reads of the activity counters ACT_FEED and ACT_SRAM (not
    compared: upsets may change them; ``params["activity_reads"]`` gives their indices
    among the output words, so the golden run reports the RTL's counts).
    """
    m, k, n = gemm
    prog = make_workload(cfg, (m, k, n), seed, corrupt, counters=True, timing=False,
                         activity=activity)
    words = {i: STATUS_WORD for i in prog.status_reads}
    words[prog.cycles_read] = WordSpec(data=0)
    for name, i in prog.counter_reads.items():
        words[i] = WordSpec(data=0, **{COUNTER_KINDS[name]: 0xFFFF_FFFF})
    for i in prog.activity_reads.values():
        words[i] = WordSpec(data=0)
    depth = harness_depth(cfg)
    if len(prog.ops) > depth:
        raise ValueError(f"gemm {m}x{k}x{n} needs {len(prog.ops)} bus ops; the harness "
                         f"holds {depth}")

    tile_v = Path(rtl_dir) / f"{cfg.top_name}.v"
    if not tile_v.exists():
        raise FileNotFoundError(f"{tile_v} does not exist; run 'make rtl'")
    top, text = emit_player(tile_target(cfg), mode=Mode.AUTORUN, depth=depth)
    harness_v = write_if_changed(Path(build_root) / "campaign_harness" / f"{top}.v", text)
    return Workload(
        name=f"gemm{m}x{k}x{n}-seed{seed}" + (f"-corrupt-{corrupt}" if corrupt else ""),
        top=top, sources=(tile_v, harness_v), ports=Ports(),
        include=("tile.*",), preload=(Preload("player_ops", tuple(prog.words())),),
        expected=prog.expected, words=words,
        word_default=WordSpec(data=0xFFFF_FFFF), elem_bits=8, elem_signed=True,
        params={"config": cfg.name, "hardening": cfg.hardening, "gemm": [m, k, n],
                "seed": seed, "gemm_cycles": prog.gemm_cycles,
                # selective TMR: the groups are part of the workload's identity
                **({"tmr_groups": list(cfg.tmr_groups)} if cfg.tmr_groups else {}),
                **({"activity_reads": dict(prog.activity_reads)} if activity else {})})
