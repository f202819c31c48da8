"""CI gate (``make gate``): a small campaign that fails when hardening stops paying for itself.

Runs the gate campaign (``orbitbench/apps/gate.json``: workload, count, seed, fault model)
on the unprotected tile, on the hardened one (the strongest profile) and on the datapath
(array and requantizers) of the ABFT profile, then fails (exit 1) when

0. the ABFT datapath's SDC AVF upper bound exceeds ``max_abft_datapath_sdc_avf_upper``, or
1. the hardened profile's SDC AVF upper bound (Wilson, at the file's confidence) exceeds
   ``max_sdc_avf_upper`` from the same file, or
2. the hardened profile is not better than ``none`` at that confidence: its SDC AVF upper
   bound must lie below the lower bound of ``none``'s (non-overlapping Wilson intervals,
   a conservative test), or
3. a profile did not run (reported and skipped as in every suite,
   :func:`orbitbench.apps.suites.run_suite`).

Only SDC enters the decision: hangs and crashes (the design's own traps) count as DUE, as
in every summary, so a hardened design that turns corruptions into traps passes.

The thresholds live in the checked-in file so that tightening them is a reviewed change;
``--threshold`` overrides condition 1 for a trial (``make gate GATE_THRESHOLD=0.001``).
Writes ``campaigns/gate/<config>.db``, ``summary.json`` (with the verdict) and
``report.html``. Exit status 2 when the gate file is missing or malformed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path

from rich.markup import escape

from fault_campaigns.campaign import default_workers
from fault_campaigns.plan import FAULT_MODELS
from fault_campaigns.recipes import WorkloadError, check_recipe, tile_recipe
from orbitbench.apps.report import fmt_prop
from orbitbench.apps.suites import (
    DATAPATH_TARGETS,
    Profile,
    Suite,
    positive_int,
    report_suite,
    run_suite,
)
from orbitbench.apps.ui import console
from orbitbench.spec.errors import UsageError

__all__ = ["GATE_FILE", "GateFileError", "load_gate", "gate_suite", "evaluate", "main"]

GATE_FILE = Path(__file__).resolve().with_name("gate.json")

#: field of the gate file -> (the types it may have, what to call them in a message)
_FIELDS = {"baseline_config": ((str,), "a string"), "hardened_config": ((str,), "a string"),
           "gemm": ((list,), "a list [M, K, N]"), "gemm_seed": ((int,), "an integer"),
           "count": ((int,), "an integer"), "seed": ((int,), "an integer"),
           "model": ((str,), "a string"), "confidence": ((int, float), "a number"),
           "max_sdc_avf_upper": ((int, float), "a number"),
           "abft_config": ((str,), "a string"),
           "max_abft_datapath_sdc_avf_upper": ((int, float), "a number")}


class GateFileError(UsageError, ValueError):
    """The gate file is missing, not JSON, or a field is missing or out of range."""


def gate_suite(gate: Mapping) -> Suite:
    """The gate's three profiles, ``none (<baseline>)``, ``hardened (<hardened>)`` (whole
    tile, databases ``<config>.db``) and ``abft datapath (<abft>)`` (the array and
    requantizers only, :data:`~orbitbench.apps.suites.DATAPATH_TARGETS`, database
    ``<config>_dp.db``), from a gate file's fields."""
    common = {"model": gate["model"], "count": gate["count"],
              "confidence": gate["confidence"], "seed": gate["seed"]}

    def recipe(config):
        return tile_recipe(config, gate["gemm"], gate["gemm_seed"])

    return Suite("gate", "orbitbench CI gate", Path("campaigns/gate"), (
        *(Profile(f"{label} ({config})", recipe(config), db=config, **common)
          for label, config in (("none", gate["baseline_config"]),
                                ("hardened", gate["hardened_config"]))),
        Profile(f"abft datapath ({gate['abft_config']})", recipe(gate["abft_config"]),
                include=DATAPATH_TARGETS, db=f"{gate['abft_config']}_dp", **common),
    ))


def load_gate(path: Path) -> dict:
    """The gate file's fields, checked (nothing is built).

    Raises
    ------
    GateFileError
        The file cannot be read or parsed, a field is missing, has the wrong type or is out
        of range, or names a configuration that does not exist.
    """
    try:
        gate = json.loads(Path(path).read_text())
        if not isinstance(gate, dict):
            raise ValueError("not a JSON object")
        for key, (types, what) in _FIELDS.items():
            if key not in gate:
                raise ValueError(f"no field {key!r}")
            if isinstance(gate[key], bool) or not isinstance(gate[key], types):
                raise ValueError(f"{key} must be {what}, not {gate[key]!r}")
        if gate["model"] not in FAULT_MODELS:
            raise ValueError(f"model must be one of {', '.join(FAULT_MODELS)}, not "
                             f"{gate['model']!r}")
        if gate["count"] < 1 or not 0 < gate["confidence"] < 1:
            raise ValueError("count must be at least 1 and confidence in (0, 1)")
        for profile in gate_suite(gate).profiles:
            check_recipe(profile.recipe)
    except (OSError, ValueError, WorkloadError) as exc:
        raise GateFileError(f"gate file {path}: {exc}") from None
    return gate


def evaluate(hardened: dict, baseline: dict, threshold: float, abft: dict | None = None,
             abft_threshold: float = 1.0) -> list[str]:
    """Reasons the gate fails (empty: it passes)."""
    h, b = hardened["overall"]["sdc_avf"], baseline["overall"]["sdc_avf"]
    failures = []
    if abft is not None and abft["overall"]["sdc_avf"]["high"] > abft_threshold:
        failures.append(f"ABFT datapath SDC AVF upper bound "
                        f"{abft['overall']['sdc_avf']['high']:.4g} exceeds the threshold "
                        f"{abft_threshold:.4g}")
    if h["high"] > threshold:
        failures.append(f"hardened SDC AVF upper bound {h['high']:.4g} exceeds the threshold "
                        f"{threshold:.4g}")
    if not h["high"] < b["low"]:
        failures.append(f"hardened SDC AVF {fmt_prop(h)} is not below unprotected "
                        f"{fmt_prop(b)} at {h['confidence']:.0%} confidence")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orbitbench.apps.gate",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--gate-file", type=Path, default=GATE_FILE)
    parser.add_argument("--threshold", type=float, default=None,
                        help="override max_sdc_avf_upper from the gate file")
    parser.add_argument("--out", type=Path, default=Path("campaigns/gate"))
    parser.add_argument("--workers", type=positive_int, default=default_workers())
    args = parser.parse_args(argv)
    try:
        gate = load_gate(args.gate_file)
    except GateFileError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}")
        return 2
    threshold = gate["max_sdc_avf_upper"] if args.threshold is None else args.threshold
    suite = gate_suite(gate)
    baseline, hardened, abft = suite.names
    result = run_suite(suite, args.out, workers=args.workers)
    failures = [f"profile {name} did not run: {message}"
                for name, message in result.errors.items()]
    if not failures:
        failures = evaluate(result.summaries[hardened], result.summaries[baseline], threshold,
                            result.summaries[abft], gate["max_abft_datapath_sdc_avf_upper"])
    source = "--threshold" if args.threshold is not None else args.gate_file.name
    report_suite(result, args.out, verdict={"passed": not failures, "reasons": failures,
                                            "threshold": threshold, "threshold_from": source})
    console.print(f"threshold: hardened SDC AVF upper bound <= {threshold:.4g} ({source})")
    if failures:
        for f in failures:
            console.print(f"[bold red]GATE FAILED:[/] {escape(f)}")
        return 1
    console.print("[bold green]GATE PASSED[/]: hardened SDC AVF "
                  f"{fmt_prop(result.summaries[hardened]['overall']['sdc_avf'])} vs unprotected "
                  f"{fmt_prop(result.summaries[baseline]['overall']['sdc_avf'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
