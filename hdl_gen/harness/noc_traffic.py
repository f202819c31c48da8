"""HDL traffic generators and latency/throughput counters around a mesh, for ``make bench-noc``.

Driving every endpoint from Python costs several simulator crossings per cycle; this wrapper
generates and measures the traffic at simulator speed, and cocotb only sets the knobs, waits
and reads the counters (:mod:`testbenches.noc_bench`). Testbench code: generated into
``sim_build/``, never into ``rtl/``.

* **Sources** (one per endpoint, open loop): in every cycle with ``enable`` high a packet
  is created with probability ``rate / 65536`` and queued (a 16-bit count of queued
  packets; creation stops while it is full). A queued packet is sent as soon as the source
  is idle: header, then ``length`` payload flits back to back (``length >= 1``); the first
  payload flit carries the cycle at which the header was transferred into the mesh.
  Random numbers: two xorshift32 generators per endpoint (one step per cycle, distinct
  seeds): ``a[0:16]`` decides creation, ``b[0:16]`` the uniform destination, ``b[16:32]``
  the hotspot choice. Destinations by ``pattern``: 0 uniform (``(r * E) >> 16`` of 16
  random bits ``r``; itself becomes the next endpoint), 1 transpose (router ``(x, y)`` to
  ``(y, x)``, same local port; diagonal sources stay idle), 2 hotspot (endpoint
  ``hotspot`` with probability ``hot_rate / 65536``, else uniform; the hotspot itself sends
  uniform traffic).
* **Sinks**: always ready. At a tail flit the packet latency (tail ejection cycle minus
  header injection cycle) is added to ``lat_sum`` and ``lat_max`` follows the largest.
  ``flits_in`` / ``flits_out`` count flits injected / ejected, ``packets_out`` tails.
* **Latency samples** (for percentiles): in each cycle one endpoint, in rotation, is
  watched; its tail's latency (saturated to 16 bits) is written to the RAM ``samples``
  (:data:`SAMPLES` words, a ring) and ``n_samples`` counts the writes. Read a word by
  setting ``sample_addr`` and reading ``sample_data`` (combinational).
* ``clear`` zeroes every counter (the queues and the traffic keep going).
"""

from __future__ import annotations

from amaranth.back import verilog
from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl_gen.noc import Mesh
from orbitbench.spec.noc import NocConfig

__all__ = ["NocTraffic", "emit_traffic", "SAMPLES"]

SAMPLES = 4096  # latency sample ring; a histogram adder per bin and endpoint built far slower


def _xorshift32(m: Module, state, name: str):
    """Next state of Marsaglia's xorshift32 (13, 17, 5), through named steps."""
    a, b, c = (Signal(32, name=f"{name}_x{i}") for i in range(3))
    m.d.comb += [a.eq(state ^ (state << 13)[:32]), b.eq(a ^ (a >> 17)), c.eq(b ^ (b << 5)[:32])]
    return c


class NocTraffic(wiring.Component):
    """Traffic generators and counters around a :class:`hdl_gen.noc.Mesh` (module docstring).

    Members
    -------
    enable, clear : In(1)
    rate, hot_rate : In(16)
    pattern : In(2)
    hotspot : In(8)
    length : In(6)
    cycles, flits_in, flits_out, packets_out, lat_sum, lat_max : Out(32) (lat_sum Out(48))
    n_samples : Out(32)
    sample_addr : In(range(SAMPLES)), sample_data : Out(16)
    """

    def __init__(self, cfg: NocConfig):
        if not isinstance(cfg, NocConfig):
            raise TypeError(f"cfg must be a NocConfig, not {cfg!r}")
        self.cfg = cfg
        super().__init__({
            "enable": In(1), "clear": In(1), "rate": In(16), "hot_rate": In(16),
            "pattern": In(2), "hotspot": In(8), "length": In(6),
            "cycles": Out(32), "flits_in": Out(32), "flits_out": Out(32),
            "packets_out": Out(32), "lat_sum": Out(48), "lat_max": Out(32),
            "n_samples": Out(32), "sample_addr": In(range(SAMPLES)), "sample_data": Out(16),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, n_ep = self.cfg, self.cfg.endpoints
        m.submodules.mesh = mesh = Mesh(cfg)
        now = Signal(32)
        m.d.sync += now.eq(now + 1)
        with m.If(self.clear):
            m.d.sync += self.cycles.eq(0)
        with m.Else():
            m.d.sync += self.cycles.eq(self.cycles + 1)
        injected, tails = [], []
        for i in range(n_ep):
            x, y, p = cfg.coords(i)
            lfsr = Signal(32, init=(0x9E37_79B9 * (2 * i + 1)) & 0xFFFF_FFFF, name=f"rng_a{i}")
            rnd = Signal(32, init=(0x85EB_CA6B * (2 * i + 3)) & 0xFFFF_FFFF, name=f"rng_b{i}")
            m.d.sync += [lfsr.eq(_xorshift32(m, lfsr, f"rng_a{i}")),
                         rnd.eq(_xorshift32(m, rnd, f"rng_b{i}"))]
            queued = Signal(16, name=f"queued{i}")
            sending = Signal(name=f"sending{i}")
            sent = Signal(7, name=f"sent{i}")  # flits of the current packet sent
            stamp = Signal(32, name=f"stamp{i}")
            dst = Signal(range(n_ep), name=f"dst{i}")
            tag = Signal(8, name=f"tag{i}")
            uni = Signal(range(n_ep), name=f"uni{i}")
            pick = ((rnd[0:16] * n_ep) >> 16)[:len(uni)]
            m.d.comb += uni.eq(Mux(pick == i, Const((i + 1) % n_ep), pick))
            new_dst = Signal(range(n_ep), name=f"new_dst{i}")
            idle_src = Signal(name=f"idle_src{i}")
            with m.Switch(self.pattern):
                with m.Case(1):
                    if cfg.mesh_x == cfg.mesh_y and x != y:
                        m.d.comb += new_dst.eq(cfg.endpoint(y, x, p))
                    else:
                        m.d.comb += idle_src.eq(1)
                with m.Case(2):
                    m.d.comb += new_dst.eq(Mux(rnd[16:32] < self.hot_rate, self.hotspot, uni))
                with m.Default():
                    m.d.comb += new_dst.eq(uni)
            create = self.enable & ~idle_src & (lfsr[0:16] < self.rate) & (queued != 0xFFFF)
            start = ~sending & (queued != 0)
            port = mesh.local_in[i]
            fire = port.valid & port.ready
            done = fire & (sent == self.length)
            m.d.sync += queued.eq(queued + create - (start.as_unsigned()))
            with m.If(start):
                m.d.sync += [sending.eq(1), sent.eq(0), dst.eq(new_dst), tag.eq(tag + 1)]
            dx, dy, dp = Signal(3), Signal(3), Signal(1)
            with m.Switch(dst):
                for d in range(n_ep):
                    with m.Case(d):
                        cx, cy, cp = cfg.coords(d)
                        m.d.comb += [dx.eq(cx), dy.eq(cy), dp.eq(cp)]
            header = Cat(dx, dy, dp, Const(x, 3), Const(y, 3), Const(p, 1), self.length,
                         Const(4, 4), tag)
            m.d.comb += [port.valid.eq(sending),
                         port.payload.data.eq(Mux(sent == 0, header,
                                                  Mux(sent == 1, stamp, Cat(lfsr, tag)))),
                         port.payload.head.eq(sent == 0), port.payload.tail.eq(sent ==
                                                                                self.length)]
            with m.If(fire):
                m.d.sync += sent.eq(sent + 1)
                with m.If(sent == 0):
                    m.d.sync += stamp.eq(now)
            with m.If(done):
                m.d.sync += sending.eq(0)
            injected.append(fire)
            # sink
            out = mesh.local_out[i]
            m.d.comb += out.ready.eq(1)
            first = Signal(32, name=f"rx_stamp{i}")
            rx_n = Signal(7, name=f"rx_n{i}")
            ofire = out.valid
            with m.If(ofire):
                m.d.sync += rx_n.eq(Mux(out.payload.tail, 0, rx_n + 1))
                with m.If(rx_n == 1):
                    m.d.sync += first.eq(out.payload.data[:32])
            tail = Signal(name=f"rx_tail{i}")
            lat = Signal(32, name=f"rx_lat{i}")
            m.d.comb += [tail.eq(ofire & out.payload.tail),
                         lat.eq(now - Mux(rx_n == 1, out.payload.data[:32], first))]
            tails.append((ofire, tail, lat))
        self._counters(m, injected, tails)
        return m

    def _counters(self, m, injected, tails):
        def count(bits):
            total = Const(0, 1)
            for b in bits:
                total = total + b
            return total

        with m.If(self.clear):
            m.d.sync += [self.flits_in.eq(0), self.flits_out.eq(0), self.packets_out.eq(0),
                         self.lat_sum.eq(0), self.lat_max.eq(0)]
        with m.Else():
            m.d.sync += [self.flits_in.eq(self.flits_in + count(injected)),
                         self.flits_out.eq(self.flits_out + count(f for f, _, _ in tails)),
                         self.packets_out.eq(self.packets_out + count(t for _, t, _ in tails))]
            total = Const(0, 1)
            biggest = self.lat_max
            for i, (_, t, lat) in enumerate(tails):
                total = total + Mux(t, lat, 0)
                step = Signal(32, name=f"lat_max_{i}")  # a named step: no exponential tree
                m.d.comb += step.eq(Mux(t & (lat > biggest), lat, biggest))
                biggest = step
            m.d.sync += [self.lat_sum.eq(self.lat_sum + total), self.lat_max.eq(biggest)]
        m.submodules.samples = mem = Memory(shape=16, depth=SAMPLES, init=[])
        wr, rd = mem.write_port(), mem.read_port(domain="comb")
        watch = Signal(range(len(tails)))
        m.d.sync += watch.eq(Mux(watch == len(tails) - 1, 0, watch + 1))
        wptr = Signal(range(SAMPLES))
        for i, (_, t, lat) in enumerate(tails):
            with m.If((watch == i) & t):
                m.d.comb += [wr.en.eq(1), wr.data.eq(Mux(lat > 0xFFFF, 0xFFFF, lat))]
        m.d.comb += [wr.addr.eq(wptr), rd.addr.eq(self.sample_addr),
                     self.sample_data.eq(rd.data)]
        with m.If(self.clear):
            m.d.sync += [wptr.eq(0), self.n_samples.eq(0)]
        with m.Elif(wr.en):
            m.d.sync += [wptr.eq(wptr + 1), self.n_samples.eq(self.n_samples + 1)]


def emit_traffic(cfg: NocConfig) -> tuple[str, str]:
    """(module name, Verilog text) of the traffic wrapper around the mesh of ``cfg``."""
    name = f"{cfg.top_name}_traffic"
    return name, verilog.convert(NocTraffic(cfg), name=name, emit_src=False)
