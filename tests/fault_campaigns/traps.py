"""The trap design (trap_probe.v) as a workload, and what each of its traps must give."""

from __future__ import annotations

from pathlib import Path

from fault_campaigns.worker import HANG_MESSAGE
from fault_campaigns.workload import Workload

TRAP_V = Path(__file__).resolve().with_name("trap_probe.v")
T, L = 60, 40
ARM_BITS = 7

#: arm bit -> (outcome, message) when TRAPS is defined (trap_probe.v's header)
TRAPS = {
    0: ("crash", "%Fatal: trap_probe.v:71: Assertion failed in top.trap_probe: "
                 "trap_probe: arm[0] set"),
    1: ("crash", "trap_probe.v:72: Verilog $stop"),
    2: ("crash", "%Error: trap_probe.v:73: Assertion failed in top.trap_probe: "
                 "trap_probe: arm[2] set"),
    3: ("crash", "%Error: trap_probe.v:74: Assertion failed in top.trap_probe: "
                 "'assert' failed."),
    4: ("crash", "trap_probe.v:22: DIDNOTCONVERGE: Active region did not converge after "
                 "'--converge-limit' of 10000 tries"),
    5: ("hang", HANG_MESSAGE),
    6: ("crash", "trap_probe.v:76: Verilog $finish before done"),
}


def trap_workload(traps: bool = True, *params: str, **overrides) -> Workload:
    """trap_probe with (``traps``) or without its trap statements; ``params`` are extra
    Verilator arguments (``-GGOLDEN_FINISH=30``)."""
    args = (("-DTRAPS",) if traps else ()) + tuple(params)
    kwargs = dict(name="traps" if traps else "no-traps", top="trap_probe", sources=(TRAP_V,),
                  elem_bits=8, extra_args=args)
    kwargs.update(overrides)
    return Workload(**kwargs)


def recipe_args(traps: bool = True) -> tuple[str, ...]:
    """The same workload as ``orbitbench campaign`` options."""
    return ("--top", "trap_probe", "--sources", str(TRAP_V), "--elem-bits", "8",
            *(("--verilator-arg=-DTRAPS",) if traps else ()))
