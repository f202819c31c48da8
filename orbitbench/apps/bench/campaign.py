"""``make bench-campaign``: fault-campaign speed against the simulator's own speed limit.

Every figure is per CPU second of the process doing the work (``/proc/<pid>/stat`` of the
engine process; this process plus its reaped children for whole campaigns), wall time kept
beside it, and every ratio comes from interleaved rounds (:mod:`.honest`): per workload the
arms run A B C A B C ... ``--rounds`` times and each round's ratios come from that round's
runs; printed as median (min-max). The workloads (``--workload``, repeatable): the small
tile, the default tile, an ECC profile (``small_ecc``) and a short third-party-style workload
(``examples/avf_probe`` with a 71-cycle job). The arms of each:

* ``raw``: the engine's ``bench`` loop on the raw build (nothing public but the workload
  ROM, no injection): the workload re-run from reset in a fresh model, again and again;
  simulated cycles per CPU second (model construction included: on a short workload it is a
  good part of the cost, as it is for any injector that re-runs from reset);
* ``engine``: ``--count`` injections of the campaign plan through one engine (byte-copy
  snapshots, early stop; what campaigns run), injections per CPU second;
* ``from_reset``: the same plan's first ``--reset-count`` injections, each re-run from
  reset by the same engine (public state), injections per CPU second;
* ``vpi``: the same injections through the VPI-style peer injector
  (:mod:`orbitbench.apps.bench.peers`: ``--vpi --public-flat-rw``, fresh model per
  injection, read-xor-write through VPI);
* ``cocotb``: the first ``--cocotb-count`` through the cocotb-style peer
  (``testbenches/peer_inject.py``: cocotb's ``--public-flat-rw`` build, re-run from reset in
  one simulator, read-xor-deposit from Python). The outcomes of every arm are checked equal
  to the engine's, injection by injection (``outcomes equal``; exit 1 if not).

Ratios: engine / bound, bound = raw / T (a campaign that re-runs the T-cycle workload per
injection at raw speed); engine / cocotb peer; engine / VPI peer; engine / from_reset; VPI
peer / bound and from_reset / bound and cocotb / bound (physically at most 1: a public-state
build re-running from reset cannot beat the raw build doing the same); the cycles the
engine's faulty continuations simulated per CPU second over raw (for context, not a limit:
raw pays a fresh model per repeat and the engine's parent pass is not counted). A round
above a physical limit is flagged as a broken measurement and makes the command exit 1. Then
whole campaigns (SQLite and all) of ``--campaign-seconds`` worth of injections at the
engine's rate, 1 and 2 worker threads interleaved: injections per CPU second (engines and
this process) and per wall second, the 2/1 wall throughput ratio (at most the number of
cores) and the 1-worker campaign against the bound. Writes ``bench/out/campaign.json`` and
``campaign.html``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fault_campaigns.campaign import CampaignSpec, run_campaign
from fault_campaigns.engine import Engine, build_engine
from fault_campaigns.plan import make_plan
from fault_campaigns.prepare import Prepared, engine_config, prepare
from fault_campaigns.targets import enumerate_state
from fault_campaigns.tile_workload import tile_workload
from fault_campaigns.workload import Event, Workload
from orbitbench.apps.bench import honest, peers
from orbitbench.apps.bench.honest import Spread, interleave, over_limit, ratios, spread
from orbitbench.apps.report import Mark, Table, write_json, write_tables
from orbitbench.apps.ui import console
from orbitbench.sim import SIM_BUILD
from orbitbench.spec.params import get_config
from orbitbench.spec.paths import BENCH_OUT, REPO

PROBE_V = REPO / "examples" / "avf_probe" / "avf_probe.v"
SHORT_T = 71  # cycles of the short workload (a SHA-256-round-sized job)


def _probe(t: int = SHORT_T) -> Workload:
    return Workload(name=f"avf_probe-T{t}", top="avf_probe", sources=(PROBE_V,),
                    exclude=("cnt",), events=(Event("fixes", "corrected"),
                                              Event("err", "detected")),
                    elem_bits=8, extra_args=(f"-GT={t}", f"-GL={t * 2 // 3}"))


#: name -> workload factory; the default set of ``--workload``.
WORKLOADS: dict[str, Callable[[], Workload]] = {
    "small": lambda: tile_workload(get_config("small"), (16, 32, 16)),
    "default": lambda: tile_workload(get_config("default"), (32, 64, 32)),
    "small_ecc": lambda: tile_workload(get_config("small_ecc"), (16, 32, 16)),
    "short": _probe,
}


@dataclass
class Bench:
    """One workload, prepared: its engine and raw builds and its plan."""

    name: str
    prep: Prepared
    raw_build: object
    raw_config: str
    plan: object
    vpi_peer: Path
    cocotb_peer: object


def _setup(name: str, count: int) -> Bench:
    work = WORKLOADS[name]()
    prep = prepare(work)
    state = enumerate_state(work.sources, work.top, SIM_BUILD / "targets", work.extra_args)
    raw_cfg, raw_public = engine_config(work, state, prep.targets, raw=True)
    raw_build = build_engine(work.top, work.sources, raw_public, work.ports, raw=True,
                             extra_args=work.extra_args)
    return Bench(name, prep, raw_build, raw_cfg, make_plan(prep.targets, prep.cycles, count, 7),
                 peers.build_vpi_peer(work), peers.build_cocotb_peer(work))


def _timed(e: Engine, work: Callable[[], int]) -> tuple[int, float, float]:
    """(result of work, CPU seconds of the engine process, wall seconds) of ``work()``."""
    cpu0, t0 = honest.proc_cpu(e.proc.pid), time.perf_counter()
    n = work()
    return n, honest.proc_cpu(e.proc.pid) - cpu0, time.perf_counter() - t0


def arm_raw(b: Bench, seconds: float) -> dict:
    with Engine(b.raw_build, b.raw_config) as e:
        e.golden()

        def work() -> int:
            e._send(f"bench {seconds}\n")
            return int(e._line().split()[1])

        cycles, cpu, wall = _timed(e, work)
    return {"cycles": cycles, "cpu_s": cpu, "wall_s": wall,
            "cycles_per_cpu_s": cycles / cpu, "cycles_per_wall_s": cycles / wall}


def arm_engine(b: Bench, ids: list[int], seconds: float, *, from_reset: bool = False) -> dict:
    """Injections ``ids`` through one engine, repeated until ``seconds`` of wall time are
    spent (at least once; the CPU clock of /proc ticks in 10 ms)."""
    plan, sim, n = b.plan, [0], [0]
    outcomes: dict[int, str] = {}
    with Engine(b.prep.build, b.prep.config) as e:
        e.golden()

        def batch() -> None:
            results = (r for i in ids for r in e.run(
                [(i, int(plan.cycle[i]), plan.flips(i))], replay=True)) if from_reset else (
                e.run((i, int(plan.cycle[i]), plan.flips(i)) for i in ids))
            for r in results:
                sim[0] += r.sim_cycles
                outcomes.setdefault(r.id, r.outcome)
            n[0] += len(ids)

        def work() -> int:
            t0 = time.perf_counter()
            batch()
            while time.perf_counter() - t0 < seconds:
                batch()
            return n[0]

        count, cpu, wall = _timed(e, work)
    return {"injections": count, "cpu_s": cpu, "wall_s": wall, "sim_cycles": sim[0],
            "inj_per_cpu_s": count / cpu, "inj_per_wall_s": count / wall,
            "sim_cycles_per_cpu_s": sim[0] / cpu, "outcomes": outcomes}


def arm_vpi(b: Bench, ids: list[int], seconds: float) -> dict:
    r = peers.run_vpi_peer(b.vpi_peer, b.prep, b.plan, ids, seconds)
    return {"injections": r.injections, "cpu_s": r.cpu_s, "wall_s": r.wall_s,
            "inj_per_cpu_s": r.injections / r.cpu_s, "inj_per_wall_s": r.injections / r.wall_s,
            "outcomes": r.outcomes}


def arm_cocotb(b: Bench, ids: list[int], seconds: float) -> dict:
    r = peers.run_cocotb_peer(b.cocotb_peer, b.prep, b.plan, ids, seconds)
    return {"injections": r.injections, "cpu_s": r.cpu_s, "wall_s": r.wall_s,
            "inj_per_cpu_s": r.injections / r.cpu_s, "inj_per_wall_s": r.injections / r.wall_s,
            "outcomes": r.outcomes}


def arm_campaign(b: Bench, count: int, workers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="obt_bench_") as tmp:
        spec = CampaignSpec(b.prep.workload, count=count, seed=7)
        cpu0, t0 = honest.own_and_children_cpu(), time.perf_counter()
        run_campaign(spec, Path(tmp) / "bench.db", workers=workers)
        cpu, wall = honest.own_and_children_cpu() - cpu0, time.perf_counter() - t0
    return {"injections": count, "workers": workers, "cpu_s": cpu, "wall_s": wall,
            "inj_per_cpu_s": count / cpu, "inj_per_wall_s": count / wall}


def _limit_mark(s: Spread, limit: float, fmt: str) -> str | Mark:
    text = s.text(fmt, 100.0) if "%" in fmt else s.text(fmt)
    return Mark(f"{text}  IMPOSSIBLE (> {limit:g}): broken measurement") if over_limit(
        s, limit) else text


def measure(b: Bench, rounds: int, count: int, seconds: float, reset_count: int,
            cocotb_count: int) -> dict:
    """The interleaved engine arms of one workload and their per-round ratios."""
    ids = list(range(min(count, len(b.plan.cycle))))
    arms = {"raw": lambda: arm_raw(b, seconds),
            "engine": lambda: arm_engine(b, ids, seconds),
            "from_reset": lambda: arm_engine(b, ids[:reset_count], seconds, from_reset=True),
            "vpi": lambda: arm_vpi(b, ids[:reset_count], seconds),
            "cocotb": lambda: arm_cocotb(b, ids[:cocotb_count], seconds)}
    runs = interleave(arms, rounds, lambda r, a: console.log(f"{b.name}: round {r + 1}, {a}"))
    t = b.prep.cycles
    for run in runs["raw"]:
        run["bound_inj_per_cpu_s"] = run["cycles_per_cpu_s"] / t
    # Outcomes of the same injection must not depend on the method.
    agree = all(run["outcomes"][i] == runs["engine"][0]["outcomes"][i]
                for arm in ("from_reset", "vpi", "cocotb") for run in runs[arm]
                for i in run["outcomes"])
    out = {
        "workload": b.prep.workload.name, "design": b.prep.workload.top, "T": t,
        "target_bits": b.prep.targets.bits, "rounds": rounds,
        "raw_cycles_per_cpu_s": spread([r["cycles_per_cpu_s"] for r in runs["raw"]]),
        "raw_cycles_per_wall_s": spread([r["cycles_per_wall_s"] for r in runs["raw"]]),
        "bound_inj_per_cpu_s": spread([r["bound_inj_per_cpu_s"] for r in runs["raw"]]),
        "engine_inj_per_cpu_s": spread([r["inj_per_cpu_s"] for r in runs["engine"]]),
        "engine_inj_per_wall_s": spread([r["inj_per_wall_s"] for r in runs["engine"]]),
        "from_reset_inj_per_cpu_s": spread([r["inj_per_cpu_s"] for r in runs["from_reset"]]),
        "vpi_inj_per_cpu_s": spread([r["inj_per_cpu_s"] for r in runs["vpi"]]),
        "engine_over_vpi": ratios(runs, "engine", "vpi", "inj_per_cpu_s"),
        "cocotb_inj_per_cpu_s": spread([r["inj_per_cpu_s"] for r in runs["cocotb"]]),
        "engine_over_cocotb": ratios(runs, "engine", "cocotb", "inj_per_cpu_s"),
        "cocotb_over_bound": ratios(runs, "cocotb", "raw", "inj_per_cpu_s",
                                    "bound_inj_per_cpu_s"),
        "vpi_over_bound": ratios(runs, "vpi", "raw", "inj_per_cpu_s", "bound_inj_per_cpu_s"),
        "sim_cycles_per_injection": runs["engine"][0]["sim_cycles"]
        / runs["engine"][0]["injections"],
        "engine_over_bound": ratios(runs, "engine", "raw", "inj_per_cpu_s",
                                    "bound_inj_per_cpu_s"),
        "engine_over_from_reset": ratios(runs, "engine", "from_reset", "inj_per_cpu_s"),
        "from_reset_over_bound": ratios(runs, "from_reset", "raw", "inj_per_cpu_s",
                                        "bound_inj_per_cpu_s"),
        "simulated_over_raw": ratios(runs, "engine", "raw", "sim_cycles_per_cpu_s",
                                     "cycles_per_cpu_s"),
        "outcomes_agree": agree,
        "injections": len(ids), "from_reset_injections": min(reset_count, len(ids)),
    }
    return out


def measure_workers(b: Bench, rounds: int, count: int) -> dict:
    runs = interleave({"w1": lambda: arm_campaign(b, count, 1),
                       "w2": lambda: arm_campaign(b, count, 2)}, rounds,
                      lambda r, a: console.log(f"{b.name} campaign: round {r + 1}, {a}"))
    return {
        "workload": b.prep.workload.name, "injections": count, "rounds": rounds,
        "w1_inj_per_cpu_s": spread([r["inj_per_cpu_s"] for r in runs["w1"]]),
        "w2_inj_per_cpu_s": spread([r["inj_per_cpu_s"] for r in runs["w2"]]),
        "w1_inj_per_wall_s": spread([r["inj_per_wall_s"] for r in runs["w1"]]),
        "w2_inj_per_wall_s": spread([r["inj_per_wall_s"] for r in runs["w2"]]),
        "scaling_1_to_2": ratios(runs, "w2", "w1", "inj_per_wall_s"),
        "cpu_per_injection_2_over_1": ratios(runs, "w1", "w2", "inj_per_cpu_s"),
    }


def _jsonable(x):
    if isinstance(x, Spread):
        return x.json()
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    return x


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orbitbench.apps.bench.campaign",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS),
                        help="repeatable; default: all four")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (>= 1)")
    parser.add_argument("--count", type=int, default=600,
                        help="plan injections the engine arm runs (repeated for --seconds)")
    parser.add_argument("--reset-count", type=int, default=60,
                        help="of those, how many the from-reset and VPI peer arms re-run")
    parser.add_argument("--cocotb-count", type=int, default=10,
                        help="of those, how many the cocotb peer arm re-runs")
    parser.add_argument("--seconds", type=float, default=1.5,
                        help="wall time of each arm per round (at least one pass)")
    parser.add_argument("--campaign-seconds", type=float, default=4.0,
                        help="size each whole campaign (1 vs 2 workers) to about this many "
                             "CPU seconds at the engine's rate; 0: skip")
    parser.add_argument("--json", type=Path, default=BENCH_OUT / "campaign.json")
    args = parser.parse_args(argv)
    if min(args.rounds, args.count, args.reset_count, args.cocotb_count) < 1 or (
            args.seconds <= 0):
        parser.error("--rounds, --count, --reset-count, --cocotb-count must be >= 1 and "
                     "--seconds > 0")
    names = args.workload or list(WORKLOADS)
    cores = len(os.sched_getaffinity(0))
    results, benches = {}, {}
    for name in names:
        with console.status(f"{name}: preparing (builds are cached)"):
            benches[name] = _setup(name, args.count)
        results[name] = measure(benches[name], args.rounds, args.count, args.seconds,
                                args.reset_count, args.cocotb_count)
    workers = {}
    if args.campaign_seconds > 0:
        for name in ("small", "short"):
            if name in benches:
                rate = results[name]["engine_inj_per_cpu_s"].median
                count = max(200, min(200_000, int(rate * args.campaign_seconds)))
                workers[name] = measure_workers(benches[name], args.rounds, count)
                bound = results[name]["bound_inj_per_cpu_s"]
                workers[name]["w1_over_bound"] = spread(
                    [w / b for w, b in zip(workers[name]["w1_inj_per_cpu_s"].values,
                                           bound.values, strict=False)])

    speed = Table(f"make bench-campaign: {args.rounds} interleaved rounds; median (min-max); "
                  f"per CPU second; {cores} cores, load {os.getloadavg()[0]:.1f}",
                  ["workload", "T", "raw k cycles/CPU s", "bound inj/CPU s",
                   "engine inj/CPU s", "from reset inj/CPU s", "VPI peer inj/CPU s",
                   "cocotb peer inj/CPU s", "outcomes equal"],
                  left=("workload",))
    ratio = Table("ratios from the same rounds (median (min-max))",
                  ["workload", "engine / bound", "engine / cocotb peer", "engine / VPI peer",
                   "engine / from reset",
                   "from reset / bound (<= 1)", "VPI peer / bound (<= 1)",
                   "continuation cycles / raw"],
                  left=("workload",))
    for name in names:
        r = results[name]
        speed.add_row(name, str(r["T"]), r["raw_cycles_per_cpu_s"].text("{:.0f}", 1e-3),
                      r["bound_inj_per_cpu_s"].text("{:.1f}"),
                      r["engine_inj_per_cpu_s"].text("{:.1f}"),
                      r["from_reset_inj_per_cpu_s"].text("{:.1f}"),
                      r["vpi_inj_per_cpu_s"].text("{:.1f}"),
                      r["cocotb_inj_per_cpu_s"].text("{:.2f}"),
                      "yes" if r["outcomes_agree"] else Mark("NO"))
        ratio.add_row(name, r["engine_over_bound"].text("{:.2f}x"),
                      r["engine_over_cocotb"].text("{:.0f}x"),
                      r["engine_over_vpi"].text("{:.1f}x"),
                      r["engine_over_from_reset"].text("{:.2f}x"),
                      _limit_mark(r["from_reset_over_bound"], 1.0, "{:.0f}%"),
                      _limit_mark(r["vpi_over_bound"], 1.0, "{:.0f}%"),
                      r["simulated_over_raw"].text("{:.0f}%", 100.0))
    tables = [speed, ratio]
    if workers:
        scale = Table("whole campaigns (SQLite and all), 1 vs 2 workers interleaved",
                      ["workload", "injections", "1 worker inj/CPU s", "2 workers inj/CPU s",
                       "1 worker / bound", "2 / 1 wall throughput (<= cores)"],
                      left=("workload",))
        for name, w in workers.items():
            scale.add_row(name, str(w["injections"]), w["w1_inj_per_cpu_s"].text("{:.0f}"),
                          w["w2_inj_per_cpu_s"].text("{:.0f}"),
                          w["w1_over_bound"].text("{:.0f}%", 100.0),
                          _limit_mark(w["scaling_1_to_2"], float(cores), "{:.2f}x"))
        tables.append(scale)
    for t in tables:
        console.print(t.rich())
    out = {"cores": cores, "load_avg_1min": os.getloadavg()[0], "rounds": args.rounds,
           "workloads": _jsonable({n: {k: v for k, v in r.items()} for n, r in results.items()}),
           "campaigns": _jsonable(workers)}
    write_json(args.json, out)
    page = write_tables(args.json.with_suffix(".html"), "orbitbench make bench-campaign",
                        tables, out, notes=[__doc__.split("\n\n")[0]])
    console.print(f"wrote {args.json}, {page}")
    impossible = any(over_limit(r[k], 1.0) for r in results.values()
                     for k in ("from_reset_over_bound", "vpi_over_bound",
                               "cocotb_over_bound")) or any(
        over_limit(w["scaling_1_to_2"], cores) for w in workers.values())
    agree = all(r["outcomes_agree"] for r in results.values())
    return 0 if agree and not impossible else 1


if __name__ == "__main__":
    sys.exit(main())
