"""Write the generated Verilog and its manifest into ``rtl/``: ``python -m hdl_gen.emit``.

Output is deterministic (no timestamps, no absolute paths) so that ``make check-rtl`` can
compare a fresh emission with the checked-in files byte for byte.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from amaranth.back import verilog

from orbitbench.spec.params import CONFIGS, TileConfig
from orbitbench.spec.paths import MANIFEST, RTL_DIR

from .multitile import multitile_designs
from .noc import noc_designs
from .tile import GemmTile

__all__ = ["emit_tile", "designs", "render_all", "emit_all", "check", "main", "MANIFEST"]

def emit_tile(cfg: TileConfig) -> str:
    """Verilog text of the tile for ``cfg``; the top module is ``cfg.top_name``."""
    tile = GemmTile(cfg)
    # emit_src=False: source locations would embed absolute paths of the generating machine.
    return verilog.convert(tile, name=cfg.top_name, emit_src=False)


def designs() -> list[dict]:
    """Every design ``rtl/`` holds: manifest entry plus a ``render`` function (Verilog text).

    A generator adds its designs here (one list per kind); ``make rtl`` writes them all.
    """
    out = []
    for name, cfg in CONFIGS.items():
        out.append({"config": name, "top": cfg.top_name, "kind": "gemm_tile",
                    "params": cfg.as_dict(), "render": lambda cfg=cfg: emit_tile(cfg)})
    out += noc_designs()
    out += multitile_designs()
    return out


def render_all() -> dict[str, str]:
    """Every design of :func:`designs` plus the manifest, as file name -> contents."""
    files: dict[str, str] = {}
    manifest = {"generator": "orbitbench.hdl_gen", "designs": []}
    for design in designs():
        filename = f"{design['top']}.v"
        files[filename] = design["render"]()
        entry = {k: v for k, v in design.items() if k != "render"}
        manifest["designs"].append({**entry, "file": filename})
    files[MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    return files


def emit_all(out_dir: Path) -> dict[str, str]:
    """Write :func:`render_all` into ``out_dir``; returns the files written."""
    files = render_all()
    out_dir.mkdir(parents=True, exist_ok=True)
    for filename, text in files.items():
        (out_dir / filename).write_text(text)
    return files


def check(out_dir: Path) -> int:
    """0 if ``out_dir`` holds exactly what the generators emit now, else 1 (and say why)."""
    expected = render_all()
    present = {p.name for p in out_dir.iterdir() if p.is_file()} if out_dir.is_dir() else set()
    stale = [name for name, text in expected.items()
             if name not in present or (out_dir / name).read_text() != text]
    extra = sorted(present - set(expected))
    for name in stale:
        print(f"stale: {out_dir / name} differs from the generator output")
    for name in extra:
        print(f"stale: {out_dir / name} is not produced by the generators")
    if stale or extra:
        print("rtl/ is out of date: run 'make rtl' and commit the result")
        return 1
    print(f"{out_dir}: up to date ({len(expected)} files)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hdl_gen.emit", description=__doc__)
    parser.add_argument("--out", type=Path, default=RTL_DIR,
                        help="output directory (default: the repository's rtl/)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the output directory is stale")
    args = parser.parse_args(argv)
    if args.check:
        return check(args.out)
    files = emit_all(args.out)
    for filename in files:
        print(f"wrote {args.out / filename}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
