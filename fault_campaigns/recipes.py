"""Workloads from a small JSON-able recipe, so a database can name (and rebuild) its workload.

Three kinds, the same the CLI offers:

``{"kind": "tile", "config": "small_ecc", "gemm": [16, 32, 16], "seed": 1}``
    The tile's GEMM workload (:func:`fault_campaigns.tile_workload.tile_workload`).
``{"kind": "verilog", "top": "...", "sources": [...], "preload": {"path": "words.hex"},
  "events": ["path:corrected[:mask]", ...], "elem_bits": 8, "elem_signed": true,
  "include": [...], "exclude": [...], "args": [...]}``
    Your own design: a top module with the engine's ports (see
    :mod:`fault_campaigns.workload`). Preload files hold one hexadecimal word per line.
``{"kind": "file", "path": "...", "dir": "...", "text": "..."}``
    A campaign file (:mod:`fault_campaigns.campaign_file`): its TOML text and directory.
``{"kind": "factory", "ref": "package.module:function", "kwargs": {...}}``
    Any Python function returning a :class:`~fault_campaigns.workload.Workload`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from pathlib import Path

from orbitbench.sim import SIM_BUILD
from orbitbench.spec.errors import InputFileError, UsageError
from orbitbench.spec.params import get_config

from . import campaign_file
from .campaign_file import file_workload
from .engine import Ports
from .tile_workload import tile_workload
from .workload import Preload, Workload, import_function, parse_event, read_words

__all__ = ["from_recipe", "build_root_of", "check_recipe", "tile_recipe", "factory_recipe",
           "resolve_factory", "parse_event", "read_words", "FACTORY_ALIASES", "WorkloadError"]

#: Workload factories that moved: the reference a database stored -> where it lives now.
#: Databases name their workload by reference, so an old one must keep resolving.
FACTORY_ALIASES = {
    # moved from the nightly suite module into the workload module (2026-12, layering)
    "fault_campaigns.noc_nightly:noc_profile_workload":
        "fault_campaigns.noc_workload:noc_profile_workload",
}


class WorkloadError(UsageError, ValueError):
    """The recipe names a workload that cannot be built (bad reference, bad kind)."""


def from_recipe(recipe: Mapping, build_root: Path = SIM_BUILD) -> Workload:
    """The workload a recipe describes. A campaign file's (``"file"``) is checked against
    the design's port list, analysed in ``build_root`` (or the file's build directory)."""
    kind = recipe.get("kind")
    if kind == "tile":
        try:
            work = tile_workload(get_config(recipe["config"]), tuple(recipe["gemm"]),
                                 int(recipe["seed"]))
        except FileNotFoundError as exc:  # the tile's RTL: make rtl
            raise InputFileError(str(exc)) from None
        except ValueError as exc:  # a GEMM the tile or its harness cannot hold
            raise WorkloadError(f"tile workload: {exc}") from None
    elif kind == "verilog":
        sources = tuple(Path(s).resolve() for s in recipe["sources"])
        work = Workload(
            name=recipe.get("name") or recipe["top"], top=recipe["top"], sources=sources,
            include=tuple(recipe.get("include") or ("*",)),
            exclude=tuple(recipe.get("exclude") or ()),
            preload=tuple(Preload(p, read_words(Path(f)))
                          for p, f in (recipe.get("preload") or {}).items()),
            events=tuple(parse_event(e) for e in recipe.get("events") or ()),
            elem_bits=int(recipe.get("elem_bits", 64)),
            elem_signed=bool(recipe.get("elem_signed", False)),
            extra_args=tuple(recipe.get("args") or ()),
            ports=_ports(recipe.get("ports") or {}))
    elif kind == "file":
        work = file_workload(recipe, build_root_of(recipe, build_root))
    elif kind == "factory":
        work = resolve_factory(str(recipe["ref"]))(**(recipe.get("kwargs") or {}))
        if not isinstance(work, Workload):
            raise WorkloadError(f"{recipe['ref']} returned {type(work).__name__}, not a "
                                "fault_campaigns.workload.Workload")
    else:
        raise WorkloadError("recipe kind must be 'tile', 'verilog', 'file' or 'factory', "
                            f"not {kind!r}")
    return work


def _ports(names: Mapping) -> Ports:
    names = dict(names)
    if isinstance(names.get("out_data"), list):
        names["out_data"] = tuple(names["out_data"])
    return Ports(**names)


def build_root_of(recipe: Mapping, default: Path = SIM_BUILD) -> Path:
    """Where the recipe's builds go: its ``build_dir`` (a campaign file's
    ``campaign.build_dir``), else ``default``."""
    if recipe.get("build_dir"):
        return Path(recipe["build_dir"])
    if recipe.get("kind") == "file":
        return Path(campaign_file.file_settings(recipe).get("build_dir") or default)
    return Path(default)


def resolve_factory(ref: str):
    """The function ``ref`` (``package.module:function``) names, through :data:`FACTORY_ALIASES`.

    Raises
    ------
    WorkloadError
        ``ref`` is not ``module:function``, the module cannot be imported or has no such
        function.
    """
    ref = FACTORY_ALIASES.get(ref, ref)
    module, _, func = ref.partition(":")
    if not module or not func:
        raise WorkloadError(f"a workload factory is 'module:function', not {ref!r}")
    source: str | Path = module
    if module.endswith(".py"):  # a file: FILE.py:function (stored with its absolute path)
        source = Path(module)
        if not source.is_file():
            raise WorkloadError(f"workload {ref!r}: no file {module}")
    try:
        return import_function(source, func)
    except ModuleNotFoundError as exc:
        if isinstance(source, Path):
            raise
        raise WorkloadError(f"workload {ref!r}: no module {exc.name!r} (the module must be "
                            "importable: on PYTHONPATH, or a file in the current "
                            "directory; or give FILE.py:function)") from None
    except LookupError:
        named = module if isinstance(source, Path) else f"module {module!r}"
        raise WorkloadError(f"workload {ref!r}: {named} has no function {func!r}") from None


def tile_recipe(config: str, gemm: Sequence[int], seed: int = 1) -> dict:
    """The recipe of the tile's GEMM workload (the ``"tile"`` kind)."""
    return {"kind": "tile", "config": config, "gemm": [int(x) for x in gemm], "seed": seed}


def factory_recipe(ref: str, **kwargs) -> dict:
    """The recipe of the workload ``ref`` (``package.module:function``) returns for
    ``kwargs`` (the ``"factory"`` kind)."""
    return {"kind": "factory", "ref": ref, "kwargs": kwargs}


def check_recipe(recipe: Mapping) -> None:
    """Check ``recipe`` without building anything: its kind, the tile configuration and GEMM
    shape, the factory (importable, and ``kwargs`` fit its signature), a design's top and
    sources. :func:`from_recipe` may still refuse it later (e.g. a GEMM too large for the
    tile's harness), but a misspelt name fails here, in milliseconds.

    Raises
    ------
    WorkloadError
        What is wrong with the recipe.
    """
    kind = recipe.get("kind")
    if kind == "tile":
        missing = [k for k in ("config", "gemm", "seed") if k not in recipe]
        if missing:
            raise WorkloadError(f"a tile recipe needs {', '.join(missing)}: {dict(recipe)}")
        try:
            get_config(recipe["config"])
        except ValueError as exc:
            raise WorkloadError(str(exc)) from None
        gemm = recipe["gemm"]
        if (isinstance(gemm, str | bytes) or not isinstance(gemm, Sequence) or len(gemm) != 3
                or not all(isinstance(x, int) and x >= 1 for x in gemm)):
            raise WorkloadError(f"a tile recipe's gemm is [M, K, N] >= 1, not {gemm!r}")
    elif kind == "factory":
        func = resolve_factory(str(recipe.get("ref")))
        kwargs = recipe.get("kwargs") or {}
        try:
            inspect.signature(func).bind(**kwargs)
        except TypeError as exc:
            raise WorkloadError(f"workload {recipe['ref']!r}: {exc}") from None
    elif kind == "file":
        campaign_file.check(recipe)
    elif kind == "verilog":
        if not recipe.get("top") or not recipe.get("sources"):
            raise WorkloadError(f"a verilog recipe needs top and sources: {dict(recipe)}")
        for source in recipe["sources"]:
            if not Path(source).is_file():
                raise WorkloadError(f"verilog recipe of {recipe['top']!r}: no file {source}")
    else:
        raise WorkloadError("recipe kind must be 'tile', 'verilog', 'file' or 'factory', "
                            f"not {kind!r}")
