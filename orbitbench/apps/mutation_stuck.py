"""``make mutation-stuck``: grade the tile's workloads by stuck-at faults on every flip-flop.

For each flip-flop bit of the tile (the campaign targets that are not memories), a stuck-at-0
and a stuck-at-1 from cycle 0 to the end of the run (``fault_campaigns.plan`` model
``stuck``, exhaustive at cycle 0) is run against every workload. A fault is **detected** when
at least one workload's outcome is not ``masked`` (SDC, DUE, corrected, hang or crash: the
run differs from the golden one or a checker fired); the grade is the detected fraction, per
module and overall, with every undetected fault listed. The target (``--target``, default
0.95) is the issue's: at least 95 % detected. Exit status 1 below the target, 2 on a usage
error.

This is the stuck-at half of mutation testing (the hardware's faults against the tests); the
source-level mutation of ``hdl_gen``/``golden_models`` is a separate tool. Nets (SET /
stuck-at on combinational signals) are not graded: the campaigns have no net targets yet.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from fault_campaigns.campaign import CampaignSpec, default_workers, run_campaign
from fault_campaigns.db import CampaignDB
from fault_campaigns.prepare import prepare
from fault_campaigns.tile_workload import DEFAULT_GEMM, tile_workload
from fault_campaigns.workload import Workload
from orbitbench.apps.report import Mark, Table, write_json, write_tables
from orbitbench.apps.ui import console
from orbitbench.spec.errors import ParameterError
from orbitbench.spec.params import CONFIGS

__all__ = ["CI_GEMMS", "grade", "main"]

#: The workloads graded by default: the campaign GEMM and two edge shapes (a single
#: element; ragged M, K, N below the array size).
CI_GEMMS = (DEFAULT_GEMM, (1, 1, 1), (5, 7, 3))
OUT = Path("campaigns/mutation-stuck")


def _flip_flops(work: Workload, include: Sequence[str] | None) -> tuple[str, ...]:
    """The workload's flip-flop targets as exact names (globs without wildcards)."""
    prep = prepare(work, include)
    return tuple(v.path for v in prep.targets.vars if not v.memory)


def grade(workloads: Sequence[Workload], out_dir: Path, *, include: Sequence[str] | None = None,
          workers: int | None = None) -> dict:
    """Run every stuck-at fault on the flip-flops of ``workloads[0]``'s targets against each
    workload (one database each in ``out_dir``) and combine: a fault is detected if any
    workload's outcome is not masked.

    Returns
    -------
    dict
        ``{"workloads", "faults", "detected", "fraction", "modules": {module: {"faults",
        "detected", "fraction"}}, "undetected": [{"target", "module", "elem", "bit",
        "value"}]}``.

    Raises
    ------
    ParameterError
        No workloads, or the targets select no flip-flop.
    """
    if not workloads:
        raise ParameterError("grade needs at least one workload")
    ffs = _flip_flops(workloads[0], include)
    if not ffs:
        raise ParameterError("the targets hold no flip-flop to grade")
    seen: dict[tuple, bool] = {}
    module_of: dict[tuple, str] = {}
    for work in workloads:
        db = Path(out_dir) / f"{work.name}.db"
        run_campaign(CampaignSpec(work, model="stuck", sampling="exhaustive", at_cycles=(0,),
                                  include=ffs), db, workers=workers)
        with CampaignDB.open_existing(db) as d:
            for r in d.results():
                key = (r["target"], r["elem"], r["bit"], r["value"])
                seen[key] = seen.get(key, False) or r["outcome"] != "masked"
                module_of[key] = r["module"]
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key, hit in seen.items():
        per[module_of[key]][0] += 1
        per[module_of[key]][1] += hit
    detected = sum(seen.values())
    return {"workloads": [w.name for w in workloads], "faults": len(seen),
            "detected": detected, "fraction": detected / len(seen),
            "modules": {m: {"faults": f, "detected": d, "fraction": d / f}
                        for m, (f, d) in sorted(per.items())},
            "undetected": [{"target": t, "module": module_of[(t, e, b, v)], "elem": e,
                            "bit": b, "value": v}
                           for (t, e, b, v), hit in sorted(seen.items()) if not hit]}


def _gemm(text: str) -> tuple[int, int, int]:
    try:
        m, k, n = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--gemm must look like 16x32x16, not {text!r}") \
            from None
    return m, k, n


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m orbitbench.apps.mutation_stuck",
                                description=__doc__.splitlines()[0])
    p.add_argument("--config", choices=sorted(CONFIGS), default="small")
    p.add_argument("--gemm", type=_gemm, action="append", default=None, metavar="MxKxN",
                   help="a workload GEMM (repeatable; default "
                        + ", ".join("x".join(map(str, g)) for g in CI_GEMMS) + ")")
    p.add_argument("--include", action="append", default=None, metavar="GLOB",
                   help="grade only flip-flops matching GLOB (default: every tile flip-flop)")
    p.add_argument("--target", type=float, default=0.95,
                   help="detected fraction needed (default 0.95)")
    p.add_argument("--workers", type=int, default=default_workers())
    p.add_argument("--out", type=Path, default=OUT, help=f"output directory (default {OUT})")
    args = p.parse_args(argv)
    cfg = CONFIGS[args.config]
    try:
        works = [tile_workload(cfg, g) for g in (args.gemm or CI_GEMMS)]
        result = grade(works, args.out / cfg.name, include=args.include, workers=args.workers)
    except (ParameterError, ValueError) as exc:
        console.print(f"error: {exc}", markup=False, highlight=False)
        return 2
    result["config"], result["target"] = cfg.name, args.target
    ok = result["fraction"] >= args.target
    table = Table(f"stuck-at grading of {cfg.name}: {', '.join(result['workloads'])}",
                  ["module", "faults", "detected", "fraction"], left=("module",))
    for m, v in result["modules"].items():
        table.add_row(m, v["faults"], v["detected"], f"{v['fraction']:.2%}")
    table.add_row(Mark("total", "strong"), result["faults"], result["detected"],
                  Mark(f"{result['fraction']:.2%}", "good" if ok else "bad"))
    console.print(table.rich())
    undetected = Table("undetected faults", ["target", "module", "element", "bit", "stuck at"],
                       [[u["target"], u["module"], u["elem"], u["bit"], u["value"]]
                        for u in result["undetected"]], left=("target", "module"))
    write_json(args.out / cfg.name / "grade.json", result)
    write_tables(args.out / cfg.name / "grade.html", table.title, [table, undetected],
                 data=result)
    console.print(f"{result['detected']}/{result['faults']} detected "
                  f"({result['fraction']:.2%}, target {args.target:.0%}): "
                  f"{'PASSED' if ok else 'FAILED'}; {args.out / cfg.name / 'grade.html'}",
                  markup=False, highlight=False)
    return 0 if ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
