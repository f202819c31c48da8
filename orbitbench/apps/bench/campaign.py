"""``make bench-campaign``: fault-campaign speed against the simulator's own speed limit.

On the default tile (8x8, no hardening) with its campaign workload (a 32x64x32 GEMM through
the bus, then reading the result back), prints:

* injections/s of a real campaign (SQLite and all) with one worker process;
* simulated cycles per injection (faulty continuations only; the parent's pass through the
  workload is shared by a chunk of injections) and the workload length T;
* raw Verilator cycles/s of the same design: the same C++ loop with nothing public but the
  workload ROM, no injection, no fork (``engine bench``);
* the fraction of the raw bound achieved, bound = raw cycles/s / T (what a campaign that
  re-runs the workload per injection could at best do), and also against the cycles the
  engine actually simulated;
* what each lever gave: public state (all flip-flops and memories visible) vs raw;
  snapshots (byte copy, or fork) vs re-running each injection from reset; early stop;
* 1 vs 2 worker processes (throughput ratio; needs 2 cores).

Figures are wall-clock on this machine; run it on an otherwise idle machine. Writes
``bench/out/campaign.json`` and ``bench/out/campaign.html`` (the tables and the raw figures).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from fault_campaigns.campaign import CampaignSpec, Progress, run_campaign
from fault_campaigns.engine import Engine, build_engine
from fault_campaigns.plan import make_plan
from fault_campaigns.prepare import engine_config, prepare
from fault_campaigns.targets import enumerate_state
from fault_campaigns.tile_workload import tile_workload
from orbitbench.apps.report import Table, write_json, write_tables
from orbitbench.apps.ui import console
from orbitbench.sim import SIM_BUILD
from orbitbench.spec.params import get_config
from orbitbench.spec.paths import BENCH_OUT

GEMM = (32, 64, 32)


def _engine_bench(build, config: str, seconds: float) -> float:
    with Engine(build, config) as e:
        e.golden()
        e._send(f"bench {seconds}\n")
        _, cycles, repeats, elapsed = e._line().split()
    return int(cycles) / float(elapsed)


def _campaign_rate(work, count: int, workers: int) -> tuple[float, float]:
    """(injections/s, simulated cycles per injection) of a fresh campaign."""
    last: list[Progress] = []
    with tempfile.TemporaryDirectory(prefix="obt_bench_") as tmp:
        spec = CampaignSpec(work, count=count, seed=7)
        run_campaign(spec, Path(tmp) / "bench.db", workers=workers, progress=last.append)
    state = last[-1]
    elapsed = time.time() - state.started
    return (state.done - state.resumed) / elapsed, state.sim_cycles / max(state.done, 1)


def _engine_rate(prep, plan, ids, *, early_stop: bool = True, from_reset: bool = False,
                 snapshot: str = "copy") -> float:
    with Engine(prep.build, prep.config) as e:
        e.golden()
        t0 = time.perf_counter()
        if from_reset:
            for i in ids:
                list(e.run([(i, int(plan.cycle[i]), plan.flips(i))], replay=True))
        else:
            list(e.run(((i, int(plan.cycle[i]), plan.flips(i)) for i in ids),
                       early_stop=early_stop, snapshot=snapshot))
        return len(ids) / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.campaign",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="default")
    parser.add_argument("--count", type=int, default=3000, help="injections per measurement")
    parser.add_argument("--seconds", type=float, default=3.0, help="raw speed measurement")
    parser.add_argument("--json", type=Path, default=BENCH_OUT / "campaign.json")
    args = parser.parse_args(argv)
    cfg = get_config(args.config)
    work = tile_workload(cfg, GEMM if cfg.max_k >= 64 else (16, 32, 16))
    prep = prepare(work)
    state = enumerate_state(work.sources, work.top, SIM_BUILD / "targets")
    raw_cfg, raw_public = engine_config(work, state, prep.targets, raw=True)
    raw_build = build_engine(work.top, work.sources, raw_public, work.ports, raw=True)

    raw = _engine_bench(raw_build, raw_cfg, args.seconds)
    public = _engine_bench(prep.build, prep.config, args.seconds)
    rate1, sim_cycles = _campaign_rate(work, args.count, 1)
    plan = make_plan(prep.targets, prep.cycles, args.count, 7)
    ids = list(range(min(args.count, 1000)))
    copy_early = _engine_rate(prep, plan, ids)
    copy_full = _engine_rate(prep, plan, ids, early_stop=False)
    fork_early = _engine_rate(prep, plan, ids, snapshot="fork")
    reset = _engine_rate(prep, plan, ids[:100], from_reset=True)
    cores = len(os.sched_getaffinity(0))
    rate2 = _campaign_rate(work, args.count, 2)[0] if cores >= 2 else None

    bound = raw / prep.cycles
    out = {
        "design": work.top, "workload": work.name, "workload_cycles": prep.cycles,
        "target_bits": prep.targets.bits, "injections": args.count,
        "injections_per_s": rate1, "sim_cycles_per_injection": sim_cycles,
        "raw_cycles_per_s": raw, "public_state_cycles_per_s": public,
        "bound_injections_per_s": bound, "fraction_of_bound": rate1 / bound,
        "fraction_of_simulated_cycles_bound": rate1 * sim_cycles / raw,
        "levers_injections_per_s": {"from_reset": reset, "copy_snapshot": copy_full,
                                    "copy_snapshot_early_stop": copy_early,
                                    "fork_snapshot_early_stop": fork_early},
        "workers_2_injections_per_s": rate2,
        "scaling_1_to_2": rate2 / rate1 if rate2 else None, "cores": cores,
        "load_avg_1min": os.getloadavg()[0],
    }
    speed = Table(f"make bench-campaign: design {work.top}, workload {work.name}: T = "
                  f"{prep.cycles} cycles, {prep.targets.bits} target bits",
                  ["figure", "value", "detail"], left=("figure", "detail"))
    speed.add_row("injections/s (1 worker, real campaign)", f"{rate1:.1f}", "")
    speed.add_row("simulated cycles per injection", f"{sim_cycles:.1f}", f"T = {prep.cycles}")
    speed.add_row("raw Verilator cycles/s, same design", f"{raw:.0f}", "")
    speed.add_row("bound = raw / T", f"{bound:.1f}", "injections/s")
    speed.add_row("fraction of the bound", f"{rate1 / bound:.1%}", "")
    speed.add_row("fraction of raw speed, simulated cycles", f"{rate1 * sim_cycles / raw:.1%}",
                  "")
    if rate2:
        speed.add_row("2 workers", f"{rate2:.1f}", f"injections/s = {rate2 / rate1:.2f}x "
                      "of 1 worker")
    levers = Table("levers (engine only, no database)", ["lever", "value", "detail"],
                   left=("lever", "detail"))
    levers.add_row("state public vs raw", f"{public:.0f} cycles/s",
                   f"{raw / public:.2f}x slower")
    levers.add_row("re-run from reset per injection", f"{reset:.1f} injections/s", "")
    levers.add_row("copy snapshot at the injection cycle", f"{copy_full:.1f} injections/s",
                   f"{copy_full / reset:.2f}x")
    levers.add_row("+ early stop at golden state", f"{copy_early:.1f} injections/s",
                   f"{copy_early / copy_full:.2f}x  <- campaigns")
    levers.add_row("fork snapshot instead of copy (+early)", f"{fork_early:.1f} injections/s",
                   f"{fork_early / copy_early:.2f}x")
    console.print(speed.rich())
    console.print(levers.rich())
    write_json(args.json, out)
    page = write_tables(args.json.with_suffix(".html"), "orbitbench make bench-campaign",
                        [speed, levers], out, notes=[__doc__.split("\n\n")[0]])
    console.print(f"wrote {args.json}, {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
