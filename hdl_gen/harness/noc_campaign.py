"""Self-running campaign harness around a mesh: packet ROMs in, a canonical dump out.

The stimulus and output format are described in :mod:`fault_campaigns.noc_workload`, which
builds the schedule and the expected output. Testbench code: generated next to the campaign
builds, never into ``rtl/``.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import Out

from golden_models.noc import Packet
from hdl_gen.noc import Mesh
from orbitbench.spec.noc import NocConfig

__all__ = ["NocCampaignHarness", "QUIET", "check_width"]

#: Idle cycles (no flit received, all sources done) before the harness dumps its results.
QUIET = 64


def check_width(cfg: NocConfig) -> None:
    if cfg.flit_width + 2 + (cfg.endpoints - 1).bit_length() > 64:
        raise ValueError(f"flit_width must leave room for the endpoint in a 64-bit output "
                         f"word, not {cfg.flit_width}")


class NocCampaignHarness(wiring.Component):
    """Plays ``schedule`` through a mesh of ``cfg`` and dumps what arrived (module docstring).

    Members
    -------
    done : Out(1)
    out_valid, out_data : Out(1), Out(64)
    """

    def __init__(self, cfg: NocConfig, schedule: list[list[Packet]], length: int):
        check_width(cfg)
        self.cfg, self.schedule, self.length = cfg, schedule, length
        self.packets = len(schedule[0])
        super().__init__({"done": Out(1), "out_valid": Out(1), "out_data": Out(64)})

    def elaborate(self, platform):
        m = Module()
        cfg, fw, n_ep = self.cfg, self.cfg.flit_width, self.cfg.endpoints
        m.submodules.mesh = mesh = Mesh(cfg)
        sources_done = []
        for i, row in enumerate(self.schedule):
            flits = [f for p in row for f in p.flits()]
            rom = Memory(shape=fw + 2, depth=len(flits), init=[
                d | h << fw | t << (fw + 1) for d, h, t in flits])
            m.submodules[f"src{i}"] = rom
            rd = rom.read_port(domain="comb")
            idx = Signal(range(len(flits) + 1), name=f"src{i}_index")
            port = mesh.local_in[i]
            m.d.comb += [rd.addr.eq(idx), port.valid.eq(idx != len(flits)),
                         port.payload.as_value().eq(rd.data)]
            with m.If(port.valid & port.ready):
                m.d.sync += idx.eq(idx + 1)
            sources_done.append(idx == len(flits))
        slots = n_ep * self.packets * (self.length + 1)
        m.submodules.rx = rx = Memory(shape=fw + 2 + (n_ep - 1).bit_length() if n_ep > 1 else 1,
                                      depth=slots, init=[])
        wr = rx.write_port()
        rd = rx.read_port(domain="comb")
        # Sink: grant the first endpoint with a valid flit at or after the pointer.
        turn = Signal(range(n_ep))
        grant = Signal(range(n_ep))
        any_valid = Signal()
        valids = [mesh.local_out[i].valid for i in range(n_ep)]
        with m.Switch(turn):
            for start in range(n_ep):
                with m.Case(start):
                    for k in reversed([(start + j) % n_ep for j in range(n_ep)]):
                        with m.If(valids[k]):
                            m.d.comb += [grant.eq(k), any_valid.eq(1)]
        dumping, quiet = Signal(), Signal(range(QUIET + 1))
        count = Signal(32)
        base = [Signal(range(slots + 1), name=f"rx{i}_base") for i in range(n_ep)]
        offset = [Signal(range(self.length + 2), name=f"rx{i}_offset") for i in range(n_ep)]
        for i in range(n_ep):
            out = mesh.local_out[i]
            m.d.comb += out.ready.eq(~dumping & any_valid & (grant == i))
            with m.If(out.valid & out.ready):
                data = out.payload.data
                src = (data[10:13] * cfg.mesh_x + data[7:10]) * cfg.local_ports
                if cfg.local_ports > 1:
                    src = src + data[13]
                tag = data[24:32]
                slot = Signal(range(slots * 2 + 2), name=f"rx{i}_slot")
                with m.If(out.payload.head):
                    m.d.comb += slot.eq((src * self.packets + tag) * (self.length + 1))
                    with m.If((tag >= self.packets) | (data[7:10] >= cfg.mesh_x)
                              | (data[10:13] >= cfg.mesh_y)):
                        m.d.comb += slot.eq(slots)  # names no slot: not stored
                    m.d.sync += [base[i].eq(slot), offset[i].eq(1)]
                with m.Else():
                    m.d.comb += slot.eq(Mux(offset[i] > self.length, slots, base[i] + offset[i]))
                    m.d.sync += offset[i].eq(offset[i] + 1)
                m.d.comb += [wr.addr.eq(slot), wr.en.eq(slot < slots),
                             wr.data.eq(out.payload.as_value() | (i << (fw + 2)))]
        moved = Signal()
        m.d.comb += moved.eq(any_valid & ~dumping)
        with m.If(moved):
            m.d.sync += [count.eq(count + 1), quiet.eq(0), turn.eq(Mux(grant == n_ep - 1, 0,
                                                                        grant + 1))]
        with m.Elif(~dumping & (quiet != QUIET)):
            m.d.sync += quiet.eq(quiet + 1)
        all_sent = Signal()
        m.d.comb += all_sent.eq(Cat(sources_done).all())
        with m.If(all_sent & (quiet == QUIET)):
            m.d.sync += dumping.eq(1)
        ptr = Signal(range(slots + 2))
        m.d.comb += rd.addr.eq(ptr)
        with m.If(dumping & ~self.done):
            m.d.comb += [self.out_valid.eq(1),
                         self.out_data.eq(Mux(ptr == slots, count, rd.data))]
            m.d.sync += ptr.eq(ptr + 1)
            with m.If(ptr == slots):
                m.d.sync += self.done.eq(1)
        return m
