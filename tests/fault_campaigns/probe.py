"""The analytic probe design (examples/avf_probe) as a workload, and its exact outcome counts."""

from __future__ import annotations

from pathlib import Path

from fault_campaigns.workload import Event, Workload

REPO = Path(__file__).resolve().parents[2]
PROBE_V = REPO / "examples" / "avf_probe" / "avf_probe.v"
T, L = 60, 40
BITS = 107  # every state bit except the timer cnt (see avf_probe.v)


def probe_workload(t: int = T, read_at: int = L, **overrides) -> Workload:
    kwargs = dict(name=f"probe-T{t}-L{read_at}", top="avf_probe", sources=(PROBE_V,),
                  exclude=("cnt",), events=(Event("fixes", "corrected"),
                                            Event("err", "detected")),
                  elem_bits=8, extra_args=(f"-GT={t}", f"-GL={read_at}"))
    kwargs.update(overrides)
    return Workload(**kwargs)


def expected_counts(t: int = T, read_at: int = L) -> dict[str, int]:
    """Outcomes of injecting every target bit at every cycle (derived in avf_probe.v terms).

    data (16 b) and mem[0] (8 b) are live in cycles 1..L-1 (loaded by the edge ending cycle
    0, sampled after edge L): SDC. fin (1 b) set in cycles 0..L-1 ends the run before an
    output: SDC. tmr_q (24 b) in cycles 0..L is seen by the check in cycle L: corrected.
    fixes (8 b) is an event counter: any upset is a (spurious) correction report. par_q and
    par_p (9 b) in cycles 0..L fail the parity check: DUE; err (1 b) is the sticky flag:
    DUE at any cycle. Everything else is masked.
    """
    sdc = 24 * (read_at - 1) + read_at
    corrected = 24 * (read_at + 1) + 8 * t
    due = 9 * (read_at + 1) + t
    return {"sdc": sdc, "corrected": corrected, "due": due,
            "masked": BITS * t - sdc - corrected - due}  # and no hang
