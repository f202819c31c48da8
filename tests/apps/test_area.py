"""orbitbench.apps.area: the counting on a design with known contents, the figures of a tiny tile
against the analytic scratchpad sizes, TMR visible as extra flip-flops, twins by geometry."""

import dataclasses
import json

import pytest
from amaranth.back import rtlil
from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from orbitbench.apps import area
from orbitbench.spec.params import CONFIGS, HARDENING_PROFILES, TileConfig

TINY = TileConfig(rows=1, cols=4, max_m=4, max_k=4, max_n=4, name="tiny")
TINY_TMR = dataclasses.replace(TINY, name="tiny_tmr", hardening="tmr")


def analytic_mem_bits(cfg: TileConfig) -> int:
    """A, B (int8), BIAS and MULT (int32 per channel), SHIFT (6 bits per channel), C (int8)."""
    return (cfg.max_m * cfg.max_k * 8 + cfg.max_n * cfg.max_k * 8 + 2 * cfg.max_n * 32
            + cfg.max_n * 6 + cfg.max_m * cfg.max_n * 8)


class Known(wiring.Component):
    """An 8-bit counter, a 16 x 8 memory with a synchronous read port, and a copy of the
    counter register loaded from the same D (what TMR copies are) that synthesis merges."""

    en: In(1)
    addr: In(4)
    data: Out(8)
    count: Out(8)
    twin: Out(8)

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = Memory(shape=8, depth=16, init=[])
        rd, wr = mem.read_port(), mem.write_port()
        count, twin, d = Signal(8), Signal(8), Signal(8)
        m.d.comb += d.eq(count + self.en)
        m.d.sync += [count.eq(d), twin.eq(d)]  # twin: same D, so the same flip-flop
        m.d.comb += [rd.addr.eq(self.addr), wr.addr.eq(self.addr), wr.data.eq(count),
                     wr.en.eq(self.en), self.data.eq(rd.data), self.count.eq(count),
                     self.twin.eq(twin)]
        return m


def test_counting_on_a_known_design():
    fig = area.synthesize(rtlil.convert(Known(), name="known"), "known")
    # The read port's register lives inside the $mem_v2 cell: memory bits, not flip-flops.
    assert fig["mem_bits"] == 16 * 8 and list(fig["memories"].values()) == [128]
    assert fig["ff_bits"] == fig["ff_bits_word"] == 8, "the duplicate counter must merge"
    assert fig["cells"] == sum(fig["cell_types"].values()) > 0


@pytest.fixture(scope="module")
def tiny():
    """Measure the tiny TMR tile; run() adds and measures its 'none' twin by geometry."""
    results = area.run([TINY_TMR], configs={"tiny": TINY})
    return {res.config.name: res for res in results}


def test_tiny_figures(tiny):
    assert set(tiny) == {"tiny", "tiny_tmr"}
    for res in tiny.values():
        for fig in ("ff_bits", "mem_bits", "cells", "ff_bits_word", "cells_word"):
            value = getattr(res, fig)
            assert isinstance(value, int) and value > 0, (res.config.name, fig, value)
        assert res.mem_bits == analytic_mem_bits(res.config) == 664
        assert sum(res.memories.values()) == res.mem_bits
    assert not tiny["tiny"].selected and tiny["tiny_tmr"].selected
    assert tiny["tiny"].overhead_pct is None and tiny["tiny"].twin is None
    assert tiny["tiny_tmr"].twin == "tiny"


@pytest.mark.skipif("tmr" not in HARDENING_PROFILES, reason="no TMR profile")
def test_tmr_adds_flip_flops(tiny):
    none, tmr = tiny["tiny"], tiny["tiny_tmr"]
    # Negative control: if synthesis merged the three copies (Yosys opt_merge ignores keep
    # on wires), both counts would be equal.
    assert tmr.ff_bits > none.ff_bits, (
        f"TMR tile has {tmr.ff_bits} flip-flop bits, its 'none' twin {none.ff_bits}: "
        "the triplicated registers were merged by synthesis")
    assert tmr.overhead_pct["ff_bits"] == pytest.approx(
        100 * (tmr.ff_bits - none.ff_bits) / none.ff_bits)
    assert tmr.overhead_pct["mem_bits"] == 0.0


def test_twins_match_by_geometry_not_name():
    hardened = TileConfig(rows=4, cols=4, max_m=32, max_k=32, max_n=32, name="aaa",
                          hardening="tmr")
    configs = {"other": TileConfig(name="other"),
               "zzz": TileConfig(rows=4, cols=4, max_m=32, max_k=32, max_n=32, name="zzz"),
               "aaa": hardened}
    assert area.find_twin(hardened, configs).name == "zzz"
    built = area.find_twin(dataclasses.replace(hardened, max_k=64), configs)
    assert built.hardening == "none" and built.max_k == 64 and built.name == "aaa_none"
    # every hardened configuration's twin shares its whole geometry, rounding included, so
    # an overhead is the hardening's alone; default_tmr rounds double while default is
    # selectable (networks), so its twin is built (area elaborates it from the generator)
    for cfg in CONFIGS.values():
        if cfg.hardening != "none":
            twin = area.find_twin(cfg)
            assert twin.hardening == "none" and area.geometry(twin) == area.geometry(cfg)
            expect = "default_tmr_none" if cfg.name == "default_tmr" else cfg.name.split("_")[0]
            assert twin.name == expect, cfg.name


def test_overhead():
    assert area.overhead(150, 100) == 50.0
    assert area.overhead(100, 100) == 0.0
    assert area.overhead(5, 0) is None


def test_cli_writes_json(tmp_path):
    out = tmp_path / "sub" / "area.json"
    assert area.main(["--config", "small", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["script"] == [*area.PREP, "keep_flip_flops()", *area.SCRIPT]
    (small,) = report["configs"]
    assert small["config"] == "small" and small["selected"]
    assert small["mem_bits"] == analytic_mem_bits(CONFIGS["small"])
    with pytest.raises(SystemExit):
        area.main(["--config", "nope", "--out", str(out)])
