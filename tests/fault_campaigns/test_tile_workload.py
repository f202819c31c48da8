"""The tile's campaign workload (fault_campaigns.tile_workload): the tile program played by
the bus player from reset. Its golden run matches the program's expected words and keeps
the cycle count campaigns are numbered by; a wrong operand or a wrong expected word makes
the golden-run check refuse the campaign (the negative controls of that check)."""

import dataclasses

import pytest

from fault_campaigns.prepare import GoldenMismatch, prepare
from fault_campaigns.tile_workload import DEFAULT_GEMM, tile_workload
from orbitbench.driver.program import make_workload
from orbitbench.spec.params import CONFIGS

SMALL = CONFIGS["small"]


@pytest.fixture(scope="module")
def nightly():
    work = tile_workload(SMALL, DEFAULT_GEMM)
    return work, prepare(work)


def test_golden_run_reads_what_the_program_expects(nightly):
    work, prep = nightly
    prog = make_workload(SMALL, DEFAULT_GEMM, 1, counters=True, timing=False)
    assert prep.golden[:len(work.expected)] and len(prep.golden) == prog.reads
    assert all(e is None or g == e for g, e in zip(prep.golden, work.expected, strict=True))
    # CYCLES is not compared in campaigns, but the fault-free run keeps the timing contract.
    assert prep.golden[prog.cycles_read] == prog.gemm_cycles
    # The workload's length numbers every injection's cycle: the nightly GEMM's, pinned.
    assert prep.cycles == 1437


def test_golden_run_refuses_a_wrong_operand():
    work = tile_workload(SMALL, DEFAULT_GEMM, corrupt="operand")
    with pytest.raises(GoldenMismatch, match=r"the fault-free run does not match the expected "
                                             r"output \(word \d+: got"):
        prepare(work)


def test_golden_run_refuses_a_wrong_expected_word(nightly):
    work, prep = nightly
    prog = make_workload(SMALL, DEFAULT_GEMM, 1, counters=True, timing=False)
    first = min(prog.result_reads)
    expected = list(work.expected)
    expected[first] ^= 1
    wrong = dataclasses.replace(work, expected=tuple(expected))
    with pytest.raises(GoldenMismatch) as exc:
        prepare(wrong)
    assert str(exc.value) == (
        f"workload {work.name!r}: the fault-free run does not match the expected output "
        f"(word {first}: got {prep.golden[first]:#x}, expected {expected[first]:#x}); fix "
        "the design or the workload before injecting faults")
