"""Running thermal scenarios: the reference-controller loop, the RTL co-simulation, the CLI.

``orbitbench thermal`` (and ``make thermal`` = ``--all``) runs each scenario's closed loop,
checks it (:mod:`orbitbench.thermal_checks`), prints a table, writes
``<out>/<scenario>.json`` and the HTML report ``<out>/report.html``. Exit status 0 when every
check of every scenario passed, 1 when one failed, 2 on bad input or a simulation that did
not complete.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from .params import get_config
from .thermal import SCENARIOS, ActivityModel, ClosedLoop, Scenario, ThermalError
from .thermal_checks import Limits, check_run, throughput

__all__ = ["reference_controller", "ref_sample", "warm_start", "run_model", "run_rtl",
           "run_scenario", "add_thermal_command", "DEFAULT_OUT"]

DEFAULT_OUT = Path("reports/thermal")


def reference_controller():
    """A :class:`golden_models.throttle.ThrottleController` with its register defaults."""
    from golden_models.throttle import ThrottleController

    return ThrottleController()


def ref_sample(ctrl, code: int) -> tuple[int, bool]:
    """One decision of the reference controller: (level, this reading was implausible)."""
    level = ctrl.sample(int(code))
    stuck = ctrl.stuck_samples != 0 and ctrl.run >= ctrl.stuck_samples
    return int(level), bool(not ctrl.plausible(int(code)) or stuck)


def software_clear(ctrl, level: int) -> bool:
    """The software in the loop: in shutdown (``level`` 4, the tile's output), after a
    plausible sample below CRIT - HYST (the reference's ``cool``, THERM_STATUS.COOL), write
    THERM_CTRL.CLEAR. Returns whether it did; the reference controller is cleared too."""
    if level == 4 and ctrl.cool:
        ctrl.clear()
        return True
    return False


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


def _build(cfg):
    """The verilated harness + tile of ``rtl/`` (the build every tile test shares). If
    ``rtl/`` predates the throttle controller (no ``therm_code`` port: ``make rtl`` not run
    yet), the tile is emitted from ``hdl_gen`` into ``sim_build/thermal/rtl/`` and built under
    ``sim_build/thermal/`` instead, so it never evicts the shared build of the stale file."""
    from testbenches import sim

    path = sim.RTL_DIR / f"{cfg.top_name}.v"
    if path.exists() and "therm_code" in path.read_text():
        return sim.build(sim.tile_design(cfg))
    from hdl_gen.emit import emit_tile

    saved = sim.SIM_BUILD
    sim.SIM_BUILD = saved / "thermal"
    try:
        rtl_dir = sim.SIM_BUILD / "rtl"
        text = emit_tile(cfg)
        own = rtl_dir / f"{cfg.top_name}.v"
        if not own.exists() or own.read_text() != text:
            rtl_dir.mkdir(parents=True, exist_ok=True)
            own.write_text(text)
        return sim.build(sim.tile_design(cfg, rtl_dir))
    finally:
        sim.SIM_BUILD = saved


def run_rtl(scenario: Scenario, orbits: float, seed: int, *, corrupt: str = "none",
            log: Path | None = None) -> dict:
    """The closed loop with the tile's RTL under Verilator (``testbenches.thermal_cosim``).

    ``corrupt="result"`` flips one bit of one GEMM result in the DUT (negative control: the
    bit-exact check must fail)."""
    from testbenches import sim

    cfg = get_config(scenario.config)
    model = _build(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        request, reply = Path(tmp) / "request.json", Path(tmp) / "reply.json"
        request.write_text(json.dumps({
            "scenario": scenario.name, "orbits": orbits, "seed": seed, "corrupt": corrupt,
            "temps": warm_start(scenario, seed), "gemm_dims": _dims(scenario, cfg)}))
        log = log or model.build_dir / "runs" / f"thermal_{scenario.name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        result = sim.run(model, "testbenches.thermal_cosim", seed=seed, log_file=log,
                         extra_env={"ORBITBENCH_REQUEST": str(request),
                                    "ORBITBENCH_REPLY": str(reply)},
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


def _thermal(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .thermal_report import summary_table, write_html

    console = Console(width=None if Console().is_terminal else 150)
    if args.list:
        for s in SCENARIOS.values():
            console.print(f"[bold]{s.name}[/]: {s.description} ({s.orbit.name}, config "
                          f"{s.config})")
        return 0
    names = list(SCENARIOS) if args.all else (args.scenario or [])
    if not names:
        raise ThermalError("give --scenario NAME (repeatable), --all or --list")
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise ThermalError(f"unknown scenario {unknown[0]!r}; choose from "
                           f"{', '.join(SCENARIOS)}")
    if not 0 < args.orbits <= 20:
        raise ThermalError(f"--orbits must be from 0 (exclusive) to 20, not {args.orbits}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = {}
    for name in names:
        with console.status(f"thermal scenario {name} ({'model' if args.model_only else 'RTL'})"):
            run = run_scenario(SCENARIOS[name], args.orbits, args.seed, args.model_only)
        (out / f"{name}.json").write_text(json.dumps(run))
        runs[name] = run
        verdict = "[green]PASS[/]" if run["passed"] else "[bold red]FAIL[/]"
        console.print(f"{verdict} {name}: {run['wall_s']:.1f} s wall, "
                      f"{len(run['trace']['level'])} steps, throughput lost "
                      f"{run['throughput']['lost']:.1%}")
        for check, ok, detail in run["checks"]:
            if not ok:
                console.print(f"   [red]{check}[/]: {detail}")
    console.print(summary_table(runs))
    report = write_html(out / "report.html", runs)
    console.print(f"report: {report}")
    return 0 if all(r["passed"] for r in runs.values()) else 1


def add_thermal_command(sub) -> None:
    p = sub.add_parser("thermal", help="closed-loop orbital thermal scenarios (RTL throttle "
                       "controller under Verilator); HTML report")
    p.add_argument("--scenario", action="append", metavar="NAME",
                   help="scenario to run (repeatable; --list shows them)")
    p.add_argument("--all", action="store_true", help="run every scenario")
    p.add_argument("--list", action="store_true", help="list the scenarios")
    p.add_argument("--orbits", type=float, default=1.0, help="orbits to simulate (default 1)")
    p.add_argument("--out", default=str(DEFAULT_OUT),
                   help=f"output directory for JSON and report.html (default {DEFAULT_OUT})")
    p.add_argument("--model-only", action="store_true",
                   help="run the loop with the reference controller and an activity model "
                        "instead of the RTL")
    p.add_argument("--seed", type=int, default=1, help="seed of sensor noise and GEMM operands")
    p.set_defaults(func=_thermal)
