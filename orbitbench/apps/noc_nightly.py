"""The NoC campaigns (``make campaign-noc``): the multi-tile top and the mesh alone.

Profiles (``--profiles`` picks some; all by default):

============  ==========================================================================
profile       workload and targets
============  ==========================================================================
mt_none       multi-tile top ``mt2x2`` (small tiles, unprotected mesh), GEMM
              :data:`~fault_campaigns.multitile_workload.DEFAULT_GEMM`, every state bit
mt_hard       ``mt2x2_hard`` (small_ecc_tmr tiles, SECDED + TMR mesh), same GEMM
mt_none_link  ``mt2x2``, only the NoC's link words (router input buffers)
mt_hard_link  ``mt2x2_hard``, only the link words: single upsets there must never be SDC
noc_<p>       the mesh alone (:func:`fault_campaigns.noc_workload.noc_workload`), protection
              ``none``, ``secded``, ``crc`` and ``hard`` (SECDED + TMR), every state bit
============  ==========================================================================

Each profile runs or resumes its campaign in ``campaigns/noc/<profile>.db`` (``--count``
injections, ``--model``), then the per-profile outcome table (masked, corrected, DUE, SDC,
hang with Wilson intervals), ``campaigns/noc/summary.json`` and ``report.html`` are written.
A profile that cannot be prepared is reported and skipped (exit status 1 at the end).
Default: 200 injections per profile; engine builds dominate the time (about 10 minutes for
all profiles from cold on 2 busy cores), re-runs resume.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rich.console import Console

from fault_campaigns.campaign import EXECUTORS, CampaignSpec, default_workers, run_campaign
from fault_campaigns.multitile_workload import DEFAULT_GEMM, LINK_TARGETS
from fault_campaigns.recipes import from_recipe
from fault_campaigns.summary import summarize
from orbitbench.apps.report import summary_table, write_html
from orbitbench.apps.ui import console as cli_console
from orbitbench.apps.ui import live_progress

__all__ = ["PROFILES", "profile_recipe", "run_profiles", "main"]

#: profile -> (workload kind, configuration, link targets only?)
PROFILES = {
    "mt_none": ("multitile", "mt2x2", False),
    "mt_hard": ("multitile", "mt2x2_hard", False),
    "mt_none_link": ("multitile", "mt2x2", True),
    "mt_hard_link": ("multitile", "mt2x2_hard", True),
    "noc_none": ("noc", "none", False),
    "noc_secded": ("noc", "secded", False),
    "noc_crc": ("noc", "crc", False),
    "noc_hard": ("noc", "hard", False),
}


def profile_recipe(profile: str, gemm=DEFAULT_GEMM, mesh: tuple[int, int] = (2, 2),
                   seed: int = 1) -> dict:
    """The JSON-able recipe (:mod:`fault_campaigns.recipes`) of ``profile``'s workload."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}")
    kind, config, _ = PROFILES[profile]
    if kind == "multitile":
        return {"kind": "factory", "ref": "fault_campaigns.multitile_workload:multitile_workload",
                "kwargs": {"config": config, "gemm": list(gemm), "seed": seed}}
    return {"kind": "factory", "ref": "fault_campaigns.noc_workload:noc_profile_workload",
            "kwargs": {"protection": config, "mesh_x": mesh[0], "mesh_y": mesh[1],
                       "seed": seed}}


def run_profiles(out_dir: Path, profiles: list[str], *, count: int, seed: int, model: str,
                 workers: int, executor: str = "local", address: str | None = None,
                 gemm=DEFAULT_GEMM, mesh: tuple[int, int] = (2, 2),
                 console: Console | None = None) -> tuple[dict[str, dict], dict[str, str]]:
    """Run or resume each profile's campaign.

    Returns (profile -> :func:`summarize` dict, profile -> error message): a profile whose
    workload cannot be prepared (a target or event missing, a golden-run mismatch, a failed
    build) is reported and skipped, the others still run.
    """
    console = console or Console()
    summaries: dict[str, dict] = {}
    errors: dict[str, str] = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    for profile in profiles:
        recipe = profile_recipe(profile, gemm, mesh)
        link = PROFILES[profile][2]
        db = out_dir / f"{profile}.db"
        try:
            spec = CampaignSpec(from_recipe(recipe), count=count, seed=seed, model=model,
                                include=LINK_TARGETS if link else None, recipe=recipe)
            bar, update = live_progress(f"{profile:12s}")
            with bar:
                run_campaign(spec, db, workers=workers, executor=executor, address=address,
                             progress=update)
        except (ValueError, RuntimeError, OSError) as exc:  # TargetError, GoldenMismatch, ...
            errors[profile] = f"{type(exc).__name__}: {exc}"
            console.print(f"[red]profile {profile} failed[/red]: {errors[profile]}")
            continue
        summaries[profile] = summarize(db)
    return summaries, errors


def _profiles(text: str) -> list[str]:
    names = [p.strip() for p in text.split(",") if p.strip()]
    bad = [p for p in names if p not in PROFILES]
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"profiles must be a comma-separated subset of {', '.join(PROFILES)}, not {text!r}")
    return names


def _triple(text: str) -> tuple[int, int, int]:
    try:
        m, k, n = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"gemm must be MxKxN, not {text!r}") from None
    return m, k, n


def _mesh(text: str) -> tuple[int, int]:
    try:
        x, y = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"mesh must be XxY, not {text!r}") from None
    return x, y


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orbitbench.apps.noc_nightly",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("campaigns/noc"))
    parser.add_argument("--profiles", type=_profiles, default=list(PROFILES),
                        help=f"comma-separated subset of {','.join(PROFILES)} (default: all)")
    parser.add_argument("--count", type=int, default=200, help="injections per profile")
    parser.add_argument("--gemm", type=_triple, default=DEFAULT_GEMM,
                        help="multi-tile GEMM MxKxN (default %(default)s)")
    parser.add_argument("--mesh", type=_mesh, default=(2, 2),
                        help="mesh of the noc_* profiles, XxY (default 2x2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", default="seu", choices=("seu", "mbu"))
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--executor", choices=EXECUTORS, default="local")
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address")
    args = parser.parse_args(argv)
    console = cli_console
    t0 = time.time()
    summaries, errors = run_profiles(args.out, args.profiles, count=args.count, seed=args.seed,
                             model=args.model, workers=args.workers, executor=args.executor,
                             address=args.scheduler, gemm=args.gemm, mesh=args.mesh,
                             console=console)
    console.print(summary_table(summaries))
    (args.out / "summary.json").write_text(json.dumps(
        {**summaries, **({"errors": errors} if errors else {})}, indent=2))
    write_html(args.out / "report.html", summaries, title="orbitbench NoC fault campaigns")
    console.print(f"summary: {args.out / 'summary.json'}\nreport:  {args.out / 'report.html'}"
                  f"\n({time.time() - t0:.0f} s)")
    for profile, message in errors.items():
        console.print(f"[red]failed:[/red] {profile}: {message}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
