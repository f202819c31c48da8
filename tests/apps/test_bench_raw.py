"""The raw Verilator speed benchmark (bench.raw): it builds, runs the real GEMM workload and
checks the read-back result bit-exactly against the golden model. Never asserts on speed."""

from __future__ import annotations

import pytest

from orbitbench.apps.bench.raw import measure_raw
from orbitbench.driver.program import make_workload
from orbitbench.spec.params import CONFIGS

SMALL = CONFIGS["small"]


@pytest.fixture(scope="module")
def clean_run() -> dict:
    # Builds (or reuses) sim_build/raw_obt_tile_small with the default options, as the
    # benchmark does: a failing build fails here.
    return measure_raw(SMALL, seconds=0.2, gemm=(32, 32, 32))


def test_raw_harness_is_bit_exact(clean_run):
    assert clean_run["bit_exact"] is True
    assert clean_run["status_ok"] is True
    assert clean_run["result_mismatches"] == 0
    assert clean_run["repeat_mismatches"] == 0
    assert clean_run["result_words"] == 32 * 32 // 4


def test_raw_harness_counts_every_cycle(clean_run):
    r = clean_run
    assert r["cycles"] > 0
    assert r["repeats"] >= 1
    assert r["gemm_cycles"] == r["gemm_cycles_expected"]  # the formula in hdl_gen.tile
    # Each repeat loads 2 x 256 operand words and reads 256 result words over a bus that
    # takes two cycles per transfer, on top of the GEMM itself.
    floor = r["gemm_cycles"] + 2 * (2 * 256 + 256)
    assert r["cycles_per_repeat"] > floor
    assert r["cycles"] >= r["repeats"] * floor
    assert r["seconds"] > 0 and r["cycles_per_s"] > 0


@pytest.mark.parametrize("corrupt", ["operand", "result"])
def test_negative_control_is_caught(clean_run, corrupt):
    # "operand": the DUT is given one wrong A word; "result": one read-back word is flipped
    # on its way out of the harness. Either way the check must fail.
    r = measure_raw(SMALL, seconds=0.05, gemm=(32, 32, 32), corrupt=corrupt, max_repeats=2)
    assert r["bit_exact"] is False
    assert r["result_mismatches"] >= 1
    if corrupt == "result":
        assert r["result_mismatches"] == 1
    assert r["status_ok"] is True  # the tile did run; only the data is wrong


def test_gemm_size_is_a_parameter(clean_run):
    r = measure_raw(SMALL, seconds=0.05, gemm=(5, 7, 9), max_repeats=1)
    assert r["bit_exact"] is True
    assert r["gemm"] == [5, 7, 9]
    assert r["repeats"] == 1
    assert r["result_words"] == 5 * 3  # rows < M, words covering n < N


def test_workload_rejects_gemm_above_capacity():
    with pytest.raises(ValueError, match="does not fit"):
        make_workload(SMALL, (SMALL.max_m + 1, 4, 4))
    with pytest.raises(ValueError, match="corrupt"):
        make_workload(SMALL, corrupt="bogus")
