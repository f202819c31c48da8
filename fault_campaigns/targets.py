"""Fault targets: every flip-flop bit and every memory bit of a design.

The state of a design is read from Verilator's own elaborated netlist (``verilator
--json-only``), so the list works on any Verilog/SystemVerilog design Verilator accepts,
names things exactly as the simulation model does, and needs no second front end. A
variable is state when a clocked process (``always`` with a ``posedge``/``negedge`` event, or
``always_ff``) assigns it; state with an unpacked dimension is a memory (one bit per stored
bit), the rest are flip-flop registers. Unpacked arrays that no clocked process writes are
listed too, as read-only memories (``rom``): not fault targets unless asked for, but
addressable for a workload's preload.

Nets (:func:`enumerate_nets`, for the single-event-transient and net stuck-at models): a
packed variable that a combinational process (a continuous ``assign``, ``always @*``,
``always_comb``) drives, in the module that drives it, and that is not state. A net that
crosses a module boundary is listed once, where it is driven (a child's output port, not the
parent's wire it connects to); the top module's ports are the workload's boundary and are not
nets. Only named nets are targets: an unnamed expression inside an assignment has no
variable to force (Yosys-written Verilog, as Amaranth emits it, names nearly every
intermediate value).

Names are hierarchical from the top module, dot-separated (``tile.a_bank0.mem``); the module
of a variable is the instance path that holds it (``tile.a_bank0``), which is what the
campaign reports AVF per. Include/exclude filters are shell globs (:mod:`fnmatch`) on the
full name.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import json
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from orbitbench.sim import locked
from orbitbench.sim.toolchain import LINT_WAIVERS, find_verilator
from orbitbench.spec.errors import UsageError

__all__ = ["StateVar", "Port", "TargetSet", "enumerate_state", "enumerate_nets", "design_ports",
           "select", "TargetError"]


class TargetError(UsageError, ValueError):
    """The design cannot be analysed, or a filter selects nothing."""


@dataclass(frozen=True)
class Port:
    """A port of the top module, as Verilator elaborated it."""

    name: str
    direction: str  # "input", "output" or "inout"
    width: int


@dataclass(frozen=True)
class StateVar:
    """One state variable: a flip-flop register (``depth == 1``) or a memory."""

    path: str  # hierarchical name from the top module, e.g. "tile.a_bank0.mem"
    module: str  # instance path holding it ("" for the top module)
    module_type: str  # the Verilog module it is declared in
    name: str  # name inside that module
    width: int  # bits per word
    depth: int  # words (1 for a register)
    memory: bool
    vname: str = ""  # the name as the simulation model spells it (escaped identifiers)
    rom: bool = False  # a memory no clocked process writes (contents from init or preload)
    net: bool = False  # a combinational net (not state): SET and net stuck-at target

    @property
    def bits(self) -> int:
        return self.width * self.depth

    @property
    def kind(self) -> str:
        return "net" if self.net else "mem" if self.memory else "ff"


@dataclass(frozen=True)
class TargetSet:
    """State variables selected as fault targets, in a fixed order."""

    vars: tuple[StateVar, ...]

    @property
    def bits(self) -> int:
        return sum(v.bits for v in self.vars)

    @property
    def ff_bits(self) -> int:
        return sum(v.bits for v in self.vars if not v.memory and not v.net)

    @property
    def mem_bits(self) -> int:
        return sum(v.bits for v in self.vars if v.memory and not v.net)

    @property
    def net_bits(self) -> int:
        return sum(v.bits for v in self.vars if v.net)

    def per_module(self) -> dict[str, dict[str, int]]:
        """``{module: {"ff": bits, "mem": bits, "net": bits, "vars": count}}``, sorted by
        module."""
        out: dict[str, dict[str, int]] = {}
        for v in self.vars:
            row = out.setdefault(v.module or "(top)", {"ff": 0, "mem": 0, "net": 0, "vars": 0})
            row[v.kind] += v.bits
            row["vars"] += 1
        return dict(sorted(out.items()))


def select(state: Iterable[StateVar], include: Sequence[str] = ("*",),
           exclude: Sequence[str] = (), *, roms: bool = False) -> TargetSet:
    """The variables whose name matches any ``include`` glob and no ``exclude`` glob.

    Read-only memories (no clocked process writes them) are left out unless ``roms``.
    """
    state = list(state)
    chosen = tuple(v for v in state
                   if (roms or not v.rom) and any(fnmatch.fnmatchcase(v.path, g) for g in include)
                   and not any(fnmatch.fnmatchcase(v.path, g) for g in exclude))
    if not chosen:
        what = "nets" if state and all(v.net for v in state) else "state variables"
        raise TargetError(f"include {list(include)} / exclude {list(exclude)} selects none of "
                          f"the design's {len(state)} {what} (e.g. "
                          f"{', '.join(v.path for v in state[:3])})")
    return TargetSet(chosen)


def register_arrays(state: Iterable[StateVar], globs: Sequence[str]) -> list[StateVar]:
    """``state`` with the memories matching any glob marked as register arrays: their bits
    count as flip-flops (``memory=False``), so the MBU model gives them no adjacent-bit
    clusters. Memory is decided by syntax (an unpacked dimension); a register file reset
    or written word by word is built of flip-flops, not an SRAM macro.

    Raises
    ------
    TargetError
        A glob matches no memory of the design.
    """
    state = list(state)
    for g in globs:
        if not any(v.memory and fnmatch.fnmatchcase(v.path, g) for v in state):
            mems = [v.path for v in state if v.memory]
            raise TargetError(f"register array {g!r} matches none of the design's "
                              f"{len(mems)} memories"
                              + (f" (e.g. {', '.join(mems[:3])})" if mems else ""))
    return [dataclasses.replace(v, memory=False)
            if v.memory and any(fnmatch.fnmatchcase(v.path, g) for g in globs) else v
            for v in state]


# --- Verilator netlist --------------------------------------------------------------------

_RANGE = re.compile(r"\[?\s*(-?\d+)\s*:\s*(-?\d+)\s*\]?")


def _span(text: str | None) -> int:
    if not text:
        return 1
    match = _RANGE.fullmatch(text.strip())
    if not match:
        raise TargetError(f"cannot read the range {text!r}")
    return abs(int(match[1]) - int(match[2])) + 1


class _Netlist:
    def __init__(self, tree: dict):
        self.nodes: dict[str, dict] = {}
        self._index(tree)
        self.modules = {m["addr"]: m for m in tree["modulesp"] if m["type"] == "MODULE"}

    def _index(self, node) -> None:
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, dict):
                addr = n.get("addr")
                if addr and n.get("type", "").endswith("DTYPE"):
                    self.nodes[addr] = n
                stack.extend(v for v in n.values() if isinstance(v, list))
            elif isinstance(n, list):
                stack.extend(n)

    def shape(self, dtype_addr: str, where: str) -> tuple[int, int]:
        """(packed width, unpacked depth) of a data type."""
        node = self.nodes.get(dtype_addr)
        if node is None:
            raise TargetError(f"{where}: unknown data type {dtype_addr}")
        kind = node["type"]
        if kind == "BASICDTYPE":
            return _span(node.get("range")), 1
        if kind in ("REFDTYPE", "ENUMDTYPE", "CONSTDTYPE"):
            return self.shape(node.get("refDTypep") or node.get("subDTypep"), where)
        sub = node.get("refDTypep") or node.get("subDTypep")
        if kind == "PACKARRAYDTYPE":
            width, depth = self.shape(sub, where)
            return width * _span(node.get("declRange")), depth
        if kind == "UNPACKARRAYDTYPE":
            width, depth = self.shape(sub, where)
            return width, depth * _span(node.get("declRange"))
        if kind in ("STRUCTDTYPE", "UNIONDTYPE"):
            widths = [self.shape(m["dtypep"], where)[0] for m in node.get("membersp", [])]
            return (sum(widths) if kind == "STRUCTDTYPE" else max(widths, default=0)), 1
        raise TargetError(f"{where}: data type {kind} is not supported as fault target")


def _walk(node):
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            yield n
            stack.extend(v for v in n.values() if isinstance(v, list))
        elif isinstance(n, list):
            stack.extend(n)


def _clocked(always: dict) -> bool:
    if always.get("keyword") == "always_ff":
        return True
    return any(item.get("type") == "SENITEM" and item.get("edgeType") in ("POS", "NEG", "BOTH")
               for tree in always.get("sentreep", []) for item in _walk(tree))


def _base_var(lhs: dict) -> str | None:
    """Name of the variable an assignment target refers to (through selects)."""
    node = lhs
    while node is not None:
        if node.get("type") == "VARREF":
            return node["name"]
        children = node.get("fromp") or node.get("lhsp") or []
        node = children[0] if children else None
    return None


def _state_names(module: dict) -> set[str]:
    names: set[str] = set()
    for stmt in module.get("stmtsp", []):
        if stmt.get("type") not in ("ALWAYS", "ALWAYSPOST") or not _clocked(stmt):
            continue
        for node in _walk(stmt.get("stmtsp", [])):
            if node.get("type") in ("ASSIGNDLY", "ASSIGN") and node.get("lhsp"):
                name = _base_var(node["lhsp"][0])
                if name:
                    names.add(name)
    return names


def _net_names(module: dict) -> set[str]:
    """Variables a combinational process of ``module`` assigns (continuous assignments,
    ``always @*``, ``always_comb``); latches are left out."""
    names: set[str] = set()
    for stmt in module.get("stmtsp", []):
        if stmt.get("type") not in ("ALWAYS", "ASSIGNW") or _clocked(stmt) or \
                stmt.get("keyword") == "always_latch":
            continue
        for node in _walk([stmt]):
            if node.get("type") in ("ASSIGN", "ASSIGNW") and node.get("lhsp"):
                name = _base_var(node["lhsp"][0])
                if name:
                    names.add(name)
    return names


def _nets(tree: dict, top: str) -> list[StateVar]:
    """Every net of ``top`` and its instances (module docstring), depth-first by instance."""
    net = _Netlist(tree)
    by_name = {m["name"]: m for m in net.modules.values()}
    out: list[StateVar] = []
    cache: dict[tuple[str, bool], list[tuple[str, int, str]]] = {}

    def module_nets(mod: dict, is_top: bool) -> list[tuple[str, int, str]]:
        key = (mod["addr"], is_top)
        if key not in cache:
            state, driven = _state_names(mod), _net_names(mod)
            found = []
            for s in mod.get("stmtsp", []):
                if (s.get("type") != "VAR" or s["name"] not in driven or s["name"] in state
                        or s.get("isParam") or s.get("direction", "NONE") == "INPUT"
                        or (is_top and s.get("direction", "NONE") != "NONE")
                        or net.nodes.get(s["dtypep"], {}).get("type") == "UNPACKARRAYDTYPE"):
                    continue
                width, depth = net.shape(s["dtypep"], f"{mod['name']}.{s['name']}")
                if depth == 1:
                    found.append((s["name"], width, s.get("verilogName") or s["name"]))
            cache[key] = sorted(found)
        return cache[key]

    def visit(mod: dict, path: str) -> None:
        for name, width, vname in module_nets(mod, not path):
            out.append(StateVar(path=f"{path}.{name}" if path else name, module=path,
                                module_type=mod["name"], name=name, width=width, depth=1,
                                memory=False, vname=vname, net=True))
        for cell in sorted((s for s in mod.get("stmtsp", []) if s.get("type") == "CELL"),
                           key=lambda c: c["name"]):
            child = net.modules.get(cell.get("modp"))
            if child is not None:
                visit(child, f"{path}.{cell['name']}" if path else cell["name"])

    visit(by_name[top], "")
    return out


def _ports(tree: dict, top: str) -> list[Port]:
    net = _Netlist(tree)
    mod = next(m for m in net.modules.values() if m["name"] == top)
    return [Port(s.get("verilogName") or s["name"], s["direction"].lower(),
                 net.shape(s["dtypep"], f"{top}.{s['name']}")[0])
            for s in mod.get("stmtsp", [])
            if s.get("type") == "VAR" and s.get("direction", "NONE") != "NONE"]


def _analyse(tree: dict, top: str) -> list[StateVar]:
    net = _Netlist(tree)
    by_name = {m["name"]: m for m in net.modules.values()}
    if top not in by_name:
        raise TargetError(f"top module {top!r} not found (modules: {sorted(by_name)[:8]})")
    out: list[StateVar] = []
    cache: dict[str, list[tuple[str, int, int, str, bool]]] = {}

    def module_state(mod: dict) -> list[tuple[str, int, int, str, bool]]:
        if mod["addr"] not in cache:
            names = _state_names(mod)
            found = []
            for stmt in mod.get("stmtsp", []):
                if stmt.get("type") != "VAR":
                    continue
                rom = (stmt["name"] not in names
                       and net.nodes.get(stmt["dtypep"], {}).get("type") == "UNPACKARRAYDTYPE")
                if stmt["name"] in names or rom:
                    width, depth = net.shape(stmt["dtypep"], f"{mod['name']}.{stmt['name']}")
                    found.append((stmt["name"], width, depth,
                                  stmt.get("verilogName") or stmt["name"], rom))
            cache[mod["addr"]] = sorted(found)
        return cache[mod["addr"]]

    def visit(mod: dict, path: str) -> None:
        for name, width, depth, vname, rom in module_state(mod):
            mem = depth > 1 or _has_unpacked(net, mod, name)
            out.append(StateVar(path=f"{path}.{name}" if path else name, module=path,
                                module_type=mod["name"], name=name, width=width, depth=depth,
                                memory=mem, vname=vname, rom=rom))
        cells = sorted((s for s in mod.get("stmtsp", []) if s.get("type") == "CELL"),
                       key=lambda c: c["name"])
        for cell in cells:
            child = net.modules.get(cell.get("modp"))
            if child is not None:
                visit(child, f"{path}.{cell['name']}" if path else cell["name"])

    visit(by_name[top], "")
    return out


def _has_unpacked(net: _Netlist, mod: dict, name: str) -> bool:
    for stmt in mod.get("stmtsp", []):
        if stmt.get("type") == "VAR" and stmt["name"] == name:
            node = net.nodes.get(stmt["dtypep"], {})
            return node.get("type") == "UNPACKARRAYDTYPE"
    return False


def enumerate_state(sources: Sequence[Path], top: str, cache_dir: Path,
                    extra_args: Sequence[str] = ()) -> list[StateVar]:
    """Every state variable of ``top`` (Verilator's ``--json-only`` netlist), cached by hash.

    Raises
    ------
    TargetError
        Verilator rejects the sources, or the top module is not among them.
    """
    return [StateVar(**v) for v in _netlist_info(sources, top, cache_dir, extra_args)["state"]]


def enumerate_nets(sources: Sequence[Path], top: str, cache_dir: Path,
                   extra_args: Sequence[str] = ()) -> list[StateVar]:
    """Every combinational net of ``top`` (module docstring), from the same netlist as
    :func:`enumerate_state`, cached apart from it (state-only caches stay valid).

    Raises
    ------
    TargetError
        As :func:`enumerate_state`.
    """
    return [StateVar(**v) for v in _netlist_info(sources, top, cache_dir, extra_args,
                                                 nets=True)["nets"]]


def design_ports(sources: Sequence[Path], top: str, cache_dir: Path,
                 extra_args: Sequence[str] = ()) -> list[Port]:
    """The ports of ``top``, from the same cached netlist as :func:`enumerate_state`."""
    return [Port(**p) for p in _netlist_info(sources, top, cache_dir, extra_args)["ports"]]


def _netlist_info(sources: Sequence[Path], top: str, cache_dir: Path,
                  extra_args: Sequence[str], *, nets: bool = False) -> dict:
    verilator = find_verilator()
    # "nets" only in the key of a cache that holds them: the state-only caches keep theirs
    h = hashlib.sha256(json.dumps([top, list(extra_args), verilator.version, "targets-v4",
                                   *(["nets-v1"] if nets else [])]).encode())
    for src in sources:
        h.update(Path(src).read_bytes())
    key = h.hexdigest()[:16]
    cache = Path(cache_dir) / f"state-{top}-{key}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    cache.parent.mkdir(parents=True, exist_ok=True)
    # Concurrent campaigns on one design share the cache: one analyses, the others read.
    with locked(cache.parent / f"state-{top}-{key}.lock"):
        if cache.exists():
            return json.loads(cache.read_text())
        work = cache.parent / f"json-{top}-{key}"
        work.mkdir(exist_ok=True)
        cmd = [str(verilator.executable), "--json-only", "--top-module", top, *LINT_WAIVERS,
               "-Wno-fatal", *extra_args, "-Mdir", str(work), "--prefix", "Vjson",
               *(str(s) for s in sources)]
        proc = subprocess.run(cmd, env=verilator.env(), capture_output=True, text=True,
                              check=False)
        tree_file = work / "Vjson.tree.json"
        if proc.returncode != 0 or not tree_file.exists():
            log = cache.parent / f"verilator-{top}-{key}.log"
            log.write_text("$ " + " ".join(cmd) + "\n" + proc.stdout + proc.stderr)
            errors = [ln.strip() for ln in proc.stderr.splitlines()
                      if ln.startswith("%Error")] or proc.stderr.strip().splitlines()[-1:]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise TargetError(f"Verilator rejects the design {top!r}: "
                              f"{(errors or ['no output'])[0][:300]}{more}; whole output: "
                              f"{log}")
        tree = json.loads(tree_file.read_text())
        # state entries as before nets existed (no "net" key): the same cache file either way
        info = {"state": [{k: x for k, x in v.__dict__.items() if k != "net"}
                          for v in _analyse(tree, top)],
                "ports": [p.__dict__ for p in _ports(tree, top)]}
        if nets:
            info["nets"] = [v.__dict__ for v in _nets(tree, top)]
        for f in work.iterdir():
            f.unlink()
        work.rmdir()
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(info))
        tmp.replace(cache)  # readers without the lock see it whole or not at all
    return info
