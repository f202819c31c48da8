"""Verilator ``--lint-only`` on every design listed in ``rtl/manifest.json``.

``python -m orbitbench.apps.lint [--rtl DIR]``; exits non-zero if any design has a lint error.
Warnings other than the waivers in :data:`orbitbench.sim.toolchain.LINT_WAIVERS` are errors.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from orbitbench.sim.toolchain import LINT_WAIVERS, ToolchainError, find_verilator
from orbitbench.spec.paths import MANIFEST, RTL_DIR


def design_files(rtl_dir: Path, design: dict, designs: list[dict] | None = None) -> list[Path]:
    """The design's own file, then the files of the designs it ``requires`` (by top name,
    looked up in ``designs``, recursively): a multi-tile top instantiates its tile's module."""
    by_top = {d["top"]: d for d in designs or ()}
    files, todo, seen = [], [design], set()
    while todo:
        d = todo.pop(0)
        if d["top"] in seen:
            continue
        seen.add(d["top"])
        files.append(rtl_dir / d["file"])
        for top in d.get("requires", ()):
            if top not in by_top:
                raise ValueError(f"design {d['top']!r} requires {top!r}, which the manifest "
                                 "does not list")
            todo.append(by_top[top])
    return files


def lint_design(rtl_dir: Path, design: dict,
                designs: list[dict] | None = None) -> subprocess.CompletedProcess:
    verilator = find_verilator()
    cmd = [str(verilator.executable), "--lint-only", *LINT_WAIVERS,
           "--top-module", design["top"], *map(str, design_files(rtl_dir, design, designs))]
    return subprocess.run(cmd, env=verilator.env(), capture_output=True, text=True, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orbitbench.apps.lint", description=__doc__)
    parser.add_argument("--rtl", type=Path, default=RTL_DIR)
    args = parser.parse_args(argv)
    try:
        verilator = find_verilator()
    except ToolchainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    manifest = json.loads((args.rtl / MANIFEST).read_text())
    failed = 0
    for design in manifest["designs"]:
        result = lint_design(args.rtl, design, manifest["designs"])
        ok = result.returncode == 0
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {design['file']} (top {design['top']}, "
              f"Verilator {verilator.version_str} {verilator.source})")
        if not ok:
            print(result.stdout + result.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
