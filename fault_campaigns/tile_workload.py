"""The tile's campaign workload: one GEMM through the bus, checked against the golden model.

The bus sequence is the raw benchmark's (:func:`bench.raw.make_workload`, itself the test
suite's frontdoor GEMM): load A, Bᵀ, bias, MULT, SHIFT; program the command; IRQ_ENABLE;
START; wait for ``irq``; read STATUS, CYCLES, STATUS; clear DONE; read the result rows. Then
it reads the protection counters TMR_ERRORS, ECC_CORRECTED and ECC_UNCORRECTABLE. The
ops play from :class:`~hdl_gen.harness.campaign.CampaignHarness`'s ROM.

Correct outcome: every result word equals :func:`golden_models.tile.run_tile`'s (elements are
int8, so an SDC's largest error is in output LSBs) and the STATUS reads say DONE.
Protection events: STATUS.TMR_MISMATCH, TMR_ERRORS and ECC_CORRECTED report corrections;
STATUS.ECC_UE, STATUS.ERROR and ECC_UNCORRECTABLE report detected-uncorrectable errors.
CYCLES is not compared (a fault may legitimately change the timing).
"""

from __future__ import annotations

import struct
from pathlib import Path

from hdl_gen.harness.campaign import Op, emit_campaign_harness, pack
from orbitbench.driver.program import make_workload
from orbitbench.sim import RTL_DIR, SIM_BUILD, write_if_changed
from orbitbench.spec.params import TileConfig
from orbitbench.spec.regmap import Reg, Status, reg_addr

from .engine import Ports
from .workload import Preload, WordSpec, Workload

__all__ = ["tile_workload", "harness_depth", "DEFAULT_GEMM"]

#: The nightly workload's GEMM on the small tile (every hardening profile exists there):
#: half the tile's capacity in M and N, full K.
DEFAULT_GEMM = (16, 32, 16)

_COUNTERS = ((Reg.TMR_ERRORS, "corrected"), (Reg.ECC_CORRECTED, "corrected"),
             (Reg.ECC_UNCORRECTABLE, "detected"))


def harness_depth(cfg: TileConfig) -> int:
    """Ops ROM depth: room for a GEMM at the tile's full capacity, rounded up to 2**n."""
    need = cfg.a_words + cfg.b_words + 3 * cfg.max_n + cfg.c_words + 64
    return 1 << (need - 1).bit_length()


def _ops_from_script(script: bytes) -> list[int]:
    words = struct.unpack(f"<{len(script) // 4}I", script)
    ops, p = [], 3
    for _ in range(words[2]):
        code = words[p]
        if code in (1, 2):  # WRITE / READ bursts
            adr, count = words[p + 1] >> 2, words[p + 2]
            if code == 1:
                ops += [pack(Op.WRITE, adr + i, words[p + 3 + i]) for i in range(count)]
                p += 3 + count
            else:
                ops += [pack(Op.READ, adr + i) for i in range(count)]
                p += 4
        elif code == 3:
            ops.append(pack(Op.WAIT_IRQ))
            p += 2
        else:  # pragma: no cover - bench.raw only writes the three op kinds
            raise ValueError(f"unknown bus script op {code}")
    return ops


def tile_workload(cfg: TileConfig, gemm: tuple[int, int, int] = DEFAULT_GEMM, seed: int = 1,
                  *, rtl_dir: Path = RTL_DIR, build_root: Path = SIM_BUILD,
                  corrupt: str | None = None) -> Workload:
    """The campaign workload of one ``gemm`` (M, K, N) on ``cfg`` with operands from ``seed``.

    ``corrupt="operand"`` writes one wrong A word while expecting the true result: the
    golden-run check must then refuse the campaign (a negative control).
    """
    m, k, n = gemm
    work = make_workload(cfg, (m, k, n), seed, corrupt)
    ops = _ops_from_script(work.script)
    expected: list[int | None] = [int(w) for w in work.expected_reads]
    expected[work.cycles_read] = None  # timing is not part of the result
    words = {i: WordSpec(data=0, corrected=int(Status.TMR_MISMATCH),
                         detected=int(Status.ECC_UE | Status.ERROR))
             for i in work.status_reads}
    words[work.cycles_read] = WordSpec(data=0)
    for reg, kind in _COUNTERS:
        ops.append(pack(Op.READ, reg_addr(reg) >> 2))
        words[len(expected)] = WordSpec(data=0, **{kind: 0xFFFF_FFFF})
        expected.append(0)
    ops.append(pack(Op.END))
    depth = harness_depth(cfg)
    if len(ops) > depth:
        raise ValueError(f"gemm {m}x{k}x{n} needs {len(ops)} bus ops; the harness holds {depth}")

    tile_v = Path(rtl_dir) / f"{cfg.top_name}.v"
    if not tile_v.exists():
        raise FileNotFoundError(f"{tile_v} does not exist; run 'make rtl'")
    top, text = emit_campaign_harness(cfg.top_name, depth)
    harness_v = write_if_changed(Path(build_root) / "campaign_harness" / f"{top}.v", text)
    return Workload(
        name=f"gemm{m}x{k}x{n}-seed{seed}" + (f"-corrupt-{corrupt}" if corrupt else ""),
        top=top, sources=(tile_v, harness_v), ports=Ports(),
        include=("tile.*",), preload=(Preload("ops", tuple(ops)),),
        expected=tuple(expected), words=words,
        word_default=WordSpec(data=0xFFFF_FFFF), elem_bits=8, elem_signed=True,
        params={"config": cfg.name, "hardening": cfg.hardening, "gemm": [m, k, n],
                "seed": seed, "gemm_cycles": int(work.expected_reads[work.cycles_read])})
