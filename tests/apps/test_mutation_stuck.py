"""``make mutation-stuck``: stuck-at grading, on the probe (outcomes known by hand)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fault_campaigns.workload import Event, Workload
from orbitbench.apps.mutation_stuck import grade, main
from orbitbench.spec.errors import ParameterError

PROBE_V = Path(__file__).resolve().parents[2] / "examples" / "avf_probe" / "avf_probe.v"


def probe_workload() -> Workload:
    """tests/fault_campaigns/probe.py's probe (T = 60, L = 40)."""
    return Workload(name="probe-T60-L40", top="avf_probe", sources=(PROBE_V,),
                    exclude=("cnt",), events=(Event("fixes", "corrected"),
                                              Event("err", "detected")),
                    elem_bits=8, extra_args=("-GT=60", "-GL=40"))


def test_grade_on_the_probe(tmp_path):
    """From cycle 0: a parity-protected bit stuck at the opposite of PARV fails the check
    (DUE), a data bit stuck at the opposite of DATA is SDC, a dead bit is never seen: one
    fault of each bit's two is detected for par_q and data, none for dead. tmr_q is an
    array (a memory target), not a flip-flop, so it is not graded."""
    r = grade([probe_workload()], tmp_path, include=("tmr_q", "par_q", "data", "dead"),
              workers=2)
    assert r["faults"] == 2 * (8 + 16 + 16)
    assert r["detected"] == 8 + 16
    assert {u["target"] for u in r["undetected"]} == {"par_q", "data", "dead"}
    assert sum(u["target"] == "dead" for u in r["undetected"]) == 32  # negative control
    assert r["fraction"] == pytest.approx(24 / 80)


def test_grade_needs_flip_flops(tmp_path):
    with pytest.raises(ParameterError, match="at least one workload"):
        grade([], tmp_path)


def test_main_rejects_a_bad_gemm(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--gemm", "16x32"])
    assert info.value.code == 2
    assert "--gemm must look like 16x32x16, not '16x32'" in capsys.readouterr().err
