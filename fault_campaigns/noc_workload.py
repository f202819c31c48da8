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

from golden_models.noc import Packet, make_packet
from hdl_gen.harness.noc_campaign import QUIET, NocCampaignHarness, check_width
from orbitbench.sim import SIM_BUILD, write_if_changed
from orbitbench.spec.noc import NocConfig, get_noc_config

from .engine import Ports
from .workload import Event, Workload

__all__ = ["noc_workload", "noc_profile_workload", "noc_schedule", "expected_output", "QUIET",
           "SMALL_CONFIGS", "mesh2x1", "mesh2x1_secded", "mesh2x2", "mesh2x2_secded",
           "LINK_BUFFERS"]

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
    check_width(cfg)
    for name, value, lo, hi in (("packets", packets, 1, 256), ("length", length, 0, 63)):
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ValueError(f"{name} must be from {lo} to {hi}, not {value!r}")
    schedule = noc_schedule(cfg, packets, length, seed)
    top = f"{cfg.top_name}_campaign_p{packets}_l{length}_s{seed}"
    text = verilog.convert(NocCampaignHarness(cfg, schedule, length), name=top, emit_src=False)
    path = write_if_changed(Path(build_root) / "noc_campaign" / f"{top}.v", text)
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


def noc_profile_workload(protection: str = "none", mesh_x: int = 2, mesh_y: int = 2,
                         packets: int = 4, length: int = 4, seed: int = 1) -> Workload:
    """The mesh-alone workload of ``noc_workload`` on a ``mesh_x`` x ``mesh_y`` mesh with
    link ``protection`` (``"hard"``: SECDED links and TMR router state)."""
    hard = protection == "hard"
    cfg = NocConfig(mesh_x=mesh_x, mesh_y=mesh_y, protection="secded" if hard else protection,
                    tmr=hard, name=f"mesh{mesh_x}x{mesh_y}_{protection}")
    return noc_workload(cfg, packets=packets, length=length, seed=seed)
