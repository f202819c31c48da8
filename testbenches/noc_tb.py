"""cocotb testbench of the mesh (:class:`hdl_gen.noc.Mesh`): drivers, sinks, scoreboard, tests.

:class:`MeshTestbench` owns, per endpoint, a driver (injects packets from a schedule with
random idle gaps between flits), a sink (random back-pressure) and a monitor (passive: every
ejected flit goes to the :class:`golden_models.noc.Scoreboard`), plus a deadlock/livelock
watchdog. All parts run in one clock loop (one coroutine, one simulator round trip per
signal and cycle), sampling at the falling edge: a port's ``ready`` (inputs) and ``valid``/
``payload`` (outputs) depend only on mesh state, so the transfers of the next rising edge
are known there. Cycle ``n`` is the ``n``-th rising edge after reset.

Parameters come from the environment: ``ORBITBENCH_DESIGN`` (the NocConfig as JSON) and
``ORBITBENCH_SEED``.
"""

from __future__ import annotations

import json
import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

from golden_models.noc import (
    Packet,
    Scoreboard,
    ScoreboardError,
    make_packet,
    traffic,
    zero_load_latency,
)
from orbitbench.spec import knobs
from orbitbench.spec.noc import MAX_LENGTH, NocConfig

SEED = knobs.SEED.get_int() or 1


def design_config() -> NocConfig:
    return NocConfig(**json.loads(knobs.DESIGN.require()))


class Deadlock(AssertionError):
    """No flit moved at any endpoint for the watchdog window while packets were outstanding."""


class _Driver:
    def __init__(self, tb, index: int, idle: float):
        self.tb, self.index, self.idle = tb, index, idle
        self.port = getattr(tb.dut, f"local_in__{index}__valid")
        self.payload = getattr(tb.dut, f"local_in__{index}__payload")
        self.ready = getattr(tb.dut, f"local_in__{index}__ready")
        self.queue: list[Packet] = []
        self.flits: list[tuple[int, int, int]] = []
        self.packet: Packet | None = None
        self.valid = False  # valid as driven now
        self.offered = False  # a flit is offered and not yet taken: valid must stay high

    def step(self, cycle: int) -> bool:
        """Drive for the next edge (cycle ``cycle``); True if a flit transfers there."""
        tb = self.tb
        if not self.flits and self.queue and self.queue[0].inject_cycle <= cycle:
            self.packet = self.queue.pop(0)
            self.flits = self.packet.flits()
            tb.scoreboard.send(self.packet)
        want = bool(self.flits) and (self.offered or tb.rng.random() >= self.idle)
        if want and not self.offered:
            data, head, tail = self.flits[0]
            fw = tb.cfg.flit_width
            self.payload.value = data | head << fw | tail << (fw + 1)
            self.offered = True
        if want != self.valid:
            self.port.value = int(want)
            self.valid = want
        if want and int(self.ready.value):
            _, head, _ = self.flits.pop(0)
            if head:
                tb.inject_cycle[id(self.packet)] = cycle
            self.offered = False
            return True
        return False


class _Sink:
    def __init__(self, tb, index: int, backpressure: float):
        self.tb, self.index, self.backpressure = tb, index, backpressure
        self.valid = getattr(tb.dut, f"local_out__{index}__valid")
        self.payload = getattr(tb.dut, f"local_out__{index}__payload")
        self.ready_port = getattr(tb.dut, f"local_out__{index}__ready")
        self.ready = None
        self.hold = False  # a test may stall this sink

    def step(self, cycle: int) -> tuple[int, int, int] | None:
        ready = 0 if self.hold else int(self.tb.rng.random() >= self.backpressure)
        if ready != self.ready:
            self.ready_port.value = ready
            self.ready = ready
        if ready and int(self.valid.value):
            word = int(self.payload.value)
            fw = self.tb.cfg.flit_width
            return word & ((1 << fw) - 1), word >> fw & 1, word >> (fw + 1) & 1
        return None


class MeshTestbench:
    """Drivers, sinks, monitors, scoreboard and watchdog around the mesh ``dut``.

    ``idle``: probability that a driver with a flit ready leaves a cycle idle (random gaps);
    ``backpressure``: probability that a sink is not ready in a cycle. ``watchdog``: cycles
    without any endpoint transfer, packets outstanding, before :class:`Deadlock`;
    ``max_cycles``: bound on one :meth:`run`. ``tamper(endpoint, flit) -> list of flits``
    is the monitor's fault hook for negative controls (drop: ``[]``, duplicate, corrupt).
    """

    def __init__(self, dut, *, idle: float = 0.0, backpressure: float = 0.0, seed: int = SEED,
                 watchdog: int = 500, max_cycles: int = 200_000):
        self.dut, self.cfg = dut, design_config()
        self.rng = random.Random(seed)
        self.log = dut._log.getChild("mesh_tb")
        self.scoreboard = Scoreboard(self.cfg)
        self.drivers = [_Driver(self, i, idle) for i in range(self.cfg.endpoints)]
        self.sinks = [_Sink(self, i, backpressure) for i in range(self.cfg.endpoints)]
        self.watchdog, self.max_cycles = watchdog, max_cycles
        self.tamper = None
        self.cycle = 0
        self.inject_cycle: dict[int, int] = {}
        self.latencies: list[tuple[Packet, int]] = []

    async def reset(self) -> None:
        cocotb.start_soon(Clock(self.dut.clk, 10, unit="ns").start())
        for i in range(self.cfg.endpoints):
            self.drivers[i].port.value = 0
            self.sinks[i].ready_port.value = 0
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)

    def load(self, schedule: list[list[Packet]]) -> None:
        for driver, packets in zip(self.drivers, schedule, strict=True):
            driver.queue.extend(packets)

    def _stuck(self) -> str:
        lines = [f"cycle {self.cycle}: {self.scoreboard.outstanding} packet(s) outstanding"]
        for d in self.drivers:
            if d.flits or d.queue:
                lines.append(f"  source {d.index}: {len(d.flits)} flits of the current packet "
                             f"left, {len(d.queue)} packets queued")
        for (src, dst), q in sorted(self.scoreboard.expected.items()):
            if q:
                lines.append(f"  flow {src}->{dst}: {len(q)} undelivered, first {q[0].header}")
        return "\n".join(lines)

    async def run(self, until_idle: bool = True, cycles: int | None = None) -> None:
        """Clock the loop until every packet is sent and delivered (or ``cycles`` pass)."""
        last_move, start = self.cycle, self.cycle
        while True:
            await FallingEdge(self.dut.clk)
            moved = False
            for d in self.drivers:
                moved |= d.step(self.cycle + 1)
            for s in self.sinks:
                flit = s.step(self.cycle + 1)
                if flit is None:
                    continue
                moved = True
                for f in (self.tamper(s.index, flit) if self.tamper else [flit]):
                    before = len(self.scoreboard.delivered)
                    self.scoreboard.receive(s.index, f, self.cycle + 1)
                    if len(self.scoreboard.delivered) > before:
                        packet = self.scoreboard.delivered[-1][0]
                        head = self.inject_cycle.get(id(packet))
                        if head is not None:
                            self.latencies.append((packet, self.cycle + 1 - head))
            self.cycle += 1
            if moved:
                last_move = self.cycle
            busy = self.scoreboard.outstanding or any(d.flits or d.queue for d in self.drivers)
            if cycles is not None and self.cycle - start >= cycles:
                break
            if until_idle and cycles is None and not busy:
                break
            if self.scoreboard.outstanding and self.cycle - last_move > self.watchdog:
                raise Deadlock(f"no flit moved for {self.watchdog} cycles\n{self._stuck()}")
            if self.cycle - start > self.max_cycles:
                raise Deadlock(f"still busy after {self.max_cycles} cycles\n{self._stuck()}")
        await RisingEdge(self.dut.clk)
        self.cycle += 1


# ----------------------------------------------------------------------------------------------
# Tests


async def _traffic_test(dut, pattern: str, load: float, cycles: int = 400, length: int = 3):
    tb = MeshTestbench(dut, idle=0.2, backpressure=0.3)
    await tb.reset()
    hot = tb.cfg.endpoints - 1
    tb.load(traffic(tb.cfg, pattern, load, cycles, length=length, seed=SEED, hotspot=hot))
    await tb.run()
    tb.scoreboard.check()
    assert tb.scoreboard.sent > 10, "the schedule sent almost nothing"
    tb.log.info("%s: %d packets delivered in %d cycles", pattern, tb.scoreboard.sent, tb.cycle)


@cocotb.test()
@cocotb.parametrize(pattern=["uniform", "transpose", "hotspot", "bursty"])
async def test_pattern(dut, pattern):
    """Each traffic pattern under random idle gaps and back-pressure, scoreboard-checked."""
    cfg = design_config()
    if pattern == "transpose" and cfg.mesh_x != cfg.mesh_y:
        return
    await _traffic_test(dut, pattern, load=0.4)


@cocotb.test()
async def test_directed(dut):
    """Header-only packets, maximum-length packets, all-to-one hotspot, every pair once."""
    tb = MeshTestbench(dut, idle=0.1, backpressure=0.4)
    await tb.reset()
    cfg, rng = tb.cfg, random.Random(SEED)
    nrng = np.random.default_rng(SEED)
    sched: list[list[Packet]] = [[] for _ in range(cfg.endpoints)]
    for s in range(cfg.endpoints):
        for d in range(cfg.endpoints):  # every pair once, self included, header only
            sched[s].append(make_packet(cfg, s, d, 0, tag=d))
        sched[s].append(make_packet(cfg, s, (s + 1) % cfg.endpoints, MAX_LENGTH, rng=nrng))
        # all-to-one: every source to endpoint 0, random lengths including the extremes
        for t in range(3):
            sched[s].append(make_packet(cfg, s, 0, rng.choice([0, 1, MAX_LENGTH]), tag=t,
                                        rng=nrng))
    tb.load(sched)
    await tb.run()
    tb.scoreboard.check()


@cocotb.test()
async def test_zero_load_latency(dut):
    """Every (source, destination) pair alone in the mesh: latency equals the formula."""
    tb = MeshTestbench(dut)
    await tb.reset()
    cfg = tb.cfg
    bad = []
    for s in range(cfg.endpoints):
        for d in range(cfg.endpoints):
            for length in (0, 5):
                tb.load([[make_packet(cfg, s, d, length)] if i == s else []
                         for i in range(cfg.endpoints)])
                tb.latencies.clear()
                await tb.run()
                (packet, measured), = tb.latencies
                want = zero_load_latency(cfg, s, d, length)
                if measured != want:
                    bad.append((s, d, length, measured, want))
                await ClockCycles(dut.clk, 3)
                tb.cycle += 3
    tb.scoreboard.check()
    assert not bad, f"(src, dst, length, measured, formula): {bad}"


def _tampers():
    def drop(state):
        def hook(ep, flit):
            state["n"] += 1
            return [] if state["n"] == 7 else [flit]
        return hook

    def dup(state):
        def hook(ep, flit):
            state["n"] += 1
            return [flit, flit] if state["n"] == 7 and not flit[1] else [flit]
        return hook

    def corrupt(state):
        def hook(ep, flit):
            state["n"] += 1
            return [(flit[0] ^ 1 << 20, flit[1], flit[2])] if state["n"] == 7 else [flit]
        return hook

    return {"drop": drop, "duplicate": dup, "corrupt": corrupt}


@cocotb.test()
@cocotb.parametrize(fault=["drop", "duplicate", "corrupt"])
async def test_scoreboard_catches(dut, fault):
    """Negative control: a dropped, duplicated or corrupted flit must fail the scoreboard."""
    tb = MeshTestbench(dut, backpressure=0.2, watchdog=100)
    await tb.reset()
    tb.tamper = _tampers()[fault]({"n": 0})
    tb.load(traffic(tb.cfg, "uniform", 0.3, 150, length=3, seed=SEED))
    try:
        await tb.run()
    except Deadlock as exc:  # a dropped flit leaves its packet outstanding: expected here
        tb.log.info("watchdog: %s", str(exc).splitlines()[0])
    try:
        tb.scoreboard.check()
    except ScoreboardError as exc:
        tb.log.info("caught as required: %s", str(exc).splitlines()[1])
        return
    raise AssertionError(f"the scoreboard missed a {fault} flit")


def _occupied_slots(dut, cfg):
    """(router handle, input k, slot j) of every buffered flit that is not a head flit."""
    out = []
    depth = cfg.buffer_depth
    for y in range(cfg.mesh_y):
        for x in range(cfg.mesh_x):
            r = getattr(dut, f"router_{x}_{y}")
            for k in range(4 + cfg.local_ports):
                wp, rp = int(getattr(r, f"in{k}_wp").value), int(getattr(r, f"in{k}_rp").value)
                for n in range((wp - rp) % (2 * depth)):
                    j = (rp + n) % depth
                    word = int(getattr(r, f"in{k}_slot{j}").value)
                    if not word >> cfg.flit_width & 1:  # payload flits only: data bits
                        out.append((r, k, j))
    return out


@cocotb.test(skip=(knobs.DESIGN.get_json() or {}).get("protection")
             != "secded")
@cocotb.parametrize(flips=[1, 2])
async def test_upsets_in_flight(dut, flips):
    """secded: single upsets of buffered flits are corrected and counted; a double is flagged.

    All sinks stall so that packets pile up in the buffers; one payload flit in every
    occupied buffer gets ``flips`` adjacent data bits flipped by deposit; then the sinks
    drain. One flip per flit: delivery is exact and ``corrected_count`` equals the number
    of flits hit. Two flips in one flit: ``detected_count`` counts it (and the scoreboard
    sees the damaged payload, which is the point of flagging it).
    """
    cfg = design_config()
    tb = MeshTestbench(dut, seed=SEED)
    await tb.reset()
    for s in tb.sinks:
        s.hold = True
    n = cfg.endpoints
    tb.load([[make_packet(cfg, i, (i + 1 + i % 2) % n, 12, tag=1,
                          rng=np.random.default_rng(SEED + i))]
             for i in range(n)])
    await tb.run(cycles=60)
    await FallingEdge(dut.clk)
    hits = _occupied_slots(dut, cfg)
    assert hits, "no payload flit buffered to hit"
    if flips == 2:
        hits = hits[:1]
    for r, k, j in hits:
        slot = getattr(r, f"in{k}_slot{j}")
        slot.value = int(slot.value) ^ (3 if flips == 2 else 1 << tb.rng.randrange(8))
    for s in tb.sinks:
        s.hold = False
    await tb.run()
    corrected, detected = int(dut.corrected_count.value), int(dut.detected_count.value)
    tb.log.info("%d flits hit with %d flips: corrected %d, detected %d", len(hits), flips,
                corrected, detected)
    if flips == 1:
        tb.scoreboard.check()
        assert (corrected, detected) == (len(hits), 0)
    else:
        assert (corrected, detected) == (0, 1)
        try:
            tb.scoreboard.check()
        except ScoreboardError:
            return
        raise AssertionError("a double upset in the data bits reached the sink unnoticed")
