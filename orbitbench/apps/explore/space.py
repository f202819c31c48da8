"""A design space for ``orbitbench explore``: the TOML file, validated, and its points.

A space file names the choices to compare and what to judge them on (``docs/explore.md``
shows every key)::

    name = "default"
    orbit = "leo400"              # upset-rate preset (orbitbench campaign --orbit)
    thermal = "hot_degraded"      # orbit and radiator of the throttling metric

    [tile]                        # choices that change the RTL (one build each)
    array = ["4x4", "8x8"]        # rows x cols of processing elements
    scratchpad = [32]             # max_m = max_k = max_n of the scratchpads
    hardening = ["none", "tmr", "abft", "ecc_tmr_abft"]
    ecc_interleave = [2]          # ECC profiles only
    tmr_groups = [[], ["controller.ctrl_state"]]  # selective TMR (profiles without tmr)

    [runtime]                     # choices software makes on the same RTL
    scrub_interval = [64, 65536]  # cycles per scrubbed word (ECC profiles only)
    dvfs_level = [0, 1]           # lowest operating point, 0..3
    trip_c = [[85, 95, 105]]      # throttle trip points TRIP1..TRIP3 in degC

    [workload]
    gemm = [[16, 32, 16]]         # M, K, N per inference; the first is the campaigns'
    seed = 1

    [campaign]
    model = "mbu"
    initial = 300                 # injections per design to start with
    max = 2400                    # budget per design
    confidence = 0.95
    stuck = 300                   # stuck-at injections per design (latent fault metric)

    [checks]
    thermal_rtl = 1               # front designs whose throttling is re-run on the RTL

A knob that cannot matter for a point (an interleave or scrub interval without ECC) is not
multiplied out: such points would be identical. Every mistake is a :class:`SpaceError`
naming the key and what is allowed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from fault_campaigns.network_workload import DEFAULT_IMAGES, MAX_IMAGES, network_case
from fault_campaigns.plan import FAULT_MODELS
from fault_campaigns.stats import ORBITS
from golden_models.scrub import SCRUB_INTERVAL_MAX
from golden_models.thermal_loop import SCENARIOS
from orbitbench.driver.network import NetworkError, load_model
from orbitbench.spec.errors import InputFileError, ParameterError
from orbitbench.spec.params import CONFIGS, HARDENING_PROFILES, TileConfig

__all__ = ["SpaceError", "Space", "Design", "Point", "load_space", "parse_space"]

_TOP = ("name", "orbit", "thermal", "tile", "runtime", "workload", "campaign", "checks")
_CHECKS = ("thermal_rtl",)
_TILE = ("array", "scratchpad", "hardening", "ecc_interleave", "tmr_groups")
_RUNTIME = ("scrub_interval", "dvfs_level", "trip_c")
_WORKLOAD = ("gemm", "network", "images", "seed")
_CAMPAIGN = ("model", "initial", "max", "confidence", "seed", "stuck")
_CAMPAIGN_MODELS = tuple(m for m in FAULT_MODELS if m in ("seu", "mbu"))
_MAX_POINTS = 512


class SpaceError(ParameterError):
    """A space file that is not valid; the message names the file and the key."""


@dataclass(frozen=True)
class Design:
    """One RTL design of the space: a tile configuration (one Verilator build)."""

    cfg: TileConfig
    registered: bool  # the same as a CONFIGS entry: its RTL is rtl/'s

    @property
    def label(self) -> str:
        c = self.cfg
        il = f" i{c.ecc_interleave}" if c.ecc else ""
        sel = f"+sel{len(c.tmr_groups)}" if c.tmr_groups else ""
        return f"{c.rows}x{c.cols} s{c.max_k} {c.hardening}{sel}{il}"

    @property
    def key(self) -> str:
        """Identity of the design for the cache: its generator parameters (not its name)."""
        params = {k: v for k, v in self.cfg.as_dict().items() if k != "name"}
        return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Point:
    """One design point: a design and the runtime choices made on it."""

    design: Design
    scrub_interval: int | None  # None: no ECC, no scrubber
    dvfs_level: int
    trip_c: tuple[int, int, int]

    @property
    def label(self) -> str:
        scrub = f" scrub{self.scrub_interval}" if self.scrub_interval is not None else ""
        trips = "/".join(str(t) for t in self.trip_c)
        return f"{self.design.label}{scrub} dvfs{self.dvfs_level} trip{trips}"


@dataclass(frozen=True)
class Space:
    name: str
    orbit: str
    thermal: str
    designs: tuple[Design, ...]
    points: tuple[Point, ...]
    gemms: tuple[tuple[int, int, int], ...]
    seed: int
    model: str
    initial: int
    max_injections: int
    confidence: float
    campaign_seed: int
    stuck: int = 0  # stuck-at injections per design (the latent fault metric); 0: none
    thermal_rtl: int = 0  # front designs whose thermal figure is re-run on the RTL
    network: str | None = None  # a model of networks/models.json instead of the GEMM set
    images: int = DEFAULT_IMAGES  # test images per network inference (one batch)
    source: Mapping = field(default_factory=dict)  # the file's table, for the report

    @property
    def workload_key(self) -> str:
        if self.network is not None:
            return json.dumps({"network": self.network, "images": self.images,
                               "seed": self.seed})
        return json.dumps({"gemm": [list(g) for g in self.gemms], "seed": self.seed})

    def gemms_of(self, design: Design) -> tuple[tuple[int, int, int], ...]:
        """The GEMMs of one inference on ``design``: the GEMM set, or the network's tile
        commands for a batch of ``images`` (they depend on the array and scratchpads)."""
        if self.network is None:
            return self.gemms
        case = network_case(self.network, design.cfg, self.images)
        return tuple((j.cmd.m, j.cmd.k, j.cmd.n) for j in case.program.jobs)


def load_space(path: Path) -> Space:
    """Read and validate a space file."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputFileError(f"space file {path} does not exist") from None
    except OSError as exc:
        raise InputFileError(f"space file {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpaceError(f"{path}: not valid TOML ({exc})") from None
    return parse_space(data, str(path))


def _keys(where: str, table, allowed: tuple[str, ...]) -> Mapping:
    if not isinstance(table, Mapping):
        raise SpaceError(f"{where} must be a table")
    for key in table:
        if key not in allowed:
            raise SpaceError(f"{where}.{key}: unknown key; allowed: {', '.join(allowed)}"
                             if where else f"{key}: unknown key; allowed: {', '.join(allowed)}")
    return table


def _list(where: str, value, default: list) -> list:
    if value is None:
        return default
    if not isinstance(value, list) or not value:
        raise SpaceError(f"{where} must be a non-empty list, not {value!r}")
    return value


def _int(where: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise SpaceError(f"{where} must be an integer from {lo} to {hi}, not {value!r}")
    return value


def _array(where: str, value) -> tuple[int, int]:
    try:
        rows, cols = (int(x) for x in str(value).lower().split("x"))
    except ValueError:
        raise SpaceError(f"{where} must be 'ROWSxCOLS' like '4x4', not {value!r}") from None
    return rows, cols


def _design(where: str, rows: int, cols: int, size: int, hardening: str,
            interleave: int, rounding: str = "double", groups: tuple[str, ...] = (),
            groups_where: str = "tile.tmr_groups") -> Design:
    sel = ("_sel" + hashlib.sha256(",".join(sorted(groups)).encode()).hexdigest()[:8]
           if groups else "")
    name = f"x{rows}x{cols}_s{size}_{hardening}{sel}" + (
        f"_i{interleave}" if "ecc" in hardening else "") + (
        "_rsel" if rounding == "selectable" else "")
    try:
        cfg = TileConfig(rows=rows, cols=cols, max_m=size, max_k=size, max_n=size, name=name,
                         hardening=hardening, ecc_interleave=interleave, rounding=rounding)
    except (TypeError, ValueError) as exc:
        raise SpaceError(f"{where}: array {rows}x{cols}, scratchpad {size}: {exc}") from None
    if groups:
        try:
            cfg = replace(cfg, tmr_groups=tuple(groups))
        except (TypeError, ValueError) as exc:
            raise SpaceError(f"{groups_where}: {exc}") from None
    for reg in CONFIGS.values():  # a registered twin: reuse rtl/ and its builds
        if reg.as_dict() | {"name": name} == cfg.as_dict():
            return Design(reg, registered=True)
    return Design(cfg, registered=False)


def parse_space(data: Mapping, where: str = "space") -> Space:
    """Validate a parsed space file; ``where`` names it in messages."""
    top = _keys("", data, _TOP)
    name = top.get("name", Path(where).stem)
    if not isinstance(name, str) or not name:
        raise SpaceError(f"{where}: name must be a non-empty string, not {name!r}")
    orbit = top.get("orbit", "leo400")
    if orbit not in ORBITS:
        raise SpaceError(f"{where}: orbit must be one of {', '.join(ORBITS)}, not {orbit!r}")
    thermal = top.get("thermal", "hot_degraded")
    if thermal not in SCENARIOS:
        raise SpaceError(f"{where}: thermal must be one of {', '.join(SCENARIOS)}, "
                         f"not {thermal!r}")
    tile = _keys("tile", top.get("tile", {}), _TILE)
    runtime = _keys("runtime", top.get("runtime", {}), _RUNTIME)
    work = _keys("workload", top.get("workload", {}), _WORKLOAD)
    camp = _keys("campaign", top.get("campaign", {}), _CAMPAIGN)
    checks = _keys("checks", top.get("checks", {}), _CHECKS)
    thermal_rtl = _int("checks.thermal_rtl", checks.get("thermal_rtl", 0), 0, _MAX_POINTS)

    arrays = [_array(f"tile.array[{i}]", a)
              for i, a in enumerate(_list("tile.array", tile.get("array"), ["4x4"]))]
    sizes = [_int(f"tile.scratchpad[{i}]", s, 4, 16384)
             for i, s in enumerate(_list("tile.scratchpad", tile.get("scratchpad"), [32]))]
    profiles = _list("tile.hardening", tile.get("hardening"), ["none"])
    for i, h in enumerate(profiles):
        if h not in HARDENING_PROFILES:
            raise SpaceError(f"tile.hardening[{i}] must be one of "
                             f"{', '.join(HARDENING_PROFILES)}, not {h!r}")
    group_sets = []
    for i, g in enumerate(_list("tile.tmr_groups", tile.get("tmr_groups"), [[]])):
        if not isinstance(g, list) or not all(isinstance(x, str) for x in g):
            raise SpaceError(f"tile.tmr_groups[{i}] must be a list of register group names "
                             f"like \"controller.ctrl_state\", not {g!r}")
        group_sets.append((i, tuple(g)))
    interleaves = [_int(f"tile.ecc_interleave[{i}]", v, 1, 8) for i, v in
                   enumerate(_list("tile.ecc_interleave", tile.get("ecc_interleave"), [2]))]
    scrubs = [_int(f"runtime.scrub_interval[{i}]", v, 1, SCRUB_INTERVAL_MAX) for i, v in
              enumerate(_list("runtime.scrub_interval", runtime.get("scrub_interval"),
                              [64]))]
    levels = [_int(f"runtime.dvfs_level[{i}]", v, 0, 3) for i, v in
              enumerate(_list("runtime.dvfs_level", runtime.get("dvfs_level"), [0]))]
    trips = []
    for i, t in enumerate(_list("runtime.trip_c", runtime.get("trip_c"), [[85, 95, 105]])):
        if not (isinstance(t, list) and len(t) == 3):
            raise SpaceError(f"runtime.trip_c[{i}] must be [TRIP1, TRIP2, TRIP3] in degC, "
                             f"not {t!r}")
        t3 = tuple(_int(f"runtime.trip_c[{i}][{j}]", v, 0, 114) for j, v in enumerate(t))
        if not t3[0] < t3[1] < t3[2]:
            raise SpaceError(f"runtime.trip_c[{i}] must rise (TRIP1 < TRIP2 < TRIP3 < the "
                             f"115 degC CRIT), not {list(t3)}")
        trips.append(t3)
    network = work.get("network")
    if network is not None:
        if "gemm" in work:
            raise SpaceError("workload: give gemm or network, not both")
        try:
            load_model(network, option="workload.network")
        except ParameterError as exc:
            raise SpaceError(str(exc)) from None
    elif "images" in work:
        raise SpaceError("workload.images needs workload.network")
    images = _int("workload.images", work.get("images", DEFAULT_IMAGES), 1, MAX_IMAGES)
    gemms = []
    for i, g in enumerate(_list("workload.gemm", work.get("gemm"), [[16, 32, 16]])):
        if not (isinstance(g, list) and len(g) == 3):
            raise SpaceError(f"workload.gemm[{i}] must be [M, K, N], not {g!r}")
        gemms.append(tuple(_int(f"workload.gemm[{i}][{j}]", v, 1, 16384)
                           for j, v in enumerate(g)))
    seed = _int("workload.seed", work.get("seed", 1), 0, 2**31 - 1)
    model = camp.get("model", "mbu")
    if model not in _CAMPAIGN_MODELS:
        raise SpaceError(f"campaign.model must be one of {', '.join(_CAMPAIGN_MODELS)}, "
                         f"not {model!r}")
    initial = _int("campaign.initial", camp.get("initial", 300), 10, 10_000_000)
    most = _int("campaign.max", camp.get("max", 2400), initial, 10_000_000)
    conf = camp.get("confidence", 0.95)
    if isinstance(conf, bool) or not isinstance(conf, float | int) or not 0.5 <= conf < 1:
        raise SpaceError(f"campaign.confidence must be a number in [0.5, 1), not {conf!r}")
    campaign_seed = _int("campaign.seed", camp.get("seed", 1), 0, 2**31 - 1)
    stuck = _int("campaign.stuck", camp.get("stuck", 0), 0, 10_000_000)

    designs: dict[str, Design] = {}
    points: list[Point] = []
    for (rows, cols), size, hard, (gi, groups) in itertools.product(arrays, sizes, profiles,
                                                                    group_sets):
        if groups and "tmr" in hard.split("_"):
            continue  # a profile with full TMR has every group triplicated already
        for il in (interleaves if "ecc" in hard else [2]):
            # A network runs with LiteRT's rounding per layer (QMODE.SINGLE per command).
            d = _design("tile", rows, cols, size, hard, il,
                        "selectable" if network is not None else "double", groups,
                        f"tile.tmr_groups[{gi}]")
            if d.key in designs:
                continue
            if network is not None:
                try:
                    network_case(network, d.cfg, images)
                except NetworkError as exc:
                    raise SpaceError(f"workload.network {network} does not fit tile array "
                                     f"{rows}x{cols}, scratchpad {size}: {exc}") from None
            else:
                for m, k, n in gemms:
                    if m > size or k > size or n > size:
                        raise SpaceError(f"workload.gemm {[m, k, n]} does not fit "
                                         f"tile.scratchpad {size} (M, K and N must be at "
                                         f"most {size})")
            designs[d.key] = d
            for scrub, level, trip in itertools.product(
                    scrubs if d.cfg.ecc else [None], levels, trips):
                points.append(Point(d, scrub, level, trip))
    if len(points) > _MAX_POINTS:
        raise SpaceError(f"{where}: {len(points)} points; at most {_MAX_POINTS} (split the "
                         "space into several files)")
    return Space(name=name, orbit=orbit, thermal=thermal, designs=tuple(designs.values()),
                 points=tuple(points), gemms=tuple(gemms), seed=seed, model=model,
                 initial=initial, max_injections=most, confidence=float(conf),
                 campaign_seed=campaign_seed, stuck=stuck, network=network, images=images,
                 thermal_rtl=thermal_rtl,
                 source=dict(top))
