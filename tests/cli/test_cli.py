"""orbitbench CLI: passes on odd sizes, fails loudly when the model or the DUT is broken."""

import json
import re

import pytest

from orbitbench.cli import main
from orbitbench.spec.params import CONFIGS


def test_gemm_odd_sizes_pass(tmp_path):
    out = tmp_path / "out.json"
    assert main(["gemm", "--m", "5", "--k", "7", "--n", "3", "--config", "small",
                 "--seed", "3", "--json", str(out)]) == 0
    reply = json.loads(out.read_text())
    assert reply["passed"] and reply["cmd"]["m"] == 5 and reply["cycles"] > 0


@pytest.mark.parametrize("corrupt", ["model", "dut"])
def test_gemm_fails_when_broken(corrupt, capsys):
    assert main(["gemm", "--m", "6", "--k", "9", "--n", "5", "--config", "small",
                 "--corrupt", corrupt]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_gemm_rejects_out_of_range_dimension(capsys):
    assert main(["gemm", "--m", "5", "--k", "5", "--n", "33", "--config", "small"]) == 2
    assert "--n must be from 1 to 32 for config 'small', not 33" in capsys.readouterr().out


def test_configs_lists_every_configuration(capsys):
    assert main(["configs"]) == 0
    out = capsys.readouterr().out
    assert "rtl/obt_tile_<config>.v" in out and "…" not in out  # nothing cut off
    for name, cfg in CONFIGS.items():
        assert re.search(rf"│ {name} +│ {cfg.rows}x{cfg.cols} ", out), name
    # a selective-TMR tile says how many groups it triplicates, not just its profile "none"
    assert re.search(rf"│ small_sel10 +│ [^\n]*│ tmr {len(CONFIGS['small_sel10'].tmr_groups)} "
                     "groups", out)
