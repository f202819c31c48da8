"""A campaign on your own design from one TOML file (``orbitbench campaign my.toml``).

The file names the design, its clock and reset, the stimulus, the observation points, the
expected outputs and the campaign's settings; paths are relative to the file's directory.
Every table but ``[design]`` is optional::

    name = "sha256"                      # label in reports (default: the file's stem)
    [design]
    top = "sha256_core"
    sources = ["rtl/sha256_core.v", "rtl/sha256_w_mem.v", "rtl/sha256_k_constants.v"]
    core = "sha256.core"; target = "default"   # or: files and toplevel from a FuseSoC core
    dut = "u_core"                       # instance under test: the default targets (u_core.*)
    include_dirs = []; defines = {}; parameters = {}    # -I, -D, -G
    [clock]  name = "clk"
    [reset]  name = "reset_n"; active = "low"; sync = false; cycles = 2
    [stimulus]                           # omitted: the design runs by itself from reset
    file = "fips_abc.stim"               # CYCLE PORT=VALUE ... per line (see read_stimulus)
    vcd = "golden.vcd"                   # or: the inputs of a recorded golden simulation
    fst = "golden.fst"                   # or: the same as FST (GTKWave's reader, pylibfst)
    cycles = 80                          # length (default: last stimulus cycle + 1)
    preload = {"mem" = "words.hex"}
    [observe]
    ports = ["digest"]                   # outputs of any width (default ["out_data"])
    signals = ["H0_reg", "u_core.state"] # internal registers, by hierarchical name (as
                                         # `orbitbench targets` lists them); after the ports
    valid = "digest_valid"               # compared when high (omitted: every cycle)
    on = "rise"                          # "high" (default) or "rise": when valid rises
    done = "digest_valid"                # ends the job (omitted: the end of the stimulus)
    elem_bits = 32; signed = false
    max_cycles = 1000000                 # done must rise within (default 1000000)
    [expected]                           # one of: (omitted: the golden run is the reference)
    values = ["0xba7816bf..."]           # one per observed cycle (a list per cycle: per port)
    file = "expected.hex"                # the same, one line per observed cycle
    function = "vectors.py:digests"      # a Python function returning that list
    [targets]
    include = ["*"]; exclude = []       # default: everything in design.dut (or the top)
    register_arrays = ["regs.mem"]       # memories built of flip-flops: no MBU clusters
    events = ["err_count:corrected", "err_flag:detected:0x1"]
    [campaign]
    count = 2000; seed = 1; model = "seu"; db = "out/x.db"; build_dir = "build"

The recipe stored in a campaign database (``{"kind": "file", ...}``) holds the file's text
and its directory, so ``orbitbench replay`` rebuilds the same workload after the file
changed or moved.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from pathlib import Path

from orbitbench.spec.errors import InputFileError, UsageError

from .engine import Ports
from .targets import design_ports, enumerate_state
from .vcd_stimulus import read_fst_stimulus, read_vcd_stimulus
from .workload import Preload, Workload, import_function, parse_event, read_words

__all__ = ["CampaignFileError", "load_campaign_file", "file_recipe", "file_workload",
           "file_settings", "read_stimulus", "split_values", "SCHEMA"]


class CampaignFileError(UsageError, ValueError):
    """The campaign file is malformed; the message names the file and the key."""


#: table -> {key: type(s)}; the top level holds "name" and the tables
SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "design": {"top": str, "sources": list, "core": str, "target": str, "include_dirs": list,
               "defines": dict, "parameters": dict, "args": list, "dut": str},
    "clock": {"name": str},
    "reset": {"name": str, "active": str, "sync": bool, "cycles": int},
    "stimulus": {"file": str, "vcd": str, "fst": str, "cycles": int, "preload": dict},
    "observe": {"ports": list, "signals": list, "valid": str, "on": str, "done": str,
                "max_cycles": int, "elem_bits": int, "signed": bool},
    "expected": {"values": list, "file": str, "function": str},
    "targets": {"include": list, "exclude": list, "register_arrays": list, "events": list},
    "campaign": {"count": int, "seed": int, "model": str, "db": str, "build_dir": str,
                 "margin": float, "confidence": float},
}


def _fail(path: str, key: str, what: str):
    raise CampaignFileError(f"{path}: {key}: {what}")


def load_campaign_file(path: str | Path, *, stimulus: bool = True) -> dict:
    """Parse and check ``path``; its recipe (see the module docstring). ``stimulus=False``:
    the ``[stimulus]`` file or waveform need not exist yet (``orbitbench record`` writes it).

    Raises
    ------
    InputFileError
        The file cannot be read.
    CampaignFileError
        It is not TOML, or a key is unknown, missing or of the wrong type.
    """
    path = Path(path).resolve()
    try:
        text = path.read_text()
    except OSError as exc:
        raise InputFileError(f"cannot read the campaign file {path}: "
                             f"{(exc.strerror or str(exc)).lower()}") from None
    recipe = file_recipe(text, path.parent, str(path))
    check(recipe, stimulus=stimulus)
    return recipe


def file_recipe(text: str, base: Path, name: str = "campaign file") -> dict:
    """The recipe of a campaign file's ``text`` whose paths are relative to ``base``."""
    return {"kind": "file", "path": name, "dir": str(Path(base).resolve()), "text": text}


def _parse(recipe: Mapping) -> dict:
    where = recipe.get("path", "campaign file")
    try:
        data = tomllib.loads(recipe["text"])
    except tomllib.TOMLDecodeError as exc:
        raise CampaignFileError(f"{where}: not valid TOML: {exc}") from None
    for key, value in data.items():
        if key == "name":
            if not isinstance(value, str) or not value:
                _fail(where, "name", "must be a non-empty string")
            continue
        if key not in SCHEMA:
            _fail(where, key, f"unknown table (known: name, {', '.join(SCHEMA)})")
        if not isinstance(value, dict):
            _fail(where, key, "must be a table ([" + key + "])")
        for k, v in value.items():
            want = SCHEMA[key].get(k)
            if want is None:
                _fail(where, f"{key}.{k}", f"unknown key (known: {', '.join(SCHEMA[key])})")
            ok = isinstance(v, want) and not (want is int and isinstance(v, bool))
            if want is float:
                ok = isinstance(v, int | float) and not isinstance(v, bool)
            if not ok:
                _fail(where, f"{key}.{k}", f"must be {_type_name(want)}, not {v!r}")
    design = data.get("design", {})
    if "core" not in design:
        if "top" not in design:
            _fail(where, "design.top", "missing (the top module of your design)")
        if not design.get("sources"):
            _fail(where, "design.sources", "missing (the design's Verilog/SystemVerilog "
                                           "files, or a FuseSoC design.core)")
    elif "target" in design and not design["target"]:
        _fail(where, "design.target", "must name a target of the core")
    active = data.get("reset", {}).get("active", "high")
    if active not in ("high", "low"):
        _fail(where, "reset.active", f"must be 'high' or 'low', not {active!r}")
    if data.get("reset", {}).get("cycles", 2) < 1:
        _fail(where, "reset.cycles", "must be at least 1")
    if len({"file", "vcd", "fst"} & set(data.get("stimulus", {}))) > 1:
        _fail(where, "stimulus", "give one of file, vcd, fst")
    obs = data.get("observe", {})
    if obs.get("on", "high") not in ("high", "rise"):
        _fail(where, "observe.on", f"must be 'high' or 'rise', not {obs['on']!r}")
    if "on" in obs and "valid" not in obs:
        _fail(where, "observe.on", "needs observe.valid (the strobe it applies to)")
    if len(set(data.get("expected", {})) & {"values", "file", "function"}) > 1:
        _fail(where, "expected", "give one of values, file, function")
    return data


def _type_name(t) -> str:
    return {str: "a string", list: "a list", dict: "a table", bool: "true or false",
            int: "an integer", float: "a number"}[t]


def _path(recipe: Mapping, key: str, value: str, *, exists: bool = True) -> Path:
    p = Path(recipe["dir"]) / value
    if exists and not p.exists():
        _fail(recipe.get("path", "campaign file"), key, f"no such file {p}")
    return p.resolve()


def _sources(recipe: Mapping, items) -> tuple[Path, ...]:
    """The design's files; an item with ``*`` is a glob (sorted) that must match a file."""
    out: list[Path] = []
    for item in items:
        if not isinstance(item, str):
            _fail(recipe.get("path", "campaign file"), "design.sources",
                  f"items are file names, not {item!r}")
        if "*" in item or "?" in item:
            found = sorted(p.resolve() for p in Path(recipe["dir"]).glob(item) if p.is_file())
            if not found:
                _fail(recipe.get("path", "campaign file"), "design.sources",
                      f"{item!r} matches no file in {recipe['dir']}")
            out += [p for p in found if p not in out]
        else:
            out.append(_path(recipe, "design.sources", item))
    return tuple(out)


def _core_design(recipe: Mapping, design: Mapping) -> tuple[list[Path], list[Path], str]:
    """(sources, include directories, toplevel) of ``design.core``'s ``design.target``
    (default: ``default``), read with the FuseSoC library; the core's dependencies are not
    resolved (list their files in ``design.sources``)."""
    # fusesoc takes ~2.5 s to import: only campaign files that name a core pay for it
    from fusesoc.capi2.coreparser import Core2Parser
    from fusesoc.core import Core

    where = recipe.get("path", "campaign file")
    file = _path(recipe, "design.core", design["core"])
    target = design.get("target", "default")
    try:
        core = Core(parser=Core2Parser(), core_file=str(file))
        flags = {"is_toplevel": True, "target": target}
        files = core.get_files(flags)
    except Exception as exc:  # fusesoc raises SyntaxError, RuntimeError, pydantic errors
        _fail(where, "design.core", f"{file}: {' '.join(str(exc).split())[:200]}")
    try:
        top = core.get_toplevel(flags) or ""
    except Exception:  # a target without a toplevel: design.top must name it
        top = ""
    root = file.parent
    sources, incdirs = [], []
    for f in files:
        if f.get("file_type", "").startswith(("verilogSource", "systemVerilogSource")):
            path = (root / f["name"]).resolve()
            if f.get("is_include_file"):
                incdirs.append((root / f.get("include_path", Path(f["name"]).parent)).resolve())
            elif not path.exists():
                _fail(where, "design.core", f"{file} lists {f['name']}, which does not exist")
            else:
                sources.append(path)
    if not sources:
        _fail(where, "design.core", f"{file}: target {target!r} has no Verilog files")
    if not top and "top" not in design:
        _fail(where, "design.top", f"missing, and target {target!r} of {file} names no "
                                   "toplevel")
    return sources, incdirs, top


def _verilator_args(recipe: Mapping, design: Mapping) -> list[str]:
    args = [f"-I{_path(recipe, 'design.include_dirs', d)}" for d in design.get("include_dirs", ())]
    args += [f"-D{k}" if v is True else f"-D{k}={v}" for k, v in design.get("defines", {}).items()]
    args += [f"-G{k}={v}" for k, v in design.get("parameters", {}).items()]
    return args + [str(a) for a in design.get("args", ())]


def check(recipe: Mapping, *, stimulus: bool = True) -> None:
    """Check the file's keys and that its files exist, without running anything."""
    data = _parse(recipe)
    _sources(recipe, data["design"].get("sources", ()))
    if "core" in data["design"]:
        _path(recipe, "design.core", data["design"]["core"])
    for key in ("file", "vcd", "fst") if stimulus else ():
        if key in data.get("stimulus", {}):
            _path(recipe, f"stimulus.{key}", data["stimulus"][key])
    if "file" in data.get("expected", {}):
        _path(recipe, "expected.file", data["expected"]["file"])


def file_settings(recipe: Mapping) -> dict:
    """The ``[campaign]`` table (paths resolved) and the label, for the CLI's defaults."""
    data = _parse(recipe)
    out = dict(data.get("campaign", {}))
    for key in ("db", "build_dir"):
        if key in out:
            out[key] = _path(recipe, f"campaign.{key}", out[key], exists=False)
    out["name"] = data.get("name") or Path(recipe.get("path", "campaign")).stem
    return out


def read_stimulus(path: Path, inputs: Mapping[str, int]) -> tuple[list[tuple[int, str, int]],
                                                                   int]:
    """(entries, cycles) of a stimulus file: lines ``CYCLE PORT=VALUE ...`` (``#`` comments);
    CYCLE is a number (0: the first cycle after reset) or ``reset`` (the values before and
    during reset); VALUE is decimal, ``0x`` hex or ``0b`` binary; a value holds until
    changed. ``inputs``: the design's input ports and their widths.

    Raises
    ------
    CampaignFileError
        A line is malformed, names a port the design lacks, or a value wider than its port.
    """
    out: list[tuple[int, str, int]] = []
    last = -1
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        where = f"{path}:{n}"
        try:
            cycle = -1 if words[0] == "reset" else int(words[0], 0)
        except ValueError:
            raise CampaignFileError(f"{where}: a line starts with a cycle number or 'reset', "
                                    f"not {words[0]!r}") from None
        if cycle < -1 or cycle < last:
            raise CampaignFileError(f"{where}: cycle {words[0]} is out of order")
        last = cycle
        for item in words[1:]:
            port, sep, value = item.partition("=")
            if not sep:
                raise CampaignFileError(f"{where}: expected PORT=VALUE, not {item!r}")
            if port not in inputs:
                raise CampaignFileError(f"{where}: the design has no input {port!r} (inputs: "
                                        f"{', '.join(sorted(inputs))})")
            try:
                v = int(value.replace("_", ""), 0)
            except ValueError:
                raise CampaignFileError(f"{where}: {port}: not a number: {value!r}") from None
            if not 0 <= v < 1 << inputs[port]:
                raise CampaignFileError(f"{where}: {port}: {value} does not fit its "
                                        f"{inputs[port]} bits")
            out.append((cycle, port, v))
    return out, last + 1


def split_values(values, widths: list[int], where: str) -> list[int]:
    """Expected values (one per observed cycle: an int for one port, a list per port) as
    the engine's 64-bit words, least significant first."""
    words: list[int] = []
    for i, item in enumerate(values):
        parts = item if isinstance(item, list) else [item]
        if len(parts) != len(widths):
            raise CampaignFileError(f"{where}[{i}]: {len(parts)} values for "
                                    f"{len(widths)} observation ports")
        for v, w in zip(parts, widths, strict=True):
            try:
                v = int(v, 0) if isinstance(v, str) else int(v)
            except ValueError:
                raise CampaignFileError(f"{where}[{i}]: not a number: {v!r}") from None
            if not 0 <= v < 1 << w:
                raise CampaignFileError(f"{where}[{i}]: {v:#x} does not fit {w} bits")
            words += [(v >> (64 * k)) & ((1 << 64) - 1) for k in range(max(1, -(-w // 64)))]
    return words


def _function(recipe: Mapping, ref: str):
    """``file.py:function`` (relative to the campaign file) or ``module:function``."""
    where = f"{recipe.get('path', 'campaign file')}: expected.function"
    module, _, func = ref.partition(":")
    if not module or not func:
        raise CampaignFileError(f"{where}: is 'file.py:function' or 'module:function', "
                                f"not {ref!r}")
    source: str | Path = module
    if module.endswith(".py"):
        source = _path(recipe, "expected.function", module)
    try:
        return import_function(source, func)
    except ModuleNotFoundError as exc:
        if isinstance(source, Path):
            raise
        raise CampaignFileError(f"{where}: no module {exc.name!r} (give a file, "
                                "'vectors.py:function', relative to the campaign "
                                "file)") from None
    except LookupError:
        raise CampaignFileError(f"{where}: {module} has no function {func!r}") from None


def _signals(recipe: Mapping, names, sources, top: str, args, build_root: Path) -> list:
    """The state variables ``observe.signals`` names (registers of the design, by their
    hierarchical names), checked against Verilator's netlist before anything is compiled."""
    if not names:
        return []
    where = f"{recipe.get('path', 'campaign file')}: observe.signals"
    state = {v.path: v for v in enumerate_state(sources, top, Path(build_root) / "targets",
                                                args)}
    out = []
    for name in names:
        if not isinstance(name, str):
            raise CampaignFileError(f"{where}: items are hierarchical names, not {name!r}")
        v = state.get(name)
        if v is None:
            near = difflib.get_close_matches(name, state, n=3, cutoff=0.5)
            hint = (f"did you mean {', '.join(near)}?" if near else
                    f"e.g. {', '.join(list(state)[:3])}")
            raise CampaignFileError(f"{where}: design {top!r} has no register {name!r} "
                                    f"({hint} `orbitbench targets --list` lists them)")
        if v.memory:
            raise CampaignFileError(f"{where}: {name!r} is a memory ({v.depth} words); "
                                    "observe a register")
        out.append(v)
    return out


def file_workload(recipe: Mapping, build_root: Path, *, stimulus: bool = True) -> Workload:
    """The workload a campaign-file recipe describes; its ports, stimulus and expected
    values are checked against the design's port list (Verilator's netlist, cached in
    ``build_root``) before anything is compiled. ``stimulus=False``: without the
    ``[stimulus]`` file or waveform (what ``orbitbench record`` is about to write), and
    without the expected values (they are checked against what it records).

    Raises
    ------
    CampaignFileError, TargetError
        What does not fit the design.
    """
    data = _parse(recipe)
    recording = not stimulus  # (the name is the stimulus's entries below)
    where = recipe.get("path", "campaign file")
    design = data["design"]
    sources = _sources(recipe, design.get("sources", ()))
    args = tuple(_verilator_args(recipe, design))
    top = design.get("top")
    if "core" in design:
        core_sources, core_incdirs, core_top = _core_design(recipe, design)
        sources = (*core_sources, *(s for s in sources if s not in core_sources))
        args = (*(f"-I{d}" for d in core_incdirs), *args)
        top = top or core_top
    have = {p.name: p for p in design_ports(sources, top, Path(build_root) / "targets", args)}
    inputs = {n: p.width for n, p in have.items() if p.direction == "input"}
    stim_table, obs = data.get("stimulus", {}), data.get("observe", {})
    if recording:
        stim_table = {k: v for k, v in stim_table.items()
                      if k not in ("file", "vcd", "fst", "cycles")}
        data = {k: v for k, v in data.items() if k != "expected"}
    stimulus: list[tuple[int, str, int]] = []
    cycles = 0
    if "file" in stim_table:
        stimulus, cycles = read_stimulus(_path(recipe, "stimulus.file", stim_table["file"]),
                                         inputs)
    elif "vcd" in stim_table or "fst" in stim_table:
        reset = data.get("reset", {})
        key = "vcd" if "vcd" in stim_table else "fst"
        read = read_vcd_stimulus if key == "vcd" else read_fst_stimulus
        stimulus, cycles = read(
            _path(recipe, f"stimulus.{key}", stim_table[key]), top, inputs,
            data.get("clock", {}).get("name", "clk"), reset.get("name", "rst"),
            reset.get("active", "high") == "low")
    cycles = stim_table.get("cycles", cycles)
    ports = Ports(clk=data.get("clock", {}).get("name", "clk"),
                  rst=data.get("reset", {}).get("name", "rst"),
                  done=obs.get("done", None if stimulus or recording else "done"),
                  out_valid=obs.get("valid"),
                  out_data=tuple(obs.get("ports", [] if "signals" in obs else ["out_data"])),
                  rst_active_low=data.get("reset", {}).get("active", "high") == "low",
                  inputs=tuple(sorted({name for _, name, _ in stimulus})),
                  valid_on_rise=obs.get("on", "high") == "rise")
    for key, name in (("clock.name", ports.clk), ("reset.name", ports.rst),
                      ("observe.done", ports.done), ("observe.valid", ports.out_valid),
                      *(("observe.ports", n) for n in ports.observed)):
        if name is not None and name not in have:
            _fail(where, key, f"design {top!r} has no port {name!r} (its ports: "
                              f"{', '.join(sorted(have))})")
    if recording and ports.done is None:
        cycles = max(cycles, 1)  # the recording gives the length
    if ports.done is None and cycles < 1:
        _fail(where, "observe.done", "missing: without a stimulus file the job ends when "
                                     "a done port rises; name it")
    signals = _signals(recipe, obs.get("signals", ()), sources, top, args, build_root)
    if not ports.observed and not signals:
        _fail(where, "observe", "observes nothing: name output ports (observe.ports) or "
                                "internal registers (observe.signals)")
    widths = [have[n].width for n in ports.observed] + [v.width for v in signals]
    exp_table = data.get("expected", {})
    expected = None
    if "values" in exp_table:
        expected = split_values(exp_table["values"], widths, f"{where}: expected.values")
    elif "file" in exp_table:
        lines = [ln.split("#", 1)[0].split() for ln in
                 _path(recipe, "expected.file", exp_table["file"]).read_text().splitlines()]
        values = [ln if len(ln) > 1 else ln[0] for ln in lines if ln]
        expected = split_values(values, widths, f"{where}: expected.file")
    elif "function" in exp_table:
        values = list(_function(recipe, exp_table["function"])())
        expected = split_values(values, widths, f"{where}: expected.function")
    targets = data.get("targets", {})
    dut = design.get("dut")
    include = tuple(targets.get("include", [f"{dut}.*"] if dut else ["*"]))
    try:
        events = tuple(parse_event(e) for e in targets.get("events", ()))
    except ValueError as exc:
        _fail(where, "targets.events", str(exc))
    name = data.get("name") or Path(where).stem
    return Workload(
        name=name, top=top, sources=sources, ports=ports, include=include,
        exclude=tuple(targets.get("exclude", ())),
        preload=tuple(Preload(p, read_words(_path(recipe, "stimulus.preload", f)))
                      for p, f in stim_table.get("preload", {}).items()),
        expected=tuple(expected) if expected is not None else None, events=events,
        elem_bits=obs.get("elem_bits", 64), elem_signed=obs.get("signed", False),
        reset_cycles=data.get("reset", {}).get("cycles", 2), extra_args=args,
        # by cycle, then port (stably: a port set twice in a cycle keeps its last value), so
        # a stimulus file and a waveform giving the same inputs are the same workload
        stimulus=tuple(sorted(stimulus, key=lambda x: (x[0], x[1]))), stimulus_cycles=cycles,
        register_arrays=tuple(targets.get("register_arrays", ())),
        max_cycles=obs.get("max_cycles", 1_000_000),
        observe_signals=tuple(v.path for v in signals),
        params={"campaign_file": where})
