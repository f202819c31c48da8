"""orbitbench.spec.params validation, and that bad parameters stop the generators before any RTL.

Every message is matched exactly: it is the user interface of a parameter error.
"""

import contextlib
import dataclasses
import gc
import re
import warnings

import pytest
from amaranth.hdl import UnusedElaboratable

from hdl_gen import emit
from hdl_gen.tile import GemmTile
from orbitbench.spec.errors import ParameterError
from orbitbench.spec.params import (
    CONFIGS,
    HARDENING_PROFILES,
    INT32_MAX,
    INT32_MIN,
    GemmCommand,
    TileConfig,
    get_config,
)


def raises_exactly(exc, message):
    return pytest.raises(exc, match=f"^{re.escape(message)}$")


@contextlib.contextmanager
def abandoned_component():
    """Collect, inside the block, a component whose ``__init__`` raised.

    Amaranth warns about an unused component only once some elaboration has happened in the
    process, so whether it warns here depends on test order: ignore it rather than expect it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)
        yield
        gc.collect()


# --- TileConfig ---------------------------------------------------------------------------

TILE_VALUE_ERRORS = [
    ({"rows": 0}, "rows must be a power of two from 1 to 32, not 0"),
    ({"rows": 3}, "rows must be a power of two from 1 to 32, not 3"),
    ({"rows": -4}, "rows must be a power of two from 1 to 32, not -4"),
    ({"rows": 64}, "rows must be a power of two from 1 to 32, not 64"),
    ({"cols": 2}, "cols must be a power of two from 4 to 32, not 2"),
    ({"cols": 6}, "cols must be a power of two from 4 to 32, not 6"),
    ({"cols": 64}, "cols must be a power of two from 4 to 32, not 64"),
    ({"max_k": 2}, "max_k must be a power of two from 4 to 16384, not 2"),
    ({"max_k": 48}, "max_k must be a power of two from 4 to 16384, not 48"),
    ({"max_k": 32768}, "max_k must be a power of two from 4 to 16384, not 32768"),
    ({"max_m": 4}, "max_m must be a power of two no smaller than rows (8), not 4"),
    ({"max_m": 0}, "max_m must be a power of two no smaller than rows (8), not 0"),
    ({"max_m": 48}, "max_m must be a power of two no smaller than rows (8), not 48"),
    ({"rows": 16, "max_m": 8}, "max_m must be a power of two no smaller than rows (16), not 8"),
    ({"max_n": 4}, "max_n must be a power of two no smaller than cols (8), not 4"),
    ({"max_n": -64}, "max_n must be a power of two no smaller than cols (8), not -64"),
    ({"max_n": 96}, "max_n must be a power of two no smaller than cols (8), not 96"),
    ({"max_m": 128, "max_k": 16384},
     "max_m * max_k must be at most 1048576 bytes (one address region), not 2097152"),
    ({"max_m": 8, "max_n": 128, "max_k": 16384},
     "max_n * max_k must be at most 1048576 bytes (one address region), not 2097152"),
    ({"max_m": 2048, "max_n": 1024, "max_k": 4},
     "max_m * max_n must be at most 1048576 bytes (one address region), not 2097152"),
    ({"name": "bad-name"}, "name must be a Python/Verilog identifier, not 'bad-name'"),
    ({"name": ""}, "name must be a Python/Verilog identifier, not ''"),
    ({"name": "4x4"}, "name must be a Python/Verilog identifier, not '4x4'"),
    ({"name": "a b"}, "name must be a Python/Verilog identifier, not 'a b'"),
    ({"rounding": "up"}, "rounding must be one of double, single, selectable, not 'up'"),
    ({"rounding": None}, "rounding must be one of double, single, selectable, not None"),
]


@pytest.mark.parametrize(
    ("kwargs", "message"), TILE_VALUE_ERRORS, ids=[m.split(" ")[0] + f"-{k}"
                                                   for k, m in TILE_VALUE_ERRORS])
def test_tile_config_value_errors(kwargs, message):
    with raises_exactly(ValueError, message):
        TileConfig(**kwargs)


TILE_TYPE_ERRORS = [
    ({"rows": True}, "rows must be an integer, not True"),
    ({"rows": 8.0}, "rows must be an integer, not 8.0"),
    ({"cols": "8"}, "cols must be an integer, not '8'"),
    ({"max_k": False}, "max_k must be an integer, not False"),
    ({"max_k": 64.0}, "max_k must be an integer, not 64.0"),
    ({"max_m": None}, "max_m must be an integer, not None"),
    ({"max_n": True}, "max_n must be an integer, not True"),
]


@pytest.mark.parametrize(("kwargs", "message"), TILE_TYPE_ERRORS,
                         ids=[str(k) for k, _ in TILE_TYPE_ERRORS])
def test_tile_config_type_errors(kwargs, message):
    with raises_exactly(TypeError, message):
        TileConfig(**kwargs)


def test_tile_config_name_not_a_string_is_a_type_error():
    with raises_exactly(TypeError, "name must be a string, not 3"):
        TileConfig(name=3)


def test_tile_config_rejects_non_ascii_name():
    with raises_exactly(ValueError, "name must be a Python/Verilog identifier, not 'tuile_é'"):
        TileConfig(name="tuile_é")


@pytest.mark.parametrize("kwargs", [
    {},
    {"rows": 1, "cols": 4, "max_m": 1, "max_k": 4, "max_n": 4},
    {"rows": 32, "cols": 32, "max_m": 32, "max_k": 16384, "max_n": 32},
    {"rows": 1, "max_m": 64, "max_k": 16384, "max_n": 64},  # both regions exactly full
    {"max_m": 1024, "max_n": 1024, "max_k": 4},  # result region exactly full
    {"name": "_x9"},
])
def test_tile_config_accepts_boundaries(kwargs):
    cfg = TileConfig(**kwargs)
    expected = {**dataclasses.asdict(TileConfig()), **kwargs}
    del expected["tmr_groups"]  # as_dict leaves out an empty tmr_groups
    assert cfg.as_dict() == expected


def test_tile_config_is_frozen_and_replace_revalidates():
    cfg = TileConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.rows = 3
    with raises_exactly(ValueError, "rows must be a power of two from 1 to 32, not 3"):
        dataclasses.replace(cfg, rows=3)


def test_tile_config_derived_geometry():
    cfg = TileConfig(rows=4, cols=8, max_m=16, max_k=64, max_n=32, name="t")
    assert (cfg.a_words, cfg.b_words, cfg.c_words) == (16 * 64 // 4, 32 * 64 // 4, 16 * 32 // 4)
    assert cfg.top_name == "obt_tile_t"


def test_configs_are_named_after_their_keys():
    assert CONFIGS
    for name, cfg in CONFIGS.items():
        assert isinstance(cfg, TileConfig)
        assert cfg.name == name
        assert get_config(name) is cfg


def test_get_config_unknown_name():
    names = ", ".join(sorted(CONFIGS))
    with raises_exactly(ValueError, f"config must be one of {names}, not 'huge'"):
        get_config("huge")


def test_get_config_message_for_shipped_configs():
    # Pin the shipped list too, so that the documented message is visible in the test.
    with raises_exactly(ValueError, "config must be one of default, default_tmr, small, "
                                    "small_abft, small_ecc, small_ecc_tmr, small_ecc_tmr_abft, "
                                    "small_sel10, small_sel25, small_sel5, "
                                    "small_tmr, not 'Small'"):
        get_config("Small")


# --- GemmCommand --------------------------------------------------------------------------

CMD = {"m": 4, "k": 8, "n": 4}
CMD_ERRORS = [
    ({"m": -1}, ValueError, "m must be from 0 to 65535, not -1"),
    ({"k": 65536}, ValueError, "k must be from 0 to 65535, not 65536"),
    ({"n": 1 << 20}, ValueError, "n must be from 0 to 65535, not 1048576"),
    ({"n": "4"}, TypeError, "n must be an integer, not '4'"),
    ({"m": True}, TypeError, "m must be an integer, not True"),
    ({"k": 8.0}, TypeError, "k must be an integer, not 8.0"),
    ({"a_zp": 128}, ValueError, "a_zp must be from -128 to 127, not 128"),
    ({"b_zp": -129}, ValueError, "b_zp must be from -128 to 127, not -129"),
    ({"out_zp": 255}, ValueError, "out_zp must be from -128 to 127, not 255"),
    ({"act_min": -200}, ValueError, "act_min must be from -128 to 127, not -200"),
    ({"act_max": 128}, ValueError, "act_max must be from -128 to 127, not 128"),
    ({"a_zp": None}, TypeError, "a_zp must be an integer, not None"),
    ({"qmult": INT32_MAX + 1}, ValueError,
     "qmult must be from -2147483648 to 2147483647, not 2147483648"),
    ({"qmult": INT32_MIN - 1}, ValueError,
     "qmult must be from -2147483648 to 2147483647, not -2147483649"),
    ({"qmult": 0.5}, TypeError, "qmult must be an integer, not 0.5"),
    ({"qshift": 32}, ValueError, "qshift must be from -32 to 31, not 32"),
    ({"qshift": -33}, ValueError, "qshift must be from -32 to 31, not -33"),
    ({"per_channel": 1}, TypeError, "per_channel must be a bool, not 1"),
    ({"per_channel": "yes"}, TypeError, "per_channel must be a bool, not 'yes'"),
    ({"rounding": "selectable"}, ValueError,
     "rounding must be one of double, single, not 'selectable'"),
    ({"rounding": 1}, ValueError, "rounding must be one of double, single, not 1"),
]


@pytest.mark.parametrize(("kwargs", "exc", "message"), CMD_ERRORS,
                         ids=[str(k) for k, _, _ in CMD_ERRORS])
def test_gemm_command_errors(kwargs, exc, message):
    with raises_exactly(exc, message):
        GemmCommand(**{**CMD, **kwargs})


def test_gemm_command_accepts_boundaries():
    GemmCommand(m=0, k=0, n=0)
    GemmCommand(m=65535, k=65535, n=65535, a_zp=-128, b_zp=127, out_zp=-128,
                qmult=INT32_MIN, qshift=-32, per_channel=True)
    GemmCommand(**CMD, qmult=INT32_MAX, qshift=31)
    # An empty clamp range is allowed: the clamp then yields act_max.
    GemmCommand(**CMD, act_min=127, act_max=-128)


def test_gemm_command_fits_and_macs():
    cfg = CONFIGS["small"]
    full = GemmCommand(m=cfg.max_m, k=cfg.max_k, n=cfg.max_n)
    assert full.fits(cfg)
    assert full.macs == cfg.max_m * cfg.max_k * cfg.max_n
    for dim in ("m", "k", "n"):
        assert not dataclasses.replace(full, **{dim: 0}).fits(cfg)
        assert not dataclasses.replace(full, **{dim: getattr(full, dim) + 1}).fits(cfg)
        assert dataclasses.replace(full, **{dim: 1}).fits(cfg)


def test_rounding_for_and_qmode():
    """A selectable tile honours the command's rounding, a fixed tile its own; QMODE packs
    PER_CHANNEL (bit 0) and SINGLE (bit 1)."""
    single = GemmCommand(**CMD, rounding="single", per_channel=True)
    double = GemmCommand(**CMD)
    assert (single.qmode, double.qmode) == (3, 0)
    assert GemmCommand(**CMD, rounding="single").qmode == 2
    sel = TileConfig(rounding="selectable")
    assert sel.selectable and not TileConfig().selectable
    assert (sel.rounding_for(single), sel.rounding_for(double)) == ("single", "double")
    for fixed in ("double", "single"):
        cfg = TileConfig(rounding=fixed)
        assert cfg.rounding_for(single) == cfg.rounding_for(double) == fixed
    assert CONFIGS["default"].rounding == "selectable"
    assert CONFIGS["small"].rounding == "double"


# --- bad parameters never reach RTL -------------------------------------------------------


@pytest.mark.parametrize(
    "config", [None, {"rows": 4, "cols": 4}, "small", CONFIGS["small"].as_dict()],
    ids=["None", "dict", "name", "as_dict"])
def test_gemm_tile_needs_a_tile_config(config):
    with abandoned_component(), raises_exactly(
            TypeError, f"config must be a TileConfig, not {config!r}"):
        GemmTile(config)


BROKEN = "^config must be a TileConfig, not <"


class _NotATileConfig:
    """Looks enough like a TileConfig for render_all to get as far as building the tile."""

    name = "broken"
    top_name = "obt_tile_broken"

    def as_dict(self):
        return {"name": self.name}


def test_emit_all_writes_nothing_when_a_config_fails(tmp_path, monkeypatch):
    # The first entry renders fine; the second fails in GemmTile. render_all renders everything
    # before emit_all writes anything, so neither the directory nor any file may appear.
    monkeypatch.setattr(emit, "CONFIGS", {"small": CONFIGS["small"], "broken": _NotATileConfig()})
    out = tmp_path / "rtl"
    with abandoned_component(), pytest.raises(TypeError, match=BROKEN):
        emit.emit_all(out)
    assert not out.exists()
    with abandoned_component(), pytest.raises(TypeError, match=BROKEN):
        emit.main(["--out", str(out)])
    assert not out.exists()


def test_emit_all_into_existing_dir_leaves_it_untouched_on_failure(tmp_path, monkeypatch):
    monkeypatch.setattr(emit, "CONFIGS", {"small": CONFIGS["small"], "broken": _NotATileConfig()})
    (tmp_path / "keep.txt").write_text("old\n")
    with abandoned_component(), pytest.raises(TypeError, match=BROKEN):
        emit.emit_all(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    assert (tmp_path / "keep.txt").read_text() == "old\n"


@pytest.mark.parametrize(("kwargs", "exc", "message"), [
    ({"hardening": "ecc_only"}, ValueError,
     "hardening must be one of none, tmr, ecc, ecc_tmr, abft, tmr_abft, ecc_abft, "
     "ecc_tmr_abft, not 'ecc_only'"),
    ({"ecc_interleave": 3}, ValueError, "ecc_interleave must be 1, 2, 4 or 8, not 3"),
    ({"ecc_interleave": 2.0}, TypeError, "ecc_interleave must be an integer, not 2.0"),
    ({"ecc_writeback": 1}, TypeError, "ecc_writeback must be a bool, not 1"),
])
def test_hardening_parameters(kwargs, exc, message):
    with raises_exactly(exc, message):
        TileConfig(**kwargs)


@pytest.mark.parametrize("profile", HARDENING_PROFILES)
def test_profile_mechanisms(profile):
    cfg = TileConfig(hardening=profile)
    parts = set(profile.split("_"))
    assert (cfg.ecc, cfg.tmr, cfg.abft) == ("ecc" in parts, "tmr" in parts, "abft" in parts)


# --- Selective TMR (tmr_groups) --------------------------------------------------------------

def _small(**kw):
    return TileConfig(rows=4, cols=4, max_m=32, max_k=32, max_n=32, name="s", **kw)


def test_tmr_groups_are_validated_with_a_parameter_error_naming_the_group():
    with pytest.raises(ParameterError, match=r"tmr_groups: 'regfile\.bogus' is not a register "
                       r"group of this configuration; known: regfile\.irq_en, "):
        _small(tmr_groups=("regfile.bogus",))
    # a group of another configuration: SCRUB_INTERVAL exists with ECC only
    with pytest.raises(ParameterError, match="'regfile.scrub_interval' is not a register"):
        _small(tmr_groups=("regfile.scrub_interval",))
    assert _small(hardening="ecc", tmr_groups=("regfile.scrub_interval",)).tmr_groups
    with pytest.raises(ParameterError, match="'controller.k' is given twice"):
        _small(tmr_groups=("controller.k", "controller.k"))
    with pytest.raises(ParameterError, match="tmr_groups must be empty with hardening 'tmr'"):
        _small(hardening="tmr", tmr_groups=("controller.k",))
    with pytest.raises(ParameterError, match="tmr_groups must be a tuple of register group"):
        _small(tmr_groups="controller.k")


def test_tmr_groups_canonical_order_and_per_component_view():
    a = _small(tmr_groups=("controller.k", "regfile.reg_k", "throttle.therm_level"))
    b = _small(tmr_groups=("throttle.therm_level", "regfile.reg_k", "controller.k"))
    assert a == b and a.tmr_groups == ("regfile.reg_k", "controller.k", "throttle.therm_level")
    assert a.tmr_of("regfile") == frozenset({"reg_k"})
    assert a.tmr_of("throttle") == frozenset({"level"})  # bank prefix therm_ removed
    assert _small().tmr_of("controller") is False
    assert _small(hardening="tmr").tmr_of("controller") is True
    assert not a.tmr and a.triplicated_groups == a.tmr_groups
    # configurations without groups keep their old dictionary (rtl/manifest.json unchanged)
    assert "tmr_groups" not in _small().as_dict()
    assert TileConfig(**a.as_dict()) == a
