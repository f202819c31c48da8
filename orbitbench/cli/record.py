"""``orbitbench record``: run your own cocotb test once and record the design's inputs as
the campaign file's stimulus (:mod:`fault_campaigns.record`). Exit 0 recorded, 1 the test
failed (nothing written), 2 bad input."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from fault_campaigns.campaign_file import file_settings, load_campaign_file
from fault_campaigns.record import record
from orbitbench.apps.ui import console
from orbitbench.spec.paths import SIM_BUILD

__all__ = ["add_commands"]


def add_commands(sub) -> None:
    p = sub.add_parser("record", help="run your cocotb test once; record the inputs as the "
                                      "campaign file's stimulus",
                       description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("campaign_file", metavar="CAMPAIGN.toml", type=Path,
                   help="the campaign file whose design the test runs on")
    p.add_argument("--test", required=True, metavar="MODULE[.py]",
                   help="the cocotb test module: a file, or a module name (looked up next "
                        "to the campaign file, then on the Python path)")
    p.add_argument("--testcase", metavar="NAME",
                   help="run only this test of the module (default: all; they must give "
                        "one reset, so a module of several tests needs one)")
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="the stimulus file to write (default: recorded_<test>.stim next to "
                        "the campaign file)")
    p.add_argument("--update", action="store_true",
                   help="also point the campaign file's [stimulus] at the recording")
    p.set_defaults(func=_record)


def _update(path: Path, stim: str) -> None:
    """Set ``[stimulus] file`` (replacing ``file``/``vcd``/``fst``) in the campaign file's
    text."""
    text = path.read_text()
    line = f'file = "{stim}"'
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if re.match(r"\s*\[stimulus\]", ln)), None)
    if start is None:
        lines += ["[stimulus]", line]
    else:
        end = next((i for i in range(start + 1, len(lines))
                    if re.match(r"\s*\[", lines[i])), len(lines))
        body = [ln for ln in lines[start + 1:end]
                if not re.match(r"\s*(file|vcd|fst|cycles)\s*=", ln)]
        lines[start + 1:end] = [line, *body]
    path.write_text("\n".join(lines) + "\n")


def _record(args) -> int:
    recipe = load_campaign_file(args.campaign_file, stimulus=False)
    base = Path(recipe["dir"])
    name = Path(args.test).stem + (f"_{args.testcase}" if args.testcase else "")
    out = (args.out or base / f"recorded_{name}.stim").resolve()
    build_root = file_settings(recipe).get("build_dir", SIM_BUILD)
    rec = record(recipe, args.test, out, testcase=args.testcase, build_root=build_root)
    if rec.out is None:
        console.print(f"[bold red]FAIL[/] {args.test}: {rec.failed} of {rec.tests} test(s) "
                      f"failed, nothing recorded (log: {rec.log})", soft_wrap=True)
        return 1
    try:
        shown = out.relative_to(base)
    except ValueError:
        shown = out
    console.print(f"[bold green]recorded[/] {rec.tests} test(s): {rec.cycles} cycles, "
                  f"{rec.changes} input changes -> {out}", soft_wrap=True)
    if args.update:
        _update(Path(args.campaign_file), str(shown))
        console.print(f"updated {args.campaign_file}: \\[stimulus] file = \"{shown}\"",
                      soft_wrap=True)
    else:
        console.print(f"put into {args.campaign_file}, under \\[stimulus]: "
                      f"file = \"{shown}\"", soft_wrap=True)
    return 0
