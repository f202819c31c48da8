"""Parameter objects shared by the generators, the golden models and the testbenches.

One frozen :class:`TileConfig` describes a GEMM tile; ``hdl_gen`` builds RTL from it and
``golden_models`` computes expected results from it, so the two can never disagree about
geometry. :class:`GemmCommand` is one command as software writes it into the register file.

This module is pure Python (no NumPy, no Amaranth) so every layer can import it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass

from .errors import ParameterError

__all__ = [
    "TileConfig",
    "GemmCommand",
    "CONFIGS",
    "get_config",
    "INT8_MIN",
    "INT8_MAX",
    "INT32_MIN",
    "INT32_MAX",
    "SHIFT_MIN",
    "SHIFT_MAX",
    "HARDENING_PROFILES",
    "TMR_BANKS",
    "tmr_group_names",
    "ROUNDINGS",
    "TILE_ROUNDINGS",
]

INT8_MIN, INT8_MAX = -128, 127
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
# Range of the requantization shift field: 6-bit two's complement. TFLite only produces
# -31..+30; the two remaining codes (-32, +31) follow the same formulas (docs/numerics.md).
SHIFT_MIN, SHIFT_MAX = -32, 31
#: TFLite's two builds of MultiplyByQuantizedMultiplier: gemmlowp's double rounding (the
#: default) and TFLITE_SINGLE_ROUNDING (see golden_models.quant).
ROUNDINGS = ("double", "single")
#: What a tile can be generated with (TileConfig.rounding): one of ROUNDINGS for every
#: command, or "selectable": each command chooses with QMODE.SINGLE (GemmCommand.rounding).
TILE_ROUNDINGS = (*ROUNDINGS, "selectable")
#: Hardening profiles a tile can be generated with (TileConfig.hardening): combinations of
#: ``ecc`` (SECDED scratchpads), ``tmr`` (triplicated control state) and ``abft`` (checksum
#: row and column in the array, checked requantizers). The index is the HARDENING register's
#: value: append only.
HARDENING_PROFILES = ("none", "tmr", "ecc", "ecc_tmr", "abft", "tmr_abft", "ecc_abft",
                      "ecc_tmr_abft")
#: The tile's triplicable state, bank by bank: component (instance name in the tile) ->
#: (prefix of its signal names, its registers as :class:`hdl_gen.tmr.StateRegisters` names
#: them). A register group of ``TileConfig.tmr_groups`` is ``"<component>.<prefix><name>"``,
#: which is also its fault-target path below the tile (``tile.regfile.reg_k``). Registers
#: that exist only in some configurations: ``single`` (selectable rounding),
#: ``scrub_interval`` (ECC). ``tests/hdl_gen/test_tmr.py`` checks the table against what
#: the generators declare.
TMR_BANKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "regfile": ("", ("irq_en", "reg_m", "reg_k", "reg_n", "a_zp", "b_zp", "out_zp", "act_min",
                     "act_max", "per_channel", "single", "qmult", "qshift", "scrub_interval")),
    "controller": ("", ("busy", "done", "error", "cycles", "ctrl_state", "ib", "jb", "k",
                        "wait", "drain")),
    "throttle": ("therm_", ("trip1", "trip2", "trip3", "crit", "hyst", "range_min",
                            "range_max", "stuck_samples", "safe_level", "level", "temp", "prev",
                            "run", "sensor_fault", "cool", "raises", "shutdowns", "faults",
                            "phase")),
}
# The whole address map must fit 1 MiB regions (see orbitbench.spec.regmap).
_REGION_BYTES = 1 << 20
# (a - a_zp) and (b - b_zp) are 9-bit signed (|x| <= 255); K * 255 * 255 must stay below
# 2**31 so the int32 accumulator can never wrap from the products alone.
_MAX_K_LIMIT = 16384


def _is_pow2(x: int) -> bool:
    return x > 0 and (x & (x - 1)) == 0


def _check_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, not {value!r}")


def _check_pow2(name: str, value: object, lo: int, hi: int) -> None:
    _check_int(name, value)
    if not (_is_pow2(value) and lo <= value <= hi):
        raise ValueError(f"{name} must be a power of two from {lo} to {hi}, not {value!r}")


@dataclass(frozen=True)
class TileConfig:
    """Geometry of one int8 GEMM tile.

    Parameters
    ----------
    rows : int
        Rows of processing elements in the systolic array (power of two, 1..32). Rows of A
        (output rows) are spread over the array rows.
    cols : int
        Columns of processing elements (power of two, 4..32). Columns of B (output channels)
        are spread over the array columns; at least 4 so that one result-memory word holds
        whole 32-bit bus words.
    max_m, max_k, max_n : int
        Scratchpad capacity: the largest M, K and N a command may use (powers of two;
        ``max_m`` a multiple of ``rows``, ``max_n`` a multiple of ``cols``, ``max_k`` from 4 to
        16384). Each operand scratchpad must fit its 1 MiB address region.
    name : str
        Name of the configuration; used for generated module and file names.
    hardening : str
        Radiation-hardening profile, one of :data:`HARDENING_PROFILES`: ``"none"``; ``"tmr"``
        (controller state and command registers triplicated with majority voting, see
        :mod:`hdl_gen.tmr`); ``"ecc"`` (every scratchpad SECDED-protected with a scrubber, see
        :mod:`hdl_gen.ecc_mem`); ``"ecc_tmr"`` (both).
    ecc_interleave : int
        ECC profiles: codewords bit-interleaved per physical memory row (1, 2, 4 or 8), so
        that an upset of up to that many adjacent bits hits different codewords.
    ecc_writeback : bool
        ECC profiles: a read that corrects an error also writes the corrected word back.
    tmr_groups : tuple of str
        Selective TMR: only these register groups (:func:`tmr_group_names`, e.g.
        ``"regfile.reg_k"``, ``"controller.ctrl_state"``) are triplicated, with voting and
        the TMR diagnostics (STATUS.TMR_MISMATCH, TMR_ERRORS) exactly as in the ``tmr``
        profiles, which triplicate every group. Only with a profile without ``tmr``; kept
        in the table's order (two configurations with the same groups are equal).
    rounding : str
        Requantization rounding, one of :data:`TILE_ROUNDINGS`: ``"double"`` (gemmlowp, the
        default) or ``"single"`` (``TFLITE_SINGLE_ROUNDING``) for every command, or
        ``"selectable"``: both in every lane, each command choosing with QMODE.SINGLE
        (:attr:`GemmCommand.rounding`). A fixed tile ignores QMODE.SINGLE (reads 0).

    Raises
    ------
    TypeError
        A parameter is not an integer (or ``name`` not a string).
    ValueError
        A parameter is outside its range; the message names the parameter and the range.
    """

    rows: int = 8
    cols: int = 8
    max_m: int = 64
    max_k: int = 64
    max_n: int = 64
    name: str = "default"
    hardening: str = "none"
    ecc_interleave: int = 2
    ecc_writeback: bool = True
    rounding: str = "double"
    tmr_groups: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_pow2("rows", self.rows, 1, 32)
        _check_pow2("cols", self.cols, 4, 32)
        _check_pow2("max_k", self.max_k, 4, _MAX_K_LIMIT)
        _check_int("max_m", self.max_m)
        _check_int("max_n", self.max_n)
        if not (_is_pow2(self.max_m) and self.max_m >= self.rows):
            raise ValueError(
                f"max_m must be a power of two no smaller than rows ({self.rows}), "
                f"not {self.max_m!r}")
        if not (_is_pow2(self.max_n) and self.max_n >= self.cols):
            raise ValueError(
                f"max_n must be a power of two no smaller than cols ({self.cols}), "
                f"not {self.max_n!r}")
        if self.max_m * self.max_k > _REGION_BYTES:
            raise ValueError(
                f"max_m * max_k must be at most {_REGION_BYTES} bytes (one address region), "
                f"not {self.max_m * self.max_k}")
        if self.max_n * self.max_k > _REGION_BYTES:
            raise ValueError(
                f"max_n * max_k must be at most {_REGION_BYTES} bytes (one address region), "
                f"not {self.max_n * self.max_k}")
        if self.max_m * self.max_n > _REGION_BYTES:
            raise ValueError(
                f"max_m * max_n must be at most {_REGION_BYTES} bytes (one address region), "
                f"not {self.max_m * self.max_n}")
        if self.hardening not in HARDENING_PROFILES:
            raise ValueError(f"hardening must be one of {', '.join(HARDENING_PROFILES)}, "
                             f"not {self.hardening!r}")
        _check_int("ecc_interleave", self.ecc_interleave)
        if self.ecc_interleave not in (1, 2, 4, 8):
            raise ValueError(f"ecc_interleave must be 1, 2, 4 or 8, not {self.ecc_interleave!r}")
        if not isinstance(self.ecc_writeback, bool):
            raise TypeError(f"ecc_writeback must be a bool, not {self.ecc_writeback!r}")
        if self.rounding not in TILE_ROUNDINGS:
            raise ValueError(f"rounding must be one of {', '.join(TILE_ROUNDINGS)}, "
                             f"not {self.rounding!r}")
        self._check_tmr_groups()
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string, not {self.name!r}")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.name):
            raise ValueError(f"name must be a Python/Verilog identifier, not {self.name!r}")

    def _check_tmr_groups(self) -> None:
        groups = self.tmr_groups
        if isinstance(groups, str) or not isinstance(groups, tuple | list) or \
                not all(isinstance(g, str) for g in groups):
            raise ParameterError(f"tmr_groups must be a tuple of register group names, "
                                 f"not {groups!r}")
        known = tmr_group_names(self)
        bad = [g for g in groups if g not in known]
        if bad:
            raise ParameterError(
                f"tmr_groups: {bad[0]!r} is not a register group of this configuration; "
                f"known: {', '.join(known)}")
        if len(set(groups)) != len(groups):
            dup = next(g for g in groups if groups.count(g) > 1)
            raise ParameterError(f"tmr_groups: {dup!r} is given twice")
        if groups and self.tmr:
            raise ParameterError(f"tmr_groups must be empty with hardening "
                                 f"{self.hardening!r}, which triplicates every group")
        object.__setattr__(self, "tmr_groups", tuple(g for g in known if g in groups))

    def tmr_of(self, component: str) -> bool | frozenset[str]:
        """What of ``component``'s :class:`hdl_gen.tmr.StateRegisters` bank is triplicated:
        all of it (``True``, the ``tmr`` profiles), nothing (``False``) or the registers
        (names without the bank prefix) that :attr:`tmr_groups` selects."""
        if component not in TMR_BANKS:
            raise ParameterError(f"component must be one of {', '.join(TMR_BANKS)}, "
                                 f"not {component!r}")
        if self.tmr:
            return True
        prefix = f"{component}.{TMR_BANKS[component][0]}"
        chosen = frozenset(g[len(prefix):] for g in self.tmr_groups if g.startswith(prefix))
        return chosen or False

    @property
    def triplicated_groups(self) -> tuple[str, ...]:
        """Every register group that is triplicated (all of them in the ``tmr`` profiles)."""
        return tmr_group_names(self) if self.tmr else self.tmr_groups

    @property
    def tmr_digest(self) -> str:
        """Six hex digits naming the set of :attr:`tmr_groups` (empty without any)."""
        if not self.tmr_groups:
            return ""
        return hashlib.sha256(",".join(self.tmr_groups).encode()).hexdigest()[:6]

    # Derived geometry, used by both the RTL generator and the golden tile model.
    @property
    def a_words(self) -> int:
        """32-bit words in the A scratchpad (``max_m * max_k`` int8)."""
        return self.max_m * self.max_k // 4

    @property
    def b_words(self) -> int:
        """32-bit words in the B scratchpad (``max_n * max_k`` int8, stored as B transposed)."""
        return self.max_n * self.max_k // 4

    @property
    def c_words(self) -> int:
        """32-bit words in the result scratchpad (``max_m * max_n`` int8)."""
        return self.max_m * self.max_n // 4

    @property
    def ecc(self) -> bool:
        """The scratchpads are SECDED-protected."""
        return "ecc" in self.hardening.split("_")

    @property
    def tmr(self) -> bool:
        """Controller state and command registers are triplicated."""
        return "tmr" in self.hardening.split("_")

    @property
    def abft(self) -> bool:
        """The systolic array carries a checksum row and column, and every requantizer lane
        a compared duplicate (:mod:`hdl_gen.abft`)."""
        return "abft" in self.hardening.split("_")

    @property
    def selectable(self) -> bool:
        """Each command chooses its rounding (QMODE.SINGLE is a register)."""
        return self.rounding == "selectable"

    def rounding_for(self, cmd: GemmCommand) -> str:
        """The rounding this tile applies to ``cmd``: the command's own on a selectable tile,
        the tile's fixed one otherwise."""
        return cmd.rounding if self.selectable else self.rounding

    @property
    def top_name(self) -> str:
        """Verilog module name of the tile top for this configuration."""
        return f"obt_tile_{self.name}"

    def as_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["tmr_groups"] = list(self.tmr_groups)
        if not self.tmr_groups:  # the configurations made before selective TMR, unchanged
            del out["tmr_groups"]
        return out


def tmr_group_names(cfg: TileConfig) -> tuple[str, ...]:
    """The register groups ``cfg``'s tile has, in :data:`TMR_BANKS` order."""
    out = []
    for component, (prefix, names) in TMR_BANKS.items():
        for name in names:
            if name == "single" and cfg.rounding != "selectable":
                continue
            if name == "scrub_interval" and "ecc" not in cfg.hardening.split("_"):
                continue
            out.append(f"{component}.{prefix}{name}")
    return tuple(out)


CONFIGS: dict[str, TileConfig] = {
    # Small and quick to verilate: the workhorse of `make test`.
    "small": TileConfig(rows=4, cols=4, max_m=32, max_k=32, max_n=32, name="small"),
    # The default tile: 8x8 PEs, 64x64x64 GEMM in one command; both TFLite roundings, so
    # a network runs bit-exactly (LiteRT: double for convolutions, single for FC).
    "default": TileConfig(rows=8, cols=8, max_m=64, max_k=64, max_n=64, name="default",
                          rounding="selectable"),
    # Hardened variants (same geometry).
    "small_tmr": TileConfig(rows=4, cols=4, max_m=32, max_k=32, max_n=32, name="small_tmr",
                            hardening="tmr"),
    "default_tmr": TileConfig(rows=8, cols=8, max_m=64, max_k=64, max_n=64,
                              name="default_tmr", hardening="tmr"),
    # ECC profiles in the small geometry only: Amaranth emits one module per ECC memory
    # (41 on the 8x8 tile), and default_ecc_tmr's Verilog would be 2.4 MB in the repository.
    "small_ecc": TileConfig(rows=4, cols=4, max_m=32, max_k=32, max_n=32, name="small_ecc",
                            hardening="ecc"),
    "small_ecc_tmr": TileConfig(rows=4, cols=4, max_m=32, max_k=32, max_n=32,
                                name="small_ecc_tmr", hardening="ecc_tmr"),
    # Algorithm-based fault tolerance in the datapath, alone and with the other mechanisms.
    "small_abft": TileConfig(rows=4, cols=4, max_m=32, max_k=32, max_n=32, name="small_abft",
                             hardening="abft"),
    "small_ecc_tmr_abft": TileConfig(rows=4, cols=4, max_m=32, max_k=32, max_n=32,
                                     name="small_ecc_tmr_abft", hardening="ecc_tmr_abft"),
    # Selective TMR (tmr_groups), as `orbitbench harden` chose them from a campaign on small
    # (campaigns/harden/rank_small.db; docs/hardening.md) at 5, 10 and 25 % of small's
    # flip-flop bits.
    "small_sel5": TileConfig(rows=4, cols=4, max_m=32, max_k=32, max_n=32, name="small_sel5",
        tmr_groups=("regfile.a_zp", "regfile.b_zp", "regfile.act_min", "regfile.act_max",
        "controller.busy")),
    "small_sel10": TileConfig(rows=4, cols=4, max_m=32, max_k=32, max_n=32, name="small_sel10",
        tmr_groups=("regfile.reg_k", "regfile.a_zp", "regfile.b_zp", "regfile.out_zp",
        "regfile.act_min", "regfile.act_max", "regfile.per_channel", "controller.busy",
        "controller.ctrl_state", "controller.ib", "controller.jb", "controller.k",
        "controller.wait", "controller.drain")),
    "small_sel25": TileConfig(rows=4, cols=4, max_m=32, max_k=32, max_n=32, name="small_sel25",
        tmr_groups=("regfile.reg_m", "regfile.reg_k", "regfile.reg_n", "regfile.a_zp",
        "regfile.b_zp", "regfile.out_zp", "regfile.act_min", "regfile.act_max",
        "regfile.per_channel", "controller.busy", "controller.ctrl_state", "controller.ib",
        "controller.jb", "controller.k", "controller.wait", "controller.drain")),
}


def get_config(name: str) -> TileConfig:
    try:
        return CONFIGS[name]
    except KeyError:
        raise ValueError(
            f"config must be one of {', '.join(sorted(CONFIGS))}, not {name!r}") from None


def _check_range(name: str, value: object, lo: int, hi: int) -> None:
    _check_int(name, value)
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be from {lo} to {hi}, not {value!r}")


@dataclass(frozen=True)
class GemmCommand:
    """One GEMM command: ``C[MxN] = requant(A[MxK] . B[KxN] + bias)``.

    Field for field what the register file holds (see :mod:`orbitbench.spec.regmap`). Per-channel
    multipliers and shifts live in the MULT/SHIFT scratchpads; the per-tensor ones here.
    ``m``, ``k``, ``n`` are checked only for their register width (1..65535); a command whose
    dimensions exceed the tile's capacity is accepted here and rejected by the tile, which
    sets STATUS.ERROR. ``act_min > act_max`` is allowed: the clamp then yields ``act_max``.
    """

    m: int
    k: int
    n: int
    a_zp: int = 0
    b_zp: int = 0
    out_zp: int = 0
    act_min: int = INT8_MIN
    act_max: int = INT8_MAX
    per_channel: bool = False
    qmult: int = 1 << 30
    qshift: int = 0
    rounding: str = "double"
    tmr_groups: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for dim in ("m", "k", "n"):
            _check_range(dim, getattr(self, dim), 0, 0xFFFF)
        for zp in ("a_zp", "b_zp", "out_zp", "act_min", "act_max"):
            _check_range(zp, getattr(self, zp), INT8_MIN, INT8_MAX)
        _check_range("qmult", self.qmult, INT32_MIN, INT32_MAX)
        _check_range("qshift", self.qshift, SHIFT_MIN, SHIFT_MAX)
        if not isinstance(self.per_channel, bool):
            raise TypeError(f"per_channel must be a bool, not {self.per_channel!r}")
        if self.rounding not in ROUNDINGS:
            raise ValueError(f"rounding must be one of {', '.join(ROUNDINGS)}, "
                             f"not {self.rounding!r}")

    @property
    def qmode(self) -> int:
        """The QMODE register value: bit 0 PER_CHANNEL, bit 1 SINGLE (single rounding)."""
        return int(self.per_channel) | (int(self.rounding == "single") << 1)

    def fits(self, cfg: TileConfig) -> bool:
        """True when the tile will run this command (no STATUS.ERROR)."""
        return (1 <= self.m <= cfg.max_m and 1 <= self.k <= cfg.max_k
                and 1 <= self.n <= cfg.max_n)

    @property
    def macs(self) -> int:
        return self.m * self.k * self.n
