"""NoC generator: parameter errors, link code, XY routing of one router, emission and lint."""

from __future__ import annotations

import random
import subprocess

import pytest
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from golden_models.noc import xy_route
from hdl_gen.noc import Mesh, emit_mesh, noc_designs
from hdl_gen.noc_router import EAST, LOCAL, NORTH, SOUTH, WEST, LinkCode, Router
from orbitbench.sim.toolchain import LINT_WAIVERS, find_verilator
from orbitbench.spec.noc import NOC_CONFIGS, Header, NocConfig

SEED = 20261124


# --- parameters -----------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [Mesh, Router, LinkCode])
def test_not_a_config(cls):
    with pytest.raises(TypeError, match=r"^cfg must be a NocConfig, not \{'mesh_x': 2\}$"):
        cls({"mesh_x": 2})


@pytest.mark.parametrize("kwargs, message", [
    ({"x": 2}, "x must be from 0 to 1, not 2"),
    ({"y": -1}, "y must be from 0 to 1, not -1"),
    ({"x": True}, "x must be from 0 to 1, not True"),
])
def test_router_position(kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        Router(NocConfig(), **kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"buffer_depth": 3}, "buffer_depth must be a power of two from 2 to 64, not 3"),
    ({"mesh_x": 9}, "mesh_x must be from 1 to 8, not 9"),
    ({"flit_width": 36}, "flit_width must be a multiple of 8, not 36"),
    ({"protection": "parity"}, "protection must be one of none, secded, crc, not 'parity'"),
])
def test_config_errors_before_rtl(kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        emit_mesh(NocConfig(**kwargs))


# --- link code ------------------------------------------------------------------------------

class _Codec(wiring.Component):
    """LinkCode.encode then LinkCode.decode of a word with ``flip`` XORed in between."""

    def __init__(self, code: LinkCode):
        self.code = code
        super().__init__({"raw": In(code.raw_width), "flip": In(code.width),
                          "word": Out(code.width), "out": Out(code.raw_width),
                          "corrected": Out(1), "detected": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.word.eq(self.code.encode(m, self.raw, name="t"))
        raw, corr, det = self.code.decode(m, self.word ^ self.flip, name="t")
        m.d.comb += [self.out.eq(raw), self.corrected.eq(corr), self.detected.eq(det)]
        return m


def _codec_run(code, cases):
    dut, seen = _Codec(code), []

    async def tb(ctx):
        for raw, flip in cases:
            ctx.set(dut.raw, raw)
            ctx.set(dut.flip, flip)
            seen.append((ctx.get(dut.word), ctx.get(dut.out), ctx.get(dut.corrected),
                         ctx.get(dut.detected)))

    sim = Simulator(dut)
    sim.add_testbench(tb)
    sim.run()
    return seen


@pytest.mark.parametrize("fw, chunks, width", [(32, 1, 41), (128, 2, 146)])
def test_secded_link_code(fw, chunks, width):
    code = LinkCode(NocConfig(flit_width=fw, protection="secded"))
    assert (len(code.codes), code.width) == (chunks, width)
    rng = random.Random(SEED)
    cases = []
    for _ in range(12):
        raw = rng.getrandbits(code.raw_width)
        cases += [(raw, 0), (raw, 1 << rng.randrange(code.width))]
        a, b = rng.sample(range(code.chunks[0][1]), 2)  # two bits of one chunk's data
        cases.append((raw, 1 << a | 1 << b))
    for (raw, flip), (word, out, corr, det) in zip(cases, _codec_run(code, cases), strict=True):
        assert word & ((1 << code.raw_width) - 1) == raw  # systematic
        nflip = bin(flip).count("1")
        if nflip <= 1:
            assert (out, corr, det) == (raw, nflip, 0)
        else:
            assert (corr, det) == (0, 1)
    # negative control: the checker above must notice a decoder that does not correct
    assert any(out != raw for (raw, flip), (_, out, _, _) in
               zip(cases, _codec_run(code, cases), strict=True) if bin(flip).count("1") == 2)


def test_crc_link_code_matches_amaranth_compute():
    code = LinkCode(NocConfig(protection="crc"))
    rng = random.Random(SEED)
    raws = [0, (1 << code.raw_width) - 1] + [rng.getrandbits(code.raw_width) for _ in range(20)]
    cases = [(r, 0) for r in raws] + [(r, 1 << rng.randrange(code.width)) for r in raws]
    for (raw, flip), (word, out, corr, det) in zip(cases, _codec_run(code, cases), strict=True):
        assert word == raw | code.crc_value(raw) << code.raw_width
        assert (out, corr, det) == (raw ^ (flip & ((1 << code.raw_width) - 1)), 0, int(flip != 0))


# --- routing of one router ------------------------------------------------------------------

def _direction(a, b):
    (x0, y0), (x1, y1) = a, b
    return {(1, 0): EAST, (-1, 0): WEST, (0, 1): NORTH, (0, -1): SOUTH}[x1 - x0, y1 - y0]


def test_router_xy_routing_matches_model():
    """Router (1, 1) of a 3x3 mesh with 2 local ports: every destination goes out of the port
    the golden XY route leaves by; out-of-mesh destinations clamp to the edge."""
    cfg = NocConfig(mesh_x=3, mesh_y=3, local_ports=2)
    dut = Router(cfg, 1, 1)
    fw = cfg.flit_width
    cases = [(x, y, p) for x in range(8) for y in range(8) for p in range(2)]
    seen = []

    async def tb(ctx):
        for x, y, p in cases:
            ctx.set(dut.i[LOCAL].payload, Header(dst_x=x, dst_y=y, dst_p=p).pack() | 3 << fw)
            ctx.set(dut.i[LOCAL].valid, 1)
            await ctx.tick()
            ctx.set(dut.i[LOCAL].valid, 0)
            seen.append([k for k in range(dut.ports) if ctx.get(dut.o[k].valid)])
            for k in range(dut.ports):
                ctx.set(dut.o[k].ready, 1)
            await ctx.tick()
            for k in range(dut.ports):
                ctx.set(dut.o[k].ready, 0)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    src = cfg.endpoint(1, 1, 0)
    for (x, y, p), ports in zip(cases, seen, strict=True):
        dst = cfg.endpoint(min(x, 2), min(y, 2), p)
        route = xy_route(cfg, src, dst)
        want = LOCAL + p if len(route) == 1 else _direction(route[0], route[1])
        assert ports == [want], (x, y, p)


def test_router_round_robin_rotates_when_every_input_requests_one_output():
    """Every input of router (1, 1) keeps a single-flit packet for the LOCAL output pending:
    the grants rotate through all inputs in order, so each wins once in every window of
    ``ports`` grants (a wrap error in the round-robin pointer starves one input)."""
    cfg = NocConfig(mesh_x=3, mesh_y=3, local_ports=2)
    dut = Router(cfg, 1, 1)
    fw = cfg.flit_width
    grants = []

    async def tb(ctx):
        ctx.set(dut.o[LOCAL].ready, 1)
        for _ in range(6 * dut.ports):
            for k in range(dut.ports):
                flit = Header(dst_x=1, dst_y=1, dst_p=0, tag=k).pack() | 3 << fw
                ctx.set(dut.i[k].payload, flit)
                ctx.set(dut.i[k].valid, 1)
            await ctx.tick()
            if ctx.get(dut.o[LOCAL].valid):
                grants.append(Header.unpack(ctx.get(dut.o[LOCAL].payload) & ((1 << fw) - 1)).tag)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    assert len(grants) >= 3 * dut.ports, grants
    for a, b in zip(grants, grants[1:], strict=False):
        assert b == (a + 1) % dut.ports, grants
    for i in range(len(grants) - dut.ports + 1):
        assert sorted(grants[i:i + dut.ports]) == list(range(dut.ports)), grants


# --- emission -------------------------------------------------------------------------------

def test_noc_designs_lists_every_config():
    designs = noc_designs()
    assert [d["config"] for d in designs] == list(NOC_CONFIGS)
    for d in designs:
        cfg = NOC_CONFIGS[d["config"]]
        assert (d["top"], d["kind"], d["params"]) == (cfg.top_name, "noc_mesh", cfg.as_dict())


def _lint(text: str, top: str, tmp_path):
    path = tmp_path / f"{top}.v"
    path.write_text(text)
    verilator = find_verilator()
    return subprocess.run([str(verilator.executable), "--lint-only", *LINT_WAIVERS,
                           "--top-module", top, str(path)], env=verilator.env(),
                          capture_output=True, text=True, check=False)


SMALL = [NocConfig(name="l_none"), NocConfig(name="l_crc", protection="crc", local_ports=2),
         NocConfig(name="l_hard", protection="secded", tmr=True, mesh_x=3, mesh_y=1)]


@pytest.mark.parametrize("cfg", SMALL, ids=lambda c: c.name)
def test_small_mesh_lints_clean(cfg, tmp_path):
    text = emit_mesh(cfg)
    assert f"module {cfg.top_name}(" in text
    result = _lint(text, cfg.top_name, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint_catches_broken_verilog(tmp_path):
    """Negative control of the lint check: a width-less undeclared net is an error."""
    text = emit_mesh(SMALL[0]).replace("endmodule", "  assign undeclared_net = 1'b0;\nendmodule",
                                       1)
    assert _lint(text, SMALL[0].top_name, tmp_path).returncode != 0


@pytest.mark.regress
@pytest.mark.parametrize("name", sorted(NOC_CONFIGS))
def test_rtl_mesh_lints_clean(name, tmp_path):
    cfg = NOC_CONFIGS[name]
    result = _lint(emit_mesh(cfg), cfg.top_name, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_emission_is_deterministic():
    """``emit_mesh`` is cached, so test_emit's second rendering reuses the text; check here,
    uncached, that two conversions agree byte for byte (no ids, paths or set order leak)."""
    cfg = NocConfig(name="det", protection="secded", local_ports=2)
    assert emit_mesh.__wrapped__(cfg) == emit_mesh.__wrapped__(cfg)
