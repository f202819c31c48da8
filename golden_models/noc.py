"""Packet-level reference of the network-on-chip: packets, XY routes, latency, scoreboard.

Pure Python and NumPy (no simulator, no Amaranth). The configuration is the same
:class:`orbitbench.spec.noc.NocConfig` the generator builds the mesh from.

* :class:`Packet` / :func:`make_packet`: a header (:class:`orbitbench.spec.noc.Header`) and its
  payload words; :meth:`Packet.flits` gives the ``(data, head, tail)`` flits.
* :func:`xy_route`: the routers a packet visits (dimension order: X first, then Y).
* :func:`zero_load_latency`: cycles from the head flit's injection to the tail flit's
  ejection in an idle mesh, ``routers_visited * HOP_LATENCY + length``.
* :class:`Scoreboard`: checks delivered flits against sent packets.
* :func:`traffic`: packet injection schedules (uniform, transpose, hotspot, bursty).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

import numpy as np

from orbitbench.spec.noc import MAX_LENGTH, Header, NocConfig, PacketType

__all__ = ["HOP_LATENCY", "PATTERNS", "Packet", "make_packet", "xy_route", "hops",
           "zero_load_latency", "Scoreboard", "ScoreboardError", "traffic", "destination"]

#: Cycles per router visited by a head flit in an idle mesh (``hdl_gen.noc_router`` contract).
HOP_LATENCY = 1
#: Traffic patterns of :func:`traffic`.
PATTERNS = ("uniform", "transpose", "hotspot", "bursty")


@dataclass(frozen=True)
class Packet:
    """A header and ``header.length`` payload words (each ``< 2**flit_width``).

    ``inject_cycle`` is when the source may start sending it (traffic schedules).
    """

    header: Header
    payload: tuple[int, ...] = ()
    inject_cycle: int = 0

    def __post_init__(self):
        if len(self.payload) != self.header.length:
            raise ValueError(f"payload has {len(self.payload)} words, the header says "
                             f"length {self.header.length}")

    def flits(self) -> list[tuple[int, int, int]]:
        """``(data, head, tail)`` of every flit, header first."""
        words = [self.header.pack(), *self.payload]
        return [(w, int(i == 0), int(i == len(words) - 1)) for i, w in enumerate(words)]

    def src(self, cfg: NocConfig) -> int:
        h = self.header
        return cfg.endpoint(h.src_x, h.src_y, h.src_p)

    def dst(self, cfg: NocConfig) -> int:
        h = self.header
        return cfg.endpoint(h.dst_x, h.dst_y, h.dst_p)


def _check_endpoint(cfg: NocConfig, name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    if not 0 <= value < cfg.endpoints:
        raise ValueError(f"{name} must be from 0 to {cfg.endpoints - 1}, not {value!r}")


def make_packet(cfg: NocConfig, src: int, dst: int, length: int = 0, *, tag: int = 0,
                ptype: int = PacketType.RAW, payload=None, rng=None,
                inject_cycle: int = 0) -> Packet:
    """Packet from endpoint ``src`` to ``dst``; payload given, or random from ``rng``."""
    _check_endpoint(cfg, "src", src)
    _check_endpoint(cfg, "dst", dst)
    if not 0 <= length <= MAX_LENGTH:
        raise ValueError(f"length must be from 0 to {MAX_LENGTH}, not {length!r}")
    sx, sy, sp = cfg.coords(int(src))
    dx, dy, dp = cfg.coords(int(dst))
    header = Header(dst_x=dx, dst_y=dy, dst_p=dp, src_x=sx, src_y=sy, src_p=sp,
                    length=length, ptype=int(ptype), tag=tag)
    if payload is None:
        rng = rng if rng is not None else np.random.default_rng(0)
        payload = [int.from_bytes(rng.bytes(cfg.flit_width // 8), "little")
                   for _ in range(length)]
    return Packet(header, tuple(int(w) for w in payload), inject_cycle)


def xy_route(cfg: NocConfig, src: int, dst: int) -> list[tuple[int, int]]:
    """Routers ``(x, y)`` visited from endpoint ``src`` to ``dst``, both ends included."""
    _check_endpoint(cfg, "src", src)
    _check_endpoint(cfg, "dst", dst)
    x, y, _ = cfg.coords(int(src))
    tx, ty, _ = cfg.coords(int(dst))
    route = [(x, y)]
    while x != tx:
        x += 1 if tx > x else -1
        route.append((x, y))
    while y != ty:
        y += 1 if ty > y else -1
        route.append((x, y))
    return route


def hops(cfg: NocConfig, src: int, dst: int) -> int:
    """Router-to-router links crossed (Manhattan distance)."""
    return len(xy_route(cfg, src, dst)) - 1


def zero_load_latency(cfg: NocConfig, src: int, dst: int, length: int) -> int:
    """Cycles from the head flit's injection edge to the tail flit's ejection edge.

    Idle mesh, flits offered back to back, sink always ready: every router visited adds
    :data:`HOP_LATENCY`, then the ``length`` payload flits follow one per cycle.
    """
    return len(xy_route(cfg, src, dst)) * HOP_LATENCY + length


class ScoreboardError(AssertionError):
    """Delivered flits disagree with the sent packets; the message lists every problem."""


@dataclass
class _Rx:
    flits: list = field(default_factory=list)


class Scoreboard:
    """Checks delivery: every sent packet exactly once, at the right endpoint, intact.

    Call :meth:`send` for every packet a source injects (in injection order) and
    :meth:`receive` for every flit an endpoint ejects (in ejection order); :meth:`check`
    raises :class:`ScoreboardError` listing the problems:

    * framing: a flit outside a packet without ``head``, a ``head`` inside a packet, or a
      packet whose flit count differs from its header's ``length``;
    * wrong endpoint: the header names another destination than the receiving endpoint;
    * unknown or duplicated packet: no packet of that (source, destination) flow is
      outstanding, or the packet does not match (header or payload) the oldest outstanding
      packet of its flow (packets of one flow must arrive in order);
    * missing: with ``final=True``, sent packets never delivered, or a packet cut short.

    Delivered packets (with the cycles given to ``receive``) are in :attr:`delivered`.
    """

    def __init__(self, cfg: NocConfig):
        self.cfg = cfg
        self.expected: dict[tuple[int, int], deque] = defaultdict(deque)
        self.rx = [_Rx() for _ in range(cfg.endpoints)]
        self.errors: list[str] = []
        self.delivered: list[tuple[Packet, int, int | None]] = []  # packet, endpoint, cycle
        self.sent = 0

    @property
    def outstanding(self) -> int:
        return sum(len(q) for q in self.expected.values())

    def send(self, packet: Packet) -> None:
        self.expected[packet.src(self.cfg), packet.dst(self.cfg)].append(packet)
        self.sent += 1

    def receive(self, endpoint: int, flit: tuple[int, int, int], cycle: int | None = None):
        data, head, tail = flit
        rx = self.rx[endpoint]
        if head and rx.flits:
            self.errors.append(f"endpoint {endpoint}: head flit {data:#x} inside a packet "
                               f"(after {len(rx.flits)} flits)")
            rx.flits = []
        if not head and not rx.flits:
            self.errors.append(f"endpoint {endpoint}: flit {data:#x} outside a packet")
            return
        rx.flits.append(data)
        if tail:
            self._packet(endpoint, rx.flits, cycle)
            rx.flits = []

    def _packet(self, endpoint: int, words: list[int], cycle) -> None:
        cfg = self.cfg
        header = Header.unpack(words[0] & 0xFFFF_FFFF)
        if len(words) - 1 != header.length:
            self.errors.append(f"endpoint {endpoint}: packet {header} has {len(words) - 1} "
                               "payload flits")
        try:
            src = cfg.endpoint(header.src_x, header.src_y, header.src_p)
            dst = cfg.endpoint(header.dst_x, header.dst_y, header.dst_p)
            if (header.src_x >= cfg.mesh_x or header.src_y >= cfg.mesh_y
                    or header.src_p >= cfg.local_ports or header.dst_x >= cfg.mesh_x
                    or header.dst_y >= cfg.mesh_y or header.dst_p >= cfg.local_ports):
                raise ValueError
        except ValueError:
            self.errors.append(f"endpoint {endpoint}: header {header} names no endpoint")
            return
        if dst != endpoint:
            self.errors.append(f"endpoint {endpoint}: received a packet for endpoint {dst}: "
                               f"{header}")
        queue = self.expected.get((src, dst))
        if not queue:
            self.errors.append(f"endpoint {endpoint}: unexpected (duplicated?) packet from "
                               f"{src}: {header}")
            return
        want = queue[0]
        got = (header, tuple(words[1:]))
        if got != (want.header, want.payload):
            self.errors.append(f"endpoint {endpoint}: packet from {src} differs from the next "
                               f"one sent on that flow: got {header} payload "
                               f"{[hex(w) for w in words[1:6]]}..., expected {want.header} "
                               f"payload {[hex(w) for w in want.payload[:5]]}...")
            if header != want.header or len(words) - 1 != len(want.payload):
                return  # probably another packet: do not consume
        queue.popleft()
        self.delivered.append((want, endpoint, cycle))

    def check(self, final: bool = True) -> None:
        """Raise :class:`ScoreboardError` if any problem was seen (or, ``final``, remains)."""
        errors = list(self.errors)
        if final:
            for (src, dst), queue in sorted(self.expected.items()):
                if queue:
                    errors.append(f"{len(queue)} packet(s) from {src} to {dst} never "
                                  f"delivered, first {queue[0].header}")
            for endpoint, rx in enumerate(self.rx):
                if rx.flits:
                    errors.append(f"endpoint {endpoint}: packet cut short after "
                                  f"{len(rx.flits)} flits")
        if errors:
            raise ScoreboardError(f"{len(errors)} scoreboard error(s):\n  "
                                  + "\n  ".join(errors[:20]))


def destination(cfg: NocConfig, pattern: str, src: int, rng, hotspot: int = 0,
                hotspot_fraction: float = 0.5) -> int | None:
    """Destination of a new packet from ``src`` under ``pattern``; ``None``: src is idle."""
    if pattern in ("uniform", "bursty"):
        dst = int(rng.integers(cfg.endpoints - 1))
        return dst + (dst >= src)
    if pattern == "transpose":
        if cfg.mesh_x != cfg.mesh_y:
            raise ValueError(f"transpose needs a square mesh, not {cfg.mesh_x}x{cfg.mesh_y}")
        x, y, p = cfg.coords(src)
        return None if x == y else cfg.endpoint(y, x, p)
    if pattern == "hotspot":
        if src == hotspot:
            return None
        if rng.random() < hotspot_fraction:
            return hotspot
        dst = int(rng.integers(cfg.endpoints - 1))
        return dst + (dst >= src)
    raise ValueError(f"pattern must be one of {', '.join(PATTERNS)}, not {pattern!r}")


def traffic(cfg: NocConfig, pattern: str, load: float, cycles: int, *, length: int = 4,
            seed: int = 0, hotspot: int = 0, hotspot_fraction: float = 0.5,
            burst_on: float = 0.1, burst_off: float = 0.1) -> list[list[Packet]]:
    """Packets per source endpoint: Bernoulli injection at ``load`` flits/cycle/endpoint.

    A source starts a packet of ``length`` payload flits (``length + 1`` flits) in a cycle
    with probability ``load / (length + 1)``; ``inject_cycle`` is that cycle. ``bursty``
    alternates on and off periods (a two-state Markov chain leaving "off" with probability
    ``burst_on`` and "on" with ``burst_off`` per cycle); during "on" the rate is scaled so
    that the long-run average is still ``load``. Tags count packets per source (mod 256).
    """
    if not 0 < load <= 1:
        raise ValueError(f"load must be in (0, 1] flits/cycle/endpoint, not {load!r}")
    if pattern not in PATTERNS:
        raise ValueError(f"pattern must be one of {', '.join(PATTERNS)}, not {pattern!r}")
    rng = np.random.default_rng(seed)
    p = load / (length + 1)
    on_share = burst_on / (burst_on + burst_off)
    out: list[list[Packet]] = []
    for src in range(cfg.endpoints):
        packets, on = [], True
        for cycle in range(cycles):
            rate = p
            if pattern == "bursty":
                on = (rng.random() >= burst_off) if on else (rng.random() < burst_on)
                rate = min(1.0, p / on_share) if on else 0.0
            if rng.random() >= rate:
                continue
            dst = destination(cfg, pattern, src, rng, hotspot, hotspot_fraction)
            if dst is None:
                continue
            packets.append(make_packet(cfg, src, dst, length, tag=len(packets) % 256,
                                       rng=rng, inject_cycle=cycle))
        out.append(packets)
    return out
