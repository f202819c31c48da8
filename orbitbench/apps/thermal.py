"""Running thermal scenarios: the reference-controller loop and the RTL co-simulation.

Each run is checked by :mod:`orbitbench.apps.thermal_checks`; ``orbitbench thermal``
(:mod:`orbitbench.cli.thermal`) prints and reports the runs.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from golden_models.thermal_loop import (
    ActivityModel,
    ClosedLoop,
    Scenario,
    ThermalError,
    ref_sample,
    reference_controller,
    software_clear,
)
from orbitbench import sim
from orbitbench.spec.knobs import REPLY, REQUEST
from orbitbench.spec.params import TileConfig, get_config

from .thermal_checks import Limits, check_run, throughput

__all__ = ["warm_start", "run_model", "run_rtl", "run_scenario", "DEFAULT_OUT"]

DEFAULT_OUT = Path("reports/thermal")


def _dims(scenario: Scenario, cfg) -> tuple[int, int, int]:
    return scenario.gemm_dims or (cfg.max_m, cfg.max_k, cfg.max_n)


def warm_start(scenario: Scenario, seed: int) -> list[float]:
    """Temperatures after ``warmup_orbits`` of the loop with the reference controller and the
    activity model (a whole number of orbits: the run starts at orbit noon again)."""
    cfg = get_config(scenario.config)
    healthy = replace(scenario, sensor="healthy", upset_at=None)
    loop = ClosedLoop(healthy, cfg, healthy.steps(scenario.warmup_orbits), seed ^ 0x5EED)
    _model_loop(loop, cfg, healthy)
    return [float(t) for t in loop.thermal.temps]


def _model_loop(loop: ClosedLoop, cfg, scenario: Scenario) -> ActivityModel:
    ctrl = reference_controller()
    activity = ActivityModel(cfg, _dims(scenario, cfg))
    while not loop.done:
        code = loop.code()
        level, fault = ref_sample(ctrl, code)
        feed, sram, gemms = activity.run(scenario.cycles_per_step, level)
        clear = software_clear(ctrl, level)
        loop.advance(code, level, level, fault, clear, feed, sram, gemms)
    return activity


def run_model(scenario: Scenario, orbits: float, seed: int) -> dict:
    """The closed loop with the reference controller and :class:`ActivityModel`."""
    cfg = get_config(scenario.config)
    loop = ClosedLoop(scenario, cfg, scenario.steps(orbits), seed, warm_start(scenario, seed))
    activity = _model_loop(loop, cfg, scenario)
    return {"mode": "model", "scenario": scenario.name, "config": cfg.name, "seed": seed,
            "orbits": orbits, "dt_s": scenario.dt_s, "cycles_per_step": scenario.cycles_per_step,
            "baseline_cycles": activity.baseline_cycles, "gemm_dims": _dims(scenario, cfg),
            "gemms_checked": 0, "gemm_mismatches": [], "trace": loop.trace}


def _build(cfg, rtl_dir: Path = sim.RTL_DIR):
    """The verilated harness + tile of ``rtl_dir`` (``rtl/``: the build every tile test
    shares)."""
    return sim.build(sim.tile_design(cfg, rtl_dir))


def run_rtl(scenario: Scenario, orbits: float, seed: int, *, corrupt: str = "none",
            log: Path | None = None, cfg: TileConfig | None = None,
            rtl_dir: Path = sim.RTL_DIR, temps: list[float] | None = None) -> dict:
    """The closed loop with the tile's RTL under Verilator (``testbenches.thermal_cosim``).

    ``corrupt="result"`` flips one bit of one GEMM result in the DUT (negative control: the
    bit-exact check must fail). ``cfg`` (default: the scenario's configuration) with its
    Verilog in ``rtl_dir``; ``temps``: the starting temperatures (default
    :func:`warm_start`)."""

    cfg = cfg or get_config(scenario.config)
    model = _build(cfg, rtl_dir)
    with tempfile.TemporaryDirectory() as tmp:
        request, reply = Path(tmp) / "request.json", Path(tmp) / "reply.json"
        request.write_text(json.dumps({
            "scenario": scenario.name, "orbits": orbits, "seed": seed, "corrupt": corrupt,
            "temps": temps if temps is not None else warm_start(scenario, seed),
            "gemm_dims": _dims(scenario, cfg)}))
        log = log or model.build_dir / "runs" / f"thermal_{scenario.name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        result = sim.run(model, "testbenches.thermal_cosim", seed=seed, log_file=log,
                         extra_env={**REQUEST.env(request), **REPLY.env(reply)},
                         results_name=f"thermal_{scenario.name}")
        if not reply.exists():
            raise ThermalError(f"scenario {scenario.name}: the co-simulation did not complete "
                               f"({result.failed} of {result.tests} tests failed); log: {log}")
        return json.loads(reply.read_text())


def run_scenario(scenario: Scenario, orbits: float, seed: int, model_only: bool) -> dict:
    """Run, check and summarise one scenario; the run dict gains ``checks``, ``passed``,
    ``throughput`` and ``wall_s``."""
    t0 = time.perf_counter()
    run = (run_model if model_only else run_rtl)(scenario, orbits, seed)
    run["wall_s"] = time.perf_counter() - t0
    lim = Limits.of(reference_controller())
    run["checks"] = [list(c) for c in check_run(scenario, run, lim)]
    run["passed"] = all(ok for _, ok, _ in run["checks"])
    run["throughput"] = throughput(run)
    run["description"] = scenario.description
    run["junction_limit_c"] = scenario.junction_limit_c
    return run
