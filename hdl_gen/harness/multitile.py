"""Self-running campaign harness around the multi-tile top: a bus-op ROM on its host port.

Like :mod:`hdl_gen.harness.campaign` for one tile: the ops play from reset until an END op;
``WAIT_IRQ`` waits until every tile whose bit is set in the op's data has ``irq`` high.
Testbench code: generated next to the campaign builds, never into ``rtl/``.
"""

from __future__ import annotations

import enum

from amaranth.back import verilog
from amaranth.hdl import Cat, ClockSignal, Const, Instance, Module, ResetSignal, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import Out

from hdl_gen.multitile import MultiTileTop
from orbitbench.spec.multitile import MultiTileConfig

__all__ = ["Op", "MultiTileCampaignHarness", "emit_mt_harness", "pack"]


class Op(enum.IntEnum):
    WRITE = 0
    READ = 1
    WAIT_IRQ = 2  # until every tile whose bit is set in the op's data has irq high
    END = 3


def pack(cfg: MultiTileConfig, kind: Op, word_addr: int = 0, data: int = 0) -> int:
    aw = cfg.host_addr_width
    if not 0 <= word_addr < 1 << aw:
        raise ValueError(f"word_addr must be in 0..{(1 << aw) - 1}, not {word_addr}")
    return (int(data) & 0xFFFF_FFFF) | (word_addr << 32) | (int(kind) << (32 + aw))


class MultiTileCampaignHarness(wiring.Component):
    """Plays ``ops`` into the host port of the Verilog module ``cfg.top_name`` (instance
    ``mt``) from reset until an END op; tile inputs are tied to 0.

    Op word (LSB first): ``dat_w[32] | adr[host_addr_width] | kind[2]`` (:class:`Op`).

    Members
    -------
    done : Out(1)
        High from the cycle after the END op until reset.
    out_valid, out_data : Out(1), Out(32)
        One read word per cycle in which ``out_valid`` is high, in op order.
    """

    def __init__(self, cfg: MultiTileConfig, depth: int):
        if depth < 2:
            raise ValueError(f"depth must be at least 2, not {depth}")
        self.cfg, self.depth = cfg, depth
        super().__init__({"done": Out(1), "out_valid": Out(1), "out_data": Out(32)})

    def elaborate(self, platform):
        m = Module()
        cfg, aw = self.cfg, self.cfg.host_addr_width
        m.submodules.ops = ops = Memory(shape=34 + aw, depth=self.depth, init=[])
        rd = ops.read_port(domain="comb")
        index = Signal(range(self.depth))
        op = rd.data
        kind = op[32 + aw:34 + aw]
        cyc, we, ack = Signal(), Signal(), Signal()
        dat_r = Signal(32)
        irqs = [Signal(name=f"irq{t}") for t in range(cfg.tiles)]
        ports = {"i_clk": ClockSignal(), "i_rst": ResetSignal(), "i_host__cyc": cyc,
                 "i_host__stb": cyc, "i_host__we": we, "i_host__adr": op[32:32 + aw],
                 "i_host__dat_w": op[0:32], "i_host__sel": Const(0xF, 4),
                 "o_host__dat_r": dat_r, "o_host__ack": ack}
        top = MultiTileTop(cfg)
        top._MustUse__silence = True  # only its port list is wanted
        for path, member, _ in top.signature.flatten(top):
            name = "__".join(map(str, path))
            if path[0] == "host":
                continue
            if member.flow == wiring.Flow.In:  # tile inputs (e.g. thermal) tied low
                ports[f"i_{name}"] = Const(0, member.shape)
            elif path[0].startswith("tile") and path[1:] == ("irq",):
                ports[f"o_{name}"] = irqs[int(path[0][4:])]
            else:  # observed by the campaign only through the bus reads
                ports[f"o_{name}"] = Signal(member.shape, name=f"mt_{name}")
        m.submodules.mt = Instance(cfg.top_name, **ports)
        m.d.comb += [rd.addr.eq(index), self.out_data.eq(dat_r)]
        with m.If(~self.done), m.Switch(kind):
            with m.Case(Op.WRITE, Op.READ):
                m.d.comb += [cyc.eq(1), we.eq(kind == Op.WRITE)]
                with m.If(ack):
                    m.d.comb += self.out_valid.eq(kind == Op.READ)
                    m.d.sync += index.eq(index + 1)
            with m.Case(Op.WAIT_IRQ), m.If((Cat(irqs) & op[:cfg.tiles]) == op[:cfg.tiles]):
                m.d.sync += index.eq(index + 1)
            with m.Case(Op.END):
                m.d.sync += self.done.eq(1)
        return m


def emit_mt_harness(cfg: MultiTileConfig, depth: int) -> tuple[str, str]:
    """(module name, Verilog text) of the campaign harness for ``cfg``."""
    name = f"{cfg.top_name}_campaign"
    return name, verilog.convert(MultiTileCampaignHarness(cfg, depth), name=name,
                                 emit_src=False)
