"""``orbitbench campaign | targets | replay | merge | report``: the fault-campaign commands.

Registered into the ``orbitbench`` command line by :func:`add_commands`.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from fault_campaigns.calibrated import compare
from fault_campaigns.campaign import EXECUTORS, CampaignSpec, default_workers, merge, run_campaign
from fault_campaigns.campaign_file import file_settings, load_campaign_file
from fault_campaigns.network_workload import DEFAULT_IMAGES, network_config, network_recipe
from fault_campaigns.network_workload import FACTORY as NETWORK_FACTORY
from fault_campaigns.plan import (
    DEFAULT_MBU_SIZES,
    FAULT_MODELS,
    NET_MODELS,
    parse_cycles,
    parse_sizes,
)
from fault_campaigns.prepare import select_targets
from fault_campaigns.recipes import build_root_of, check_recipe, factory_recipe, from_recipe
from fault_campaigns.replay import replay
from fault_campaigns.stats import DEFAULT_CLOCK_PERIOD_S, DEFAULT_SET_PULSE_WIDTH_S, orbit
from fault_campaigns.summary import summarize
from fault_campaigns.tile_workload import DEFAULT_GEMM
from golden_models.radiation import Device, WeibullParams
from orbitbench.apps.report import (
    Mark,
    Table,
    calibration_table,
    derating_lines,
    network_tables,
    summary_table,
    write_html,
    write_json,
)
from orbitbench.apps.ui import console, live_progress
from orbitbench.spec.errors import Interrupted, OutputFileError, Terminated, UsageError
from orbitbench.spec.params import CONFIGS

__all__ = ["add_commands", "workload_args", "recipe_from_args", "live_progress",
           "output_path"]


class CampaignUsageError(UsageError, ValueError):
    """Bad command-line input (exit status 2)."""


def _importable(module: str) -> bool:
    """``module`` is on the Python path (the current directory is not, for a console
    script)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def output_path(value: str | Path | None, option: str) -> Path | None:
    """``value`` as a path the command can write, checked before any work starts: its
    directory is created, and a file is created there and removed again."""
    if value is None:
        return None
    path = Path(value)
    if path.is_dir():
        raise OutputFileError(f"{option} {path} is a directory; give a file name")
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a"):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if isinstance(exc, (FileExistsError, NotADirectoryError)):
            reason = "a part of its directory is a file"
        raise OutputFileError(f"cannot write {option} {path}: {reason.lower()}; give a path "
                              "in a directory you can write") from None
    if not existed:
        path.unlink()
    return path


def _gemm(text: str) -> tuple[int, int, int]:
    try:
        m, k, n = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MxKxN, e.g. 16x32x16, not {text!r}") from None
    return m, k, n


def _shard(text: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected i/N, e.g. 0/4, not {text!r}") from None
    if not 0 <= i < n:
        raise argparse.ArgumentTypeError(f"shard i/N needs 0 <= i < N, not {text!r}")
    return i, n


def workload_args(p: argparse.ArgumentParser) -> None:
    """Options that choose the workload: the tile (--config) or your own design (--top)."""

    p.add_argument("campaign_file", nargs="?", type=Path, metavar="CAMPAIGN.toml",
                   help="a campaign file (docs/own-design.md); the options below override it")
    g = p.add_argument_group("workload: the tile (default) or your own design")
    g.add_argument("--config", default=None, choices=sorted(CONFIGS),
                   help="tile configuration (default: small)")
    g.add_argument("--gemm", type=_gemm, default=DEFAULT_GEMM,
                   help="tile workload GEMM MxKxN (default %(default)s)")
    g.add_argument("--gemm-seed", type=int, default=1, help="operand seed (default 1)")
    g.add_argument("--network", metavar="NAME", default=None,
                   help="application-level campaign: one inference of this network "
                        "(networks/models.json: digits_cnn, digits_mlp) on the tile "
                        "--config (default: small if the network fits it, else default)")
    g.add_argument("--images", type=int, default=None, metavar="N",
                   help=f"--network: test images in the inference (default {DEFAULT_IMAGES})")
    g.add_argument("--top", help="your design: top module with clk/rst/done/out_valid/out_data")
    g.add_argument("--sources", nargs="+", type=Path, help="your design's Verilog/SV files")
    g.add_argument("--preload", action="append", default=[], metavar="PATH=FILE.hex",
                   help="fill memory PATH from FILE (hex words) before reset")
    g.add_argument("--event", action="append", default=[], metavar="PATH:KIND[:MASK]",
                   help="state variable reporting protection: KIND corrected|detected")
    g.add_argument("--elem-bits", type=int, default=64,
                   help="output element width for error magnitudes (default 64)")
    g.add_argument("--signed", action="store_true", help="output elements are signed")
    g.add_argument("--verilator-arg", action="append", default=[], metavar="ARG",
                   help="extra Verilator argument (defines, include paths)")
    g.add_argument("--workload", metavar="MODULE:FUNCTION",
                   help="a Python function returning a fault_campaigns.workload.Workload "
                        "(MODULE importable, or FILE.py:FUNCTION)")
    g.add_argument("--clock", metavar="PORT", help="--top's clock input (default clk)")
    g.add_argument("--reset", metavar="PORT", help="--top's reset input (default rst)")
    g.add_argument("--reset-active-low", action="store_true",
                   help="the reset is active low (e.g. reset_n)")
    g.add_argument("--done", metavar="PORT", dest="done_port",
                   help="--top's output ending the job (default done)")
    g.add_argument("--valid", metavar="PORT", dest="valid_port",
                   help="--top's strobe: outputs are compared when it is high "
                        "(default out_valid)")
    g.add_argument("--observe", action="append", default=None, metavar="PORT",
                   help="--top's observed output, any width (repeatable; default out_data)")
    g.add_argument("--build-dir", type=Path, default=None, metavar="DIR",
                   help="where the Verilator builds go (default: the campaign file's "
                        "campaign.build_dir, else sim_build/)")


def recipe_from_args(args: argparse.Namespace) -> dict:
    """The recipe the options (or the campaign file) describe."""
    network = getattr(args, "network", None)
    chosen = [x for x in (getattr(args, "campaign_file", None), args.top, args.workload,
                          None if network else args.config, network) if x]
    if len(chosen) > 1:
        raise CampaignUsageError("give one of a campaign file, --config, --top (with "
                                 "--sources), --workload, --network (with --config)")
    if getattr(args, "images", None) is not None and not network:
        raise CampaignUsageError("--images is the image count of a --network campaign")
    ports = {k: v for k, v in (("clk", args.clock), ("rst", args.reset),
                               ("done", args.done_port), ("out_valid", args.valid_port),
                               ("out_data", args.observe)) if v}
    if args.reset_active_low:
        ports["rst_active_low"] = True
    if ports and not args.top:
        raise CampaignUsageError("--clock, --reset, --reset-active-low, --done, --valid and "
                                 "--observe name the ports of --top (a campaign file names "
                                 "them in its [clock], [reset] and [observe] tables)")
    if getattr(args, "campaign_file", None):
        recipe = load_campaign_file(args.campaign_file)
    elif args.workload:
        module, sep, func = args.workload.partition(":")
        here = Path(module.replace(".", "/") + ".py")
        if not module.endswith(".py") and here.is_file() and not _importable(module):
            module = str(here)  # a module in the current directory (not on sys.path)
        # a file is stored with its absolute path, so `orbitbench replay` finds it anywhere
        recipe = factory_recipe(f"{Path(module).resolve()}{sep}{func}" if module.endswith(".py")
                                else args.workload)
    elif network:
        images = DEFAULT_IMAGES if args.images is None else args.images
        recipe = network_recipe(network, network_config(network, args.config, images), images)
    elif args.top:
        if not args.sources:
            raise CampaignUsageError("--top needs --sources")
        preload = {}
        for item in args.preload:
            path, sep, file = item.partition("=")
            if not sep:
                raise CampaignUsageError(f"--preload wants PATH=FILE, not {item!r}")
            preload[path] = str(Path(file).resolve())
        recipe = {"kind": "verilog", "top": args.top,
                  "sources": [str(s.resolve()) for s in args.sources], "preload": preload,
                  "events": list(args.event), "elem_bits": args.elem_bits,
                  "elem_signed": args.signed, "args": list(args.verilator_arg)}
        if ports:
            recipe["ports"] = ports
    else:
        recipe = {"kind": "tile", "config": args.config or "small", "gemm": list(args.gemm),
                  "seed": args.gemm_seed}
    if args.build_dir is not None:
        recipe["build_dir"] = str(args.build_dir.resolve())
    check_recipe(recipe)
    return recipe


def _target_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--include", action="append", default=None, metavar="GLOB",
                   help="fault targets: hierarchical names matching GLOB (repeatable; "
                        "default: the workload's, 'tile.*' for the tile)")
    p.add_argument("--exclude", action="append", default=None, metavar="GLOB",
                   help="leave out names matching GLOB (repeatable)")
    p.add_argument("--roms", action="store_true",
                   help="also inject into read-only memories (none by default)")
    p.add_argument("--nets", action="store_true",
                   help="the targets are the design's combinational nets (named wires a "
                        "continuous assignment or combinational process drives) instead of "
                        "its flip-flops and memories: implied by --model set; with --model "
                        "stuck, nets stuck at 0/1")


def _seconds(args: argparse.Namespace, option: str, default: float) -> float:
    value = getattr(args, option.lstrip("-").replace("-", "_"))
    if value is None:
        return default
    if not (value > 0 and value < float("inf")):
        raise CampaignUsageError(f"{option} must be a positive number of seconds (e.g. "
                                 f"{default:g}), not {value:g}")
    return value


def _derating_args(args: argparse.Namespace, model: str | None) -> dict:
    """The latching-window figures of a transient campaign (``summarize`` keywords)."""
    given = [o for o in ("--set-pulse-width", "--clock-period")
             if getattr(args, o[2:].replace("-", "_")) is not None]
    if given and model is not None and model != "set":
        raise CampaignUsageError(f"{given[0]} derates the rate of transients: it needs "
                                 f"--model set, not {model}")
    return {"set_pulse_width_s": _seconds(args, "--set-pulse-width",
                                          DEFAULT_SET_PULSE_WIDTH_S),
            "clock_period_s": _seconds(args, "--clock-period", DEFAULT_CLOCK_PERIOD_S)}


def _derating_arg(p) -> None:
    p.add_argument("--set-pulse-width", type=float, default=None, metavar="SECONDS",
                   help="--model set: width of a transient at a flop input (default "
                        f"{DEFAULT_SET_PULSE_WIDTH_S:g} s, fault_campaigns.stats); the rate "
                        "is derated by min(1, width / clock period)")
    p.add_argument("--clock-period", type=float, default=None, metavar="SECONDS",
                   help="--model set: the design's clock period (default "
                        f"{DEFAULT_CLOCK_PERIOD_S:g} s, the 1 GHz clock of golden_models.power)")


def default_db(recipe: dict, seed: int, model: str, exhaustive: bool = False,
               at_cycles: tuple[int, ...] | None = None, nets: bool = False) -> Path:
    if recipe["kind"] == "file":
        name = file_settings(recipe)["name"]
    elif recipe["kind"] == "tile":
        m, k, n = recipe["gemm"]
        name = f"{recipe['config']}-gemm{m}x{k}x{n}-s{recipe['seed']}"
    elif recipe.get("ref") == NETWORK_FACTORY:
        kw = recipe["kwargs"]
        name = f"{kw['config']}-{kw['network']}-img{kw['images']}"
    else:
        name = recipe.get("top") or recipe.get("ref", "workload").replace(":", "-")
    at = f"-at{'_'.join(map(str, at_cycles))}" if at_cycles else ""
    how = f"exhaustive{at}" if exhaustive else f"seed{seed}{at}"
    kind = f"{model}-nets" if nets and model not in NET_MODELS else model
    return Path("campaigns") / f"{name}-{kind}-{how}.db"


def _calibrated(args: argparse.Namespace) -> int:
    """``--calibrated-from DB``: the model-level injectors against an RTL network campaign."""
    json_out = output_path(args.json, "--json")
    if not args.calibrated_from.exists():
        raise CampaignUsageError(f"--calibrated-from {args.calibrated_from}: no such file")
    count = 3600 if args.count is None else args.count
    naive = 1000 if args.naive_count is None else args.naive_count
    for name, value in (("--count", count), ("--naive-count", naive)):
        if value < 1:
            raise CampaignUsageError(f"{name} must be at least 1, not {value}")
    data = compare(args.calibrated_from, count, naive, 1 if args.seed is None else args.seed,
                   args.network)
    console.print(calibration_table(data).rich())
    crit = data["rtl"]["sdc_critical"]
    est = data["calibrated"]["sdc_critical"]["estimate"]
    console.print(f"calibrated critical-SDC rate {est:.4f} is "
                  f"{'inside' if data['calibrated_inside'] else 'OUTSIDE'} the RTL interval "
                  f"[{crit['low']:.4f}, {crit['high']:.4f}]")
    if json_out:
        write_json(json_out, data)
        console.print(f"summary: {json_out}")
    return 0


def _campaign(args: argparse.Namespace) -> int:
    if getattr(args, "calibrated_from", None) is not None:
        return _calibrated(args)
    if args.scheduler and args.executor != "dask":
        raise CampaignUsageError("--scheduler needs --executor dask")
    if args.watchdog is not None and not args.watchdog >= 0:
        raise CampaignUsageError(f"--watchdog must be >= 0 seconds (0: none), not "
                                 f"{args.watchdog}")
    json_out, html_out = output_path(args.json, "--json"), output_path(args.html, "--html")
    recipe = recipe_from_args(args)
    # a campaign file's [campaign] table gives the defaults; options override it
    given = file_settings(recipe) if recipe["kind"] == "file" else {}
    for key, default in (("count", None), ("margin", 0.01), ("confidence", 0.95), ("seed", 1),
                         ("model", "seu"), ("db", None)):
        if getattr(args, key) is None:
            setattr(args, key, given.get(key, default))
    if args.model not in FAULT_MODELS:
        raise CampaignUsageError(f"{recipe.get('path')}: campaign.model: must be one of "
                                 f"{', '.join(FAULT_MODELS)}, not {args.model!r}")
    if args.nets and args.model not in (*NET_MODELS, "stuck"):
        raise CampaignUsageError(f"--nets takes --model set or stuck, not {args.model} (it "
                                 "flips stored bits: flip-flops and memories)")
    derating = _derating_args(args, args.model)
    build_root = build_root_of(recipe)
    work = from_recipe(recipe, build_root)
    sizes = parse_sizes(args.mbu_sizes) if args.mbu_sizes else dict(DEFAULT_MBU_SIZES)
    if args.exhaustive and args.count is not None:
        raise CampaignUsageError("--exhaustive runs every fault once: give no --count")
    at_cycles = parse_cycles(args.at_cycles) if args.at_cycles else None
    spec = CampaignSpec(work, count=args.count, margin=args.margin, confidence=args.confidence,
                        seed=args.seed, model=args.model, sizes=sizes,
                        include=tuple(args.include) if args.include else None,
                        exclude=tuple(args.exclude) if args.exclude else None,
                        roms=args.roms, recipe=recipe,
                        sampling="exhaustive" if args.exhaustive else "distinct",
                        at_cycles=at_cycles, nets=args.nets)
    db = args.db or default_db(recipe, args.seed, args.model, args.exhaustive, at_cycles,
                               spec.on_nets)
    if args.shard != (0, 1) and args.db is None:
        db = db.with_name(f"{db.stem}-shard{args.shard[0]}of{args.shard[1]}.db")
    console.print(f"campaign [bold]{work.name}[/] on {work.top} -> {db}")
    bar, update = live_progress(work.name)

    def progress(state) -> None:  # the bar appears once the campaign runs, not before
        if not bar.live.is_started:
            bar.start()
        update(state)

    try:
        run_campaign(spec, db, workers=args.workers, executor=args.executor,
                     build_root=build_root,
                     address=args.scheduler, shard=args.shard, progress=progress,
                     limit=args.limit, snapshot=args.snapshot, watchdog=args.watchdog)
    except KeyboardInterrupt as exc:
        stop = Terminated if isinstance(exc, Terminated) else Interrupted
        raise stop(f"every result so far is kept in {db}; run the same command again to "
                   "resume") from None
    finally:
        if bar.live.is_started:
            bar.stop()
    summary = summarize(db, device=args.weibull, **derating)
    console.print(summary_table({work.name: summary}))
    for line in derating_lines({work.name: summary}):
        console.print(line, markup=False, highlight=False)
    for table in network_tables({work.name: summary}):
        console.print(table.rich())
    if json_out:
        write_json(json_out, summary)
        console.print(f"summary: {json_out}")
    if html_out:
        write_html(html_out, {work.name: summary})
        console.print(f"report: {html_out}")
    return 0


def _targets(args: argparse.Namespace) -> int:
    json_out = output_path(args.json, "--json")
    recipe = recipe_from_args(args)
    build_root = build_root_of(recipe)
    work = from_recipe(recipe, build_root)
    _, targets = select_targets(work, args.include or None, args.exclude or None,
                                roms=args.roms, nets=args.nets, build_root=build_root)
    if args.list:
        for v in targets.vars:
            console.print(f"{v.path}\t{v.kind}\t{v.width}x{v.depth}\t{v.bits}", markup=False,
                          highlight=False)
    if args.nets:
        table = Table(f"combinational nets of {work.top} (set and net stuck-at targets)",
                      ["module", "net bits", "nets"])
        for module, row in targets.per_module().items():
            table.add_row(module, row["net"], row["vars"])
        table.add_row(*(Mark(str(x), "strong") for x in ("total", targets.net_bits,
                                                           len(targets.vars))))
    else:
        table = Table(f"fault targets of {work.top}",
                      ["module", "flip-flop bits", "memory bits", "variables"])
        for module, row in targets.per_module().items():
            table.add_row(module, row["ff"], row["mem"], row["vars"])
        table.add_row(*(Mark(str(x), "strong") for x in ("total", targets.ff_bits,
                                                           targets.mem_bits, len(targets.vars))))
    console.print(table.rich())
    if json_out:
        write_json(json_out, [v.__dict__ for v in targets.vars], indent=1)
    return 0


def _replay(args: argparse.Namespace) -> int:

    out = replay(args.db, args.id, waves=args.waves)
    table = Table(f"replay of injection {args.id}", ["field", "value"],
                  [[k, v] for k, v in out.items()], left=("field", "value"), header=False)
    console.print(table.rich())
    return 0 if out["matches_database"] is not False else 1


def _merge(args: argparse.Namespace) -> int:
    merge(args.inputs, args.output)
    console.print(f"merged {len(args.inputs)} databases into {args.output}")
    return 0


def _report(args: argparse.Namespace) -> int:
    json_out, html_out = output_path(args.json, "--json"), output_path(args.html, "--html")
    if args.label and len(args.label) != len(args.dbs):
        raise CampaignUsageError(f"give one --label per database ({len(args.dbs)}), not "
                                 f"{len(args.label)}")
    summaries = {}
    derating = _derating_args(args, None)
    for i, db in enumerate(args.dbs):
        summary = (summarize(db, orbits=args.orbit, device=args.weibull, **derating)
                   if args.orbit else summarize(db, device=args.weibull, **derating))
        recipe = summary.get("recipe") or {}
        label = (args.label[i] if args.label else file_settings(recipe)["name"]
                 if recipe.get("kind") == "file" else Path(db).stem)
        summaries[label if label not in summaries else f"{label} ({Path(db).stem})"] = summary
    console.print(summary_table(summaries))
    for line in derating_lines(summaries):
        console.print(line, markup=False, highlight=False)
    for table in network_tables(summaries):
        console.print(table.rich())
    if json_out:
        write_json(json_out, summaries)
    if html_out:
        write_html(html_out, summaries)
        console.print(f"report: {html_out}")
    return 0


def _orbit(text: str) -> str | float:
    try:
        value: str | float = float(text)
    except ValueError:
        value = text
    try:
        orbit(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _weibull(text: str) -> Device:
    """``--weibull SIGMA_SAT,LET_TH,W,S``: a device from its heavy-ion Weibull fit."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4:
        raise argparse.ArgumentTypeError(
            f"--weibull needs 4 comma-separated numbers SIGMA_SAT,LET_TH,W,S, not {text!r}")
    try:
        weibull = WeibullParams(*values)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--weibull: {exc}") from None
    return Device(f"weibull({text})", weibull, source="user-supplied (--weibull)")


def _weibull_arg(p) -> None:
    p.add_argument("--weibull", type=_weibull, default=None, metavar="SIGMA_SAT,LET_TH,W,S",
                   help="device heavy-ion Weibull fit (cm^2/bit, MeV cm^2/mg, width, shape) "
                        "the orbit presets' rates and the predicted cross-section use "
                        "(default: golden_models.radiation.DEFAULT_DEVICE, an ASSUMPTION)")


def add_commands(sub) -> None:
    p = sub.add_parser("campaign", help="run (or resume) a fault-injection campaign",
                       description="Run a fault campaign (seu, mbu, stuck, set); re-running "
                                   "the same command resumes it from its database.")
    workload_args(p)
    _target_args(p)
    g = p.add_argument_group("sampling")
    g.add_argument("--count", type=int, default=None,
                   help="injections (default: Leveugle sample size for --margin)")
    g.add_argument("--margin", type=float, default=None, help="error margin (default 0.01)")
    g.add_argument("--confidence", type=float, default=None, help="default 0.95")
    g.add_argument("--seed", type=int, default=None, help="plan seed (default 1)")
    g.add_argument("--exhaustive", action="store_true",
                   help="inject every (target bit, cycle) once, in order: exact AVFs "
                        "(small designs; seu, stuck or set). Sampled campaigns draw distinct "
                        "faults (without replacement)")
    g.add_argument("--at-cycles", metavar="C,C,...", default=None,
                   help="inject only at these workload cycles (with --exhaustive: every bit "
                        "at each of them)")
    g.add_argument("--model", choices=FAULT_MODELS, default=None,
                   help="seu: single bits; mbu: memory strikes flip adjacent-bit clusters; "
                        "stuck: a bit stuck at 0 or 1 from the drawn cycle to the end; set: "
                        "a single-event transient, one bit of a combinational net inverted "
                        "for the evaluation before one clock edge (default seu)")
    g.add_argument("--mbu-sizes", metavar="S:P,...", default=None,
                   help="MBU cluster size distribution (default "
                        + ",".join(f"{k}:{v}" for k, v in DEFAULT_MBU_SIZES.items()) + ")")
    g = p.add_argument_group("execution")
    g.add_argument("--db", type=Path, default=None,
                   help="results database (default campaigns/<workload>-<model>-seed<S>.db)")
    g.add_argument("--workers", type=int, default=default_workers(),
                   help="local worker processes (default: all cores, %(default)s)")
    g.add_argument("--executor", choices=EXECUTORS, default="local")
    g.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="Dask scheduler address (default: a LocalCluster)")
    g.add_argument("--shard", type=_shard, default=(0, 1), metavar="i/N",
                   help="run only injections with id %% N == i (job arrays)")
    g.add_argument("--snapshot", choices=("copy", "fork"), default="copy",
                   help="engine snapshots: byte copy (default, checked) or fork (slower)")
    g.add_argument("--watchdog", type=float, default=None, metavar="SECONDS",
                   help="wall-clock seconds one injection may take before it is recorded as "
                        "a hang and its engine replaced (default: 10 + 20 x the golden "
                        "run's time per result; 0: no watchdog)")
    g.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    g.add_argument("--json", metavar="FILE", help="write the summary as JSON")
    g.add_argument("--html", metavar="FILE", help="write an HTML report")
    _weibull_arg(g)
    _derating_arg(g)
    g = p.add_argument_group("model-level injectors (no RTL)")
    g.add_argument("--calibrated-from", type=Path, default=None, metavar="DB",
                   help="inject the fault-effect patterns of this RTL network campaign into "
                        "the int8 model over the whole test split (--count draws, default "
                        "3600) and compare with the RTL and a naive bit-flip injector")
    g.add_argument("--naive-count", type=int, default=None, metavar="N",
                   help="--calibrated-from: naive bit flips (default 1000)")
    p.set_defaults(func=_campaign)

    p = sub.add_parser("targets", help="list a design's fault targets and bits per module")
    workload_args(p)
    _target_args(p)
    p.add_argument("--list", action="store_true", help="print every target variable")
    p.add_argument("--json", metavar="FILE", help="write the target list as JSON")
    p.set_defaults(func=_targets)

    p = sub.add_parser("replay", help="re-run one injection of a campaign, with waves")
    p.add_argument("db", type=Path)
    p.add_argument("id", type=int)
    p.add_argument("--waves", type=Path, metavar="OUT.fst", help="write an FST waveform")
    p.set_defaults(func=_replay)

    p = sub.add_parser("merge", help="merge shard databases of one campaign")
    p.add_argument("output", type=Path)
    p.add_argument("inputs", type=Path, nargs="+")
    p.set_defaults(func=_merge)

    p = sub.add_parser("report", help="summarise campaign databases (table, JSON, HTML)")
    p.add_argument("dbs", type=Path, nargs="+")
    p.add_argument("--label", action="append", default=None,
                   help="name of each database in the table (repeatable, in order; default: "
                        "a campaign file's name, else the file name)")
    p.add_argument("--orbit", action="append", type=_orbit, default=None,
                   help="orbit preset or SEU/bit/day (repeatable; default all presets)")
    _weibull_arg(p)
    _derating_arg(p)
    p.add_argument("--json", metavar="FILE")
    p.add_argument("--html", metavar="FILE")
    p.set_defaults(func=_report)


CAMPAIGN_ERRORS = (CampaignUsageError,)

if __name__ == "__main__":  # pragma: no cover
    sys.exit("use the orbitbench command")
