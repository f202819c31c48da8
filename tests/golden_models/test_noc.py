"""NoC packet model: packets, XY routes, zero-load latency, scoreboard (and its negative
controls), traffic generators."""

from __future__ import annotations

import numpy as np
import pytest

from golden_models.noc import (
    HOP_LATENCY,
    Scoreboard,
    ScoreboardError,
    hops,
    make_packet,
    traffic,
    xy_route,
    zero_load_latency,
)
from orbitbench.spec.noc import MAX_LENGTH, Header, NocConfig

CFG = NocConfig(mesh_x=4, mesh_y=3, local_ports=2)


def test_packet_flits_framing():
    p = make_packet(CFG, 0, 5, 3, tag=9, payload=[1, 2, 3])
    assert p.flits() == [(p.header.pack(), 1, 0), (1, 0, 0), (2, 0, 0), (3, 0, 1)]
    header_only = Header(dst_x=2, dst_y=0, dst_p=1, ptype=4).pack()
    assert make_packet(CFG, 0, 5).flits() == [(header_only, 1, 1)]
    assert (p.src(CFG), p.dst(CFG)) == (0, 5)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"src": 24}, ValueError, "src must be from 0 to 23, not 24"),
    ({"dst": -1}, ValueError, "dst must be from 0 to 23, not -1"),
    ({"length": 64}, ValueError, "length must be from 0 to 63, not 64"),
    ({"src": 1.0}, TypeError, "src must be an integer, not 1.0"),
])
def test_make_packet_errors(kwargs, error, message):
    args = {"src": 0, "dst": 1, "length": 0, **kwargs}
    with pytest.raises(error, match=f"^{message}$"):
        make_packet(CFG, args.pop("src"), args.pop("dst"), **args)


def test_xy_route_x_first():
    src, dst = CFG.endpoint(0, 2, 1), CFG.endpoint(3, 0, 0)
    assert xy_route(CFG, src, dst) == [(0, 2), (1, 2), (2, 2), (3, 2), (3, 1), (3, 0)]
    assert xy_route(CFG, dst, src) == [(3, 0), (2, 0), (1, 0), (0, 0), (0, 1), (0, 2)]
    assert xy_route(CFG, 0, 1) == [(0, 0)]  # two ports of one router


def test_zero_load_latency_formula():
    for src in range(CFG.endpoints):
        for dst in range(CFG.endpoints):
            (sx, sy, _), (dx, dy, _) = CFG.coords(src), CFG.coords(dst)
            assert hops(CFG, src, dst) == abs(sx - dx) + abs(sy - dy)
            for length in (0, 7, MAX_LENGTH):
                assert zero_load_latency(CFG, src, dst, length) == \
                    (abs(sx - dx) + abs(sy - dy) + 1) * HOP_LATENCY + length


def _deliver(sb, packets, tamper=None):
    for p in packets:
        sb.send(p)
    for p in packets:
        flits = p.flits()
        if tamper:
            flits = tamper(flits)
        for f in flits:
            sb.receive(p.dst(CFG), f)


def _packets(n=6, seed=1):
    rng = np.random.default_rng(seed)
    return [make_packet(CFG, i % 3, 7 + i % 2, i % 4, tag=i, rng=rng) for i in range(n)]


def test_scoreboard_accepts_correct_delivery():
    sb = Scoreboard(CFG)
    _deliver(sb, _packets())
    sb.check()
    assert len(sb.delivered) == 6 and sb.outstanding == 0


@pytest.mark.parametrize("fault, message", [
    ("drop_packet", "never delivered"),
    ("drop_flit", "payload flits"),
    ("duplicate_packet", "differs from the next one sent"),
    ("duplicate_flit", "outside a packet"),
    ("corrupt_payload", "differs from the next one sent"),
    ("wrong_endpoint", "received a packet for endpoint"),
    ("reorder", "differs from the next one sent"),
    ("no_tail", "head flit .* inside a packet"),
])
def test_scoreboard_negative_controls(fault, message):
    packets = _packets(12)  # flows of 3 sources x 2 destinations: two packets per flow
    sb = Scoreboard(CFG)
    for p in packets:
        sb.send(p)
    order = list(packets)
    if fault == "reorder":
        order[3], order[9] = packets[9], packets[3]  # same flow (0 -> 8), swapped
    for i, p in enumerate(order):
        flits, dst = p.flits(), p.dst(CFG)
        if i == 3:
            if fault == "drop_packet":
                continue
            if fault == "drop_flit":
                flits = flits[:1] + flits[2:] if len(flits) > 2 else flits[1:]
            if fault == "duplicate_packet":
                flits = flits + flits
            if fault == "duplicate_flit":
                flits = flits + flits[-1:]
            if fault == "corrupt_payload":
                flits = [flits[0], (flits[1][0] ^ 4, 0, flits[1][2]), *flits[2:]]
            if fault == "wrong_endpoint":
                dst = dst ^ 1
            if fault == "no_tail":
                flits = flits[:-1] + [(flits[-1][0], flits[-1][1], 0)]
        for f in flits:
            sb.receive(dst, f)
    with pytest.raises(ScoreboardError, match=message):
        sb.check()


@pytest.mark.parametrize("pattern", ["uniform", "transpose", "hotspot", "bursty"])
def test_traffic_offered_load(pattern):
    cfg = NocConfig(mesh_x=4, mesh_y=4)
    load, cycles, length = 0.3, 4000, 4
    sched = traffic(cfg, pattern, load, cycles, length=length, seed=5, hotspot=3)
    flits = sum(len(s) for s in sched) * (length + 1)
    active = cfg.endpoints - (4 if pattern == "transpose" else 1 if pattern == "hotspot" else 0)
    assert flits / (cycles * active) == pytest.approx(load, rel=0.1)
    for src, packets in enumerate(sched):
        assert [p.inject_cycle for p in packets] == sorted(p.inject_cycle for p in packets)
        for p in packets:
            assert p.src(cfg) == src and p.dst(cfg) != src
            if pattern == "transpose":
                (x, y, _), (dx, dy, _) = cfg.coords(src), cfg.coords(p.dst(cfg))
                assert (dx, dy) == (y, x)
    if pattern == "hotspot":
        dsts = [p.dst(cfg) for s in sched for p in s]
        assert dsts.count(3) / len(dsts) > 0.5
    assert traffic(cfg, pattern, load, 200, seed=5) == traffic(cfg, pattern, load, 200, seed=5)


def test_traffic_errors():
    with pytest.raises(ValueError, match=r"^load must be in \(0, 1\] flits/cycle/endpoint, "
                                         "not 1.5$"):
        traffic(CFG, "uniform", 1.5, 10)
    with pytest.raises(ValueError, match="^transpose needs a square mesh, not 4x3$"):
        traffic(CFG, "transpose", 0.5, 100)
    with pytest.raises(ValueError, match="^pattern must be one of uniform, transpose, hotspot, "
                                         "bursty, not 'x'$"):
        traffic(CFG, "x", 0.5, 10)
