"""The mesh's campaign workload: a fixed packet set across the NoC, dumped in canonical order.

:class:`NocCampaignHarness` wraps a :class:`hdl_gen.noc.Mesh` (instance ``mesh``) and runs
with no testbench in the loop (see :mod:`fault_campaigns.workload`):

* **Sources**: every endpoint plays its packets from a ROM ``src<i>`` (flits back to back,
  from reset): ``packets`` packets of ``length`` payload flits each, tags ``0 ..
  packets - 1``, destinations drawn uniformly (never itself) from ``seed``.
* **Sink**: in each cycle at most one endpoint ejects (``ready`` goes to the first endpoint
  with a valid flit at or after a rotating pointer), so one write port suffices. Each
  received flit is stored in the RAM ``rx`` at a slot given only by what it carries:
  packet ``(source endpoint, tag)`` has slots ``(source * packets + tag) * (length + 1) + j``
  for its flit ``j``; the word stored is ``data | head << F | tail << (F + 1) |
  receiving_endpoint << (F + 2)`` (``F = flit_width``). A header naming no valid slot is
  not stored (it is missing then). ``count`` counts every received flit.
* **End**: once every source has sent everything and no flit was received for
  :data:`QUIET` cycles, the harness dumps ``rx`` (slot order) and then ``count`` on
  ``out_valid``/``out_data`` and raises ``done``.

So the output does not depend on timing: a delayed but correct delivery is masked; a lost,
misrouted, corrupted or duplicated flit changes a slot or the count (SDC, or DUE if the link
code flagged it). Protection events are the mesh's ``corrected_count`` / ``detected_count``
registers (:class:`~fault_campaigns.workload.Event`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from amaranth.back import verilog
from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import Out

from golden_models.noc import Packet, make_packet
from hdl_gen.noc import Mesh
from orbitbench.noc import NocConfig, get_noc_config
from testbenches.sim import SIM_BUILD

from .engine import Ports
from .workload import Event, Workload

__all__ = ["NocCampaignHarness", "noc_workload", "noc_schedule", "expected_output", "QUIET",
           "SMALL_CONFIGS", "mesh2x1", "mesh2x1_secded", "mesh2x2", "mesh2x2_secded",
           "LINK_BUFFERS"]

#: Idle cycles (no flit received, all sources done) before the harness dumps its results.
QUIET = 64
#: Fault-target glob of the flits in flight: every router's input buffer slots (the links
#: are combinational, so a flit in flight is always in a buffer slot).
LINK_BUFFERS = "mesh.router_*.in*_slot*"
#: Small meshes for CI campaigns; each has a no-argument factory of the same name for the CLI
#: (``--workload fault_campaigns.noc_workload:mesh2x1_secded``), 4 packets per endpoint.
SMALL_CONFIGS = {
    "mesh2x1": NocConfig(mesh_x=2, mesh_y=1, name="mesh2x1"),
    "mesh2x1_secded": NocConfig(mesh_x=2, mesh_y=1, protection="secded", name="mesh2x1_secded"),
    "mesh2x2": NocConfig(mesh_x=2, mesh_y=2, name="mesh2x2"),
    "mesh2x2_secded": NocConfig(mesh_x=2, mesh_y=2, protection="secded", name="mesh2x2_secded"),
}


def noc_schedule(cfg: NocConfig, packets: int, length: int, seed: int) -> list[list[Packet]]:
    """Per source endpoint: its ``packets`` packets (tags 0..packets-1), in sending order."""
    rng = np.random.default_rng(seed)
    out = []
    for src in range(cfg.endpoints):
        row = []
        for tag in range(packets):
            dst = int(rng.integers(cfg.endpoints - 1))
            row.append(make_packet(cfg, src, dst + (dst >= src), length, tag=tag, rng=rng))
        out.append(row)
    return out


def _word(cfg: NocConfig, flit, endpoint: int) -> int:
    data, head, tail = flit
    fw = cfg.flit_width
    return data | head << fw | tail << (fw + 1) | endpoint << (fw + 2)


def expected_output(cfg: NocConfig, schedule: list[list[Packet]]) -> list[int]:
    """The harness's output words for a fault-free run: every slot, then the flit count."""
    words, count = [], 0
    for row in schedule:
        for packet in row:
            for flit in packet.flits():
                words.append(_word(cfg, flit, packet.dst(cfg)))
                count += 1
    return [*words, count]


class NocCampaignHarness(wiring.Component):
    """Plays ``schedule`` through a mesh of ``cfg`` and dumps what arrived (module docstring).

    Members
    -------
    done : Out(1)
    out_valid, out_data : Out(1), Out(64)
    """

    def __init__(self, cfg: NocConfig, schedule: list[list[Packet]], length: int):
        _check_width(cfg)
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


def _check_width(cfg: NocConfig) -> None:
    if cfg.flit_width + 2 + (cfg.endpoints - 1).bit_length() > 64:
        raise ValueError(f"flit_width must leave room for the endpoint in a 64-bit output "
                         f"word, not {cfg.flit_width}")


def _config(config) -> NocConfig:
    if isinstance(config, NocConfig):
        return config
    if config in SMALL_CONFIGS:
        return SMALL_CONFIGS[config]
    return get_noc_config(config)


def noc_workload(config: str | NocConfig = "mesh4x4", packets: int = 2, length: int = 4,
                 seed: int = 1, *, build_root: Path = SIM_BUILD) -> Workload:
    """The campaign workload of ``config`` (a name of ``NOC_CONFIGS`` or ``SMALL_CONFIGS``, or
    a NocConfig): ``packets`` packets of ``length`` payload flits per endpoint from ``seed``.

    Default fault targets: the whole mesh (``mesh.*``); :data:`LINK_BUFFERS` restricts them to
    the flits in flight.
    """
    cfg = _config(config)
    _check_width(cfg)
    for name, value, lo, hi in (("packets", packets, 1, 256), ("length", length, 0, 63)):
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ValueError(f"{name} must be from {lo} to {hi}, not {value!r}")
    schedule = noc_schedule(cfg, packets, length, seed)
    top = f"{cfg.top_name}_campaign_p{packets}_l{length}_s{seed}"
    text = verilog.convert(NocCampaignHarness(cfg, schedule, length), name=top, emit_src=False)
    path = Path(build_root) / "noc_campaign" / f"{top}.v"
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    suffix = "_tmr0" if cfg.tmr else ""
    # CRC only detects: its corrected counter is never driven and Verilator removes it.
    events = ()
    if cfg.protection == "secded":
        events = (Event(f"mesh.ev_corrected_count{suffix}", "corrected"),
                  Event(f"mesh.ev_detected_count{suffix}", "detected"))
    elif cfg.protection == "crc":
        events = (Event(f"mesh.ev_detected_count{suffix}", "detected"),)
    expected = expected_output(cfg, schedule)
    return Workload(
        name=f"{cfg.name}-p{packets}-l{length}-seed{seed}", top=top, sources=(path,),
        ports=Ports(), include=("mesh.*",), expected=tuple(expected), events=events,
        elem_bits=64, params={"config": cfg.name, "protection": cfg.protection, "tmr": cfg.tmr,
                              "packets": packets, "length": length, "seed": seed,
                              "endpoints": cfg.endpoints})


def mesh2x1() -> Workload:
    """``noc_workload("mesh2x1", packets=4)``: two unprotected routers."""
    return noc_workload("mesh2x1", packets=4)


def mesh2x1_secded() -> Workload:
    """``noc_workload("mesh2x1_secded", packets=4)``: two routers, SECDED links."""
    return noc_workload("mesh2x1_secded", packets=4)


def mesh2x2() -> Workload:
    """``noc_workload("mesh2x2", packets=4)``: unprotected 2x2 mesh."""
    return noc_workload("mesh2x2", packets=4)


def mesh2x2_secded() -> Workload:
    """``noc_workload("mesh2x2_secded", packets=4)``: SECDED links on a 2x2 mesh."""
    return noc_workload("mesh2x2_secded", packets=4)
