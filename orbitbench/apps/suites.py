"""Fault-campaign suites: every nightly and NoC campaign in one table, run by one runner.

A suite is a named list of profiles (:data:`SUITES`); a :class:`Profile` is one campaign: a
workload recipe (:mod:`fault_campaigns.recipes`), a fault model, fault targets
(include/exclude globs), a sample size (a count, or the Leveugle size for a margin), a label,
and the database file it runs or resumes in (``<out>/<db>.db``). Adding a profile to a
suite is one row of the table. The gate (:mod:`.gate`) builds its two-profile suite from its
reviewed file and runs it the same way.

:func:`run_suite` runs the profiles in order with live progress (:mod:`.ui`). Its one error
policy: a profile that cannot be prepared, or whose run fails with a user-facing error
(:data:`USER_ERRORS`), is reported on the terminal, in the summary table, ``summary.json``
and ``report.html``, and skipped; the other profiles still run; the exit status
(:attr:`SuiteResult.status`) is 1 when one failed. Any other exception is a bug and
propagates with its traceback. :func:`suite_main` is the command line of a suite
(``make campaign``: ``nightly``; ``make campaign-noc``: ``noc``; ``make campaign-network``:
``network``).
"""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from fault_campaigns.campaign import EXECUTORS, CampaignSpec, default_workers, run_campaign
from fault_campaigns.db import CampaignDBError
from fault_campaigns.engine import EngineError
from fault_campaigns.multitile_workload import DEFAULT_GEMM as MT_GEMM
from fault_campaigns.multitile_workload import LINK_TARGETS
from fault_campaigns.network_workload import network_recipe
from fault_campaigns.plan import FAULT_MODELS
from fault_campaigns.prepare import GoldenMismatch
from fault_campaigns.recipes import check_recipe, factory_recipe, from_recipe, tile_recipe
from fault_campaigns.summary import summarize
from fault_campaigns.targets import TargetError
from fault_campaigns.tile_workload import DEFAULT_GEMM as TILE_GEMM
from orbitbench.sim import ToolchainError
from orbitbench.spec.errors import UsageError

from . import ui
from .report import network_tables, summary_table, write_html, write_json

__all__ = ["Profile", "Suite", "Overrides", "SuiteResult", "SuiteError", "SUITES",
           "USER_ERRORS", "campaign_spec", "run_suite", "report_suite", "suite_parser",
           "suite_main", "overrides_from_args", "positive_int", "recipe_params"]

#: What a profile may fail with and be reported and skipped: the UsageError family, plus the
#: user-facing errors of the layers below that do not derive from it yet (the command line,
#: orbitbench.cli.main, prints the same ones as one line). ValueError is what parameter
#: checks still raise (a GEMM too large for the harness, a mesh out of range).
USER_ERRORS = (UsageError, ValueError, FileNotFoundError, TargetError, GoldenMismatch,
               EngineError, CampaignDBError, ToolchainError)

#: Keys of ``summary.json`` that are not profiles.
_RESERVED = ("errors", "verdict")


class SuiteError(UsageError, ValueError):
    """A suite or profile name that does not exist."""


@dataclass(frozen=True)
class Profile:
    """One campaign of a suite.

    Members
    -------
    name : str
        Label in tables and reports; what ``--profiles`` selects.
    recipe : mapping
        The workload (:mod:`fault_campaigns.recipes`), JSON-able; stored in the database.
    model : str
        Fault model, one of :data:`fault_campaigns.plan.FAULT_MODELS`.
    include, exclude : tuple of str or None
        Fault-target globs (None: the workload's own).
    count : int or None
        Injections; None: the Leveugle sample size for ``margin`` at ``confidence``.
    margin, confidence, seed : float, float, int
        Sampling margin and confidence level, seed of the injection plan.
    db : str or None
        Database file stem (default ``name``). Existing campaign directories resume by this
        name: never rename one.
    """

    name: str
    recipe: Mapping
    model: str = "seu"
    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None
    count: int | None = None
    margin: float = 0.01
    confidence: float = 0.95
    seed: int = 1
    db: str | None = None

    @property
    def db_file(self) -> str:
        return f"{self.db or self.name}.db"


@dataclass(frozen=True)
class Suite:
    """A named, ordered list of profiles; ``title`` heads its report, ``out`` is its default
    output directory. Names and database files are unique within a suite."""

    name: str
    title: str
    out: Path
    profiles: tuple[Profile, ...]

    def __post_init__(self):
        for what, values in (("profile", self.names), ("database",
                                                       [p.db_file for p in self.profiles])):
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                raise ValueError(f"suite {self.name!r}: {what} {', '.join(twice)} appears twice")
        reserved = [n for n in self.names if n in _RESERVED]
        if reserved:
            raise ValueError(f"suite {self.name!r}: {reserved[0]!r} is not a profile name")

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.profiles]

    def select(self, names: str | Sequence[str]) -> Suite:
        """The suite with only ``names`` (a list, or comma-separated text), in that order.

        Raises
        ------
        SuiteError
            A name is not a profile of the suite, or none is given.
        """
        wanted = [n.strip() for n in (names.split(",") if isinstance(names, str) else names)
                  if n.strip()]
        if not wanted or any(n not in self.names for n in wanted):
            text = names if isinstance(names, str) else ",".join(names)
            raise SuiteError(f"profiles must be a comma-separated subset of "
                             f"{', '.join(self.names)}, not {text!r}")
        by_name = {p.name: p for p in self.profiles}
        return replace(self, profiles=tuple(by_name[n] for n in dict.fromkeys(wanted)))


def _tile(config: str) -> dict:
    return tile_recipe(config, TILE_GEMM, seed=1)


def _multitile(config: str) -> dict:
    return factory_recipe("fault_campaigns.multitile_workload:multitile_workload",
                          config=config, gemm=list(MT_GEMM), seed=1)


def _noc(protection: str) -> dict:
    return factory_recipe("fault_campaigns.noc_workload:noc_profile_workload",
                          protection=protection, mesh_x=2, mesh_y=2, seed=1)


#: ``make campaign``: the tile's GEMM on the small tile (where every hardening profile is
#: generated), memory strikes as clusters, Leveugle size for a 1 % margin at 95 %.
_NIGHTLY = {"model": "mbu", "margin": 0.01}
#: ``make campaign-noc``: single upsets, 200 per profile.
_NOC = {"model": "seu", "count": 200}

#: "Datapath only": the systolic array (with ABFT its checksum PEs), the requantizer lanes
#: (with ABFT their duplicates) and the ABFT checker.
DATAPATH_TARGETS = ("tile.datapath.array.*", "tile.datapath.requant_*", "tile.datapath.abft.*")

#: ``make campaign-network``: one inference of 2 test images, single upsets, 300 per
#: profile: the CNN on the small tile in every hardening profile, the MLP (its K = 64 needs
#: the default geometry) on default and default_tmr.
_NET = {"model": "seu", "count": 300}


def _net(network: str, config: str) -> dict:
    return network_recipe(network, config, 2)


#: suite name -> its profiles.
SUITES: dict[str, Suite] = {s.name: s for s in (
    Suite("nightly", "orbitbench nightly fault campaign", Path("campaigns/nightly"), (
        Profile("none", _tile("small"), db="small", **_NIGHTLY),
        Profile("tmr", _tile("small_tmr"), db="small_tmr", **_NIGHTLY),
        Profile("ecc", _tile("small_ecc"), db="small_ecc", **_NIGHTLY),
        Profile("ecc_tmr", _tile("small_ecc_tmr"), db="small_ecc_tmr", **_NIGHTLY),
        Profile("abft", _tile("small_abft"), db="small_abft", **_NIGHTLY),
        Profile("ecc_tmr_abft", _tile("small_ecc_tmr_abft"), db="small_ecc_tmr_abft",
                **_NIGHTLY),
        # the datapath alone (array and requantizers): where ABFT acts
        Profile("ecc_tmr_dp", _tile("small_ecc_tmr"), include=DATAPATH_TARGETS, **_NIGHTLY),
        Profile("abft_dp", _tile("small_abft"), include=DATAPATH_TARGETS, **_NIGHTLY),
    )),
    Suite("noc", "orbitbench NoC fault campaigns", Path("campaigns/noc"), (
        # the multi-tile top: every state bit, or only the NoC's link words
        Profile("mt_none", _multitile("mt2x2"), **_NOC),
        Profile("mt_hard", _multitile("mt2x2_hard"), **_NOC),
        Profile("mt_none_link", _multitile("mt2x2"), include=LINK_TARGETS, **_NOC),
        Profile("mt_hard_link", _multitile("mt2x2_hard"), include=LINK_TARGETS, **_NOC),
        # the mesh alone, per link protection
        Profile("noc_none", _noc("none"), **_NOC),
        Profile("noc_secded", _noc("secded"), **_NOC),
        Profile("noc_crc", _noc("crc"), **_NOC),
        Profile("noc_hard", _noc("hard"), **_NOC),
    )),
    Suite("network", "orbitbench application-level network campaigns",
          Path("campaigns/network"), (
        *(Profile(f"cnn_{h}", _net("digits_cnn", c), **_NET) for h, c in (
            ("none", "small"), ("tmr", "small_tmr"), ("ecc", "small_ecc"),
            ("ecc_tmr", "small_ecc_tmr"), ("abft", "small_abft"),
            ("ecc_tmr_abft", "small_ecc_tmr_abft"))),
        Profile("mlp_none", _net("digits_mlp", "default"), **_NET),
        Profile("mlp_tmr", _net("digits_mlp", "default_tmr"), **_NET),
    )),
)}


def recipe_params(recipe: Mapping) -> Mapping:
    """The parameters of a recipe that options may override (a factory's ``kwargs``)."""
    if recipe.get("kind") == "factory":
        return recipe.get("kwargs") or {}
    return recipe


@dataclass(frozen=True)
class Overrides:
    """What a run changes in every profile (None: each profile's own). ``params`` replace
    recipe parameters, only in the recipes that have them (``gemm`` changes the tile and
    multi-tile workloads, not the mesh-alone ones)."""

    count: int | None = None
    margin: float | None = None
    seed: int | None = None
    model: str | None = None
    params: Mapping[str, object] = field(default_factory=dict)

    def apply(self, profile: Profile) -> Profile:
        recipe = copy.deepcopy(dict(profile.recipe))
        target = recipe_params(recipe)
        for key, value in self.params.items():
            if key in target:
                target[key] = value
        changes = {k: getattr(self, k) for k in ("count", "margin", "seed", "model")
                   if getattr(self, k) is not None}
        return replace(profile, recipe=recipe, **changes)


@dataclass
class SuiteResult:
    """What :func:`run_suite` did: summaries of the profiles that ran (name ->
    :func:`fault_campaigns.summary.summarize`), the messages of those that did not."""

    suite: Suite
    summaries: dict[str, dict] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> int:
        """Exit status: 1 when a profile failed, else 0."""
        return 1 if self.errors else 0

    def as_json(self) -> dict:
        """``summary.json``: profile -> summary, plus ``errors`` when a profile failed."""
        return {**self.summaries, **({"errors": dict(self.errors)} if self.errors else {})}


def campaign_spec(profile: Profile) -> CampaignSpec:
    """The campaign of ``profile``, its workload built from the recipe (checked first)."""
    check_recipe(profile.recipe)
    return CampaignSpec(from_recipe(profile.recipe), count=profile.count,
                        margin=profile.margin, confidence=profile.confidence,
                        seed=profile.seed, model=profile.model, include=profile.include,
                        exclude=profile.exclude, recipe=profile.recipe)


def run_suite(suite: Suite, out_dir: Path, *, overrides: Overrides = Overrides(),
              workers: int | None = None, executor: str = "local", address: str | None = None,
              console: Console | None = None) -> SuiteResult:
    """Run or resume every profile of ``suite`` into ``out_dir/<db>.db``, in order.

    A profile that fails with one of :data:`USER_ERRORS` is reported and skipped (see the
    module docstring); anything else propagates.
    """
    console = console or ui.console
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    width = max((len(p.name) for p in suite.profiles), default=0)
    result = SuiteResult(suite)
    for profile in suite.profiles:
        profile = overrides.apply(profile)
        db = out_dir / profile.db_file
        try:
            spec = campaign_spec(profile)
            bar, update = ui.live_progress(f"{profile.name:{width}s}")
            with bar:
                run_campaign(spec, db, workers=workers, executor=executor, address=address,
                             progress=update)
            result.summaries[profile.name] = summarize(db)
        except USER_ERRORS as exc:
            result.errors[profile.name] = f"{type(exc).__name__}: {exc}"
            console.print(f"[red]profile {escape(profile.name)} failed[/red]: "
                          f"{escape(result.errors[profile.name])}")
    return result


def report_suite(result: SuiteResult, out_dir: Path, *, console: Console | None = None,
                 verdict: Mapping | None = None) -> None:
    """Print the summary table; write ``out_dir/summary.json`` and ``report.html``.

    ``verdict`` (``{"passed": bool, "reasons": [str, ...], ...}``, the gate's) is stored in
    ``summary.json`` under ``verdict`` and heads the report.
    """
    console = console or ui.console
    out_dir = Path(out_dir)
    console.print(summary_table(result.summaries, errors=result.errors))
    for table in network_tables(result.summaries):
        console.print(table.rich())
    data = result.as_json()
    if verdict is not None:
        data["verdict"] = dict(verdict)
    write_json(out_dir / "summary.json", data)
    write_html(out_dir / "report.html", result.summaries, result.suite.title, result.errors,
               verdict)
    console.print(f"summary: {out_dir / 'summary.json'}\nreport:  {out_dir / 'report.html'}")


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _margin(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), not {value}")
    return value


def _dims(form: str):
    """Parse ``AxB...`` with one positive integer per letter of ``form`` (``"MxKxN"``)."""
    def parse(text: str) -> list[int]:
        try:
            dims = [int(x) for x in text.lower().split("x")]
        except ValueError:
            dims = []
        if len(dims) != len(form.split("x")) or min(dims) < 1:
            raise argparse.ArgumentTypeError(f"expected {form}, not {text!r}")
        return dims
    return parse


def _own(suite: Suite, attr: str) -> str:
    """The profiles' common value of ``attr`` for a help text."""
    values = {getattr(p, attr) for p in suite.profiles}
    if len(values) != 1:
        return "each profile's"
    value = values.pop()
    return "the Leveugle size for --margin" if attr == "count" and value is None else str(value)


def _has(suite: Suite, key: str) -> bool:
    return any(key in recipe_params(p.recipe) for p in suite.profiles)


def suite_parser(suite: Suite, prog: str, description: str) -> argparse.ArgumentParser:
    """The command line of ``suite``: output directory, profiles, sampling, execution, and
    the recipe parameters its workloads have (``--gemm``, ``--mesh``)."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--out", type=Path, default=suite.out,
                   help="campaign databases, summary.json, report.html (default %(default)s)")
    p.add_argument("--profiles", type=_profiles_of(suite), default=None,
                   help=f"comma-separated subset of {','.join(suite.names)} (default: all)")
    p.add_argument("--count", type=positive_int, default=None,
                   help=f"injections per profile (default: {_own(suite, 'count')})")
    if any(q.count is None for q in suite.profiles):
        p.add_argument("--margin", type=_margin, default=None,
                       help=f"Leveugle error margin when no count is set (default: "
                            f"{_own(suite, 'margin')})")
    p.add_argument("--seed", type=int, default=None,
                   help=f"injection plan seed (default: {_own(suite, 'seed')})")
    p.add_argument("--model", default=None, choices=FAULT_MODELS,
                   help=f"fault model (default: {_own(suite, 'model')})")
    if _has(suite, "gemm"):
        gemms = {"x".join(map(str, recipe_params(q.recipe)["gemm"])) for q in suite.profiles
                 if "gemm" in recipe_params(q.recipe)}
        p.add_argument("--gemm", type=_dims("MxKxN"), default=None,
                       help=f"GEMM MxKxN of the workloads that have one (default "
                            f"{', '.join(sorted(gemms))})")
    if _has(suite, "mesh_x"):
        p.add_argument("--mesh", type=_dims("XxY"), default=None,
                       help="mesh XxY of the mesh-alone workloads (default 2x2)")
    p.add_argument("--workers", type=positive_int, default=default_workers(),
                   help="local worker processes (default: all cores, %(default)s)")
    p.add_argument("--executor", choices=EXECUTORS, default="local")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address")
    return p


def _profiles_of(suite: Suite):
    def parse(text: str) -> Suite:
        try:
            return suite.select(text)
        except SuiteError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


def overrides_from_args(args: argparse.Namespace) -> Overrides:
    """The :class:`Overrides` of parsed :func:`suite_parser` options."""
    params: dict[str, object] = {}
    if getattr(args, "gemm", None):
        params["gemm"] = args.gemm
    if getattr(args, "mesh", None):
        params["mesh_x"], params["mesh_y"] = args.mesh
    return Overrides(count=args.count, margin=getattr(args, "margin", None), seed=args.seed,
                     model=args.model, params=params)


def suite_main(suite: Suite, argv: Sequence[str] | None, *, prog: str,
               description: str) -> int:
    """Parse ``argv`` (:func:`suite_parser`), run the suite, report it; the exit status."""
    args = suite_parser(suite, prog, description).parse_args(argv)
    t0 = time.time()
    result = run_suite(args.profiles or suite, args.out, overrides=overrides_from_args(args),
                       workers=args.workers, executor=args.executor, address=args.scheduler)
    report_suite(result, args.out)
    ui.console.print(f"({time.time() - t0:.0f} s)")
    for name, message in result.errors.items():
        ui.console.print(f"[red]failed:[/red] {escape(name)}: {escape(message)}")
    return result.status
