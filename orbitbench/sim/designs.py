"""The project's designs as :class:`~orbitbench.sim.verilator.Design` objects and files.

The generated tile in its testbench harness (or bare), the multi-tile top's Verilog, and the
rule for both: the RTL comes from ``rtl/`` (written only by ``make rtl``); a file missing
there is an :class:`~orbitbench.spec.errors.InputFileError` naming it.
"""

from __future__ import annotations

from pathlib import Path

from hdl_gen.emit import emit_tile
from hdl_gen.harness.player import Mode, emit_player, tile_target
from hdl_gen.multitile import emit_multitile
from hdl_gen.tile import COMPONENTS
from orbitbench.spec.errors import InputFileError
from orbitbench.spec.knobs import MT_RTL
from orbitbench.spec.multitile import MultiTileConfig
from orbitbench.spec.params import TileConfig
from orbitbench.spec.paths import RTL_DIR, SIM_BUILD

from .verilator import Design, write_if_changed

__all__ = ["rtl_file", "tile_public", "tile_design", "mt_rtl_dir", "multitile_verilog"]


def rtl_file(top: str, rtl_dir: Path = RTL_DIR) -> Path:
    """``rtl_dir/<top>.v``; an :class:`InputFileError` saying to run ``make rtl`` if absent."""
    path = Path(rtl_dir) / f"{top}.v"
    if not path.exists():
        raise InputFileError(f"{path} does not exist; run 'make rtl'")
    return path


#: Datapath registers testbenches.tile_upsets flips: (module below the datapath, signal).
DATAPATH_UPSET_TARGETS = (("array.pe_1_2", "acc"), ("array.sum_col_1", "acc"),
                          ("requant_1", "s2_ab"))


def tile_public(cfg: TileConfig) -> list[tuple[str, str]]:
    """The tile's signals cocotb sees: its ports and every signal of its components
    (:data:`hdl_gen.tile.COMPONENTS`: registers, controller state, scratchpads, operand and
    drain pipelines, throttle); the array and requantizer internals stay private so that
    Verilator can optimise them, except :data:`DATAPATH_UPSET_TARGETS` (the datapath upset
    tests). ECC profiles: also the storage array ``mem`` inside each ECC memory, for the
    backdoor and upsets."""
    public = [(cfg.top_name, "*"), *((f"{cfg.top_name}.{c}", "*") for c in COMPONENTS)]
    public += [(f"{cfg.top_name}.datapath.{module}", var)
               for module, var in DATAPATH_UPSET_TARGETS
               if cfg.abft or not module.startswith("array.sum_")]
    if cfg.ecc:
        public.append((f"{cfg.top_name}.*", "mem"))
    return public


def tile_design(cfg: TileConfig, rtl_dir: Path = RTL_DIR, *, harness: bool = True,
                build_root: Path = SIM_BUILD) -> Design:
    """The generated tile for ``cfg`` from ``rtl/`` (run ``make rtl`` to refresh it).

    With ``harness`` (the default for testbenches) the top is the testbench harness that wraps
    the tile; without, the bare tile (what the raw benchmark measures). The harness Verilog is
    generated into ``build_root/harness/``, never into ``rtl/``.
    """
    path = rtl_file(cfg.top_name, rtl_dir)
    if not harness:
        return Design(top=cfg.top_name, sources=(path,), params=cfg.as_dict(),
                      public=((cfg.top_name, "*"),))
    # The tile runs inside the testbench harness (the HDL bus player, hdl_gen.harness).
    harness_top, text = emit_player(tile_target(cfg), mode=Mode.STARTED)
    harness_v = write_if_changed(Path(build_root) / "harness" / f"{harness_top}.v", text)
    public = [*tile_public(cfg), (harness_top, "*")]
    return Design(top=harness_top, sources=(path, harness_v), params=cfg.as_dict(),
                  public=tuple(public))


def mt_rtl_dir() -> Path:
    """Where the tests take the top's Verilog from: ``rtl/``, or ``$ORBITBENCH_MT_RTL``. A
    directory without the top (e.g. ``ORBITBENCH_MT_RTL=none``) makes them test what the
    generators emit now (see :func:`multitile_verilog`), for work before ``make rtl``."""
    return Path(MT_RTL.get() or RTL_DIR)


def multitile_verilog(cfg: MultiTileConfig, rtl_dir: Path = RTL_DIR,
                      build_root: Path = SIM_BUILD) -> tuple[Path, Path]:
    """(top file, tile file) from ``rtl/``; when ``rtl/`` does not have the top yet (before
    the next ``make rtl``), both freshly emitted into ``sim_build/mt_rtl/`` so that the top
    and the tile come from the same generators."""
    top_v = Path(rtl_dir) / f"{cfg.top_name}.v"
    tile_v = Path(rtl_dir) / f"{cfg.tile.top_name}.v"
    if top_v.exists():
        if not tile_v.exists():
            raise InputFileError(f"{tile_v} does not exist; run 'make rtl'")
        return top_v, tile_v
    out = []
    for name, render in ((cfg.top_name, lambda: emit_multitile(cfg)),
                         (cfg.tile.top_name, lambda: emit_tile(cfg.tile))):
        out.append(write_if_changed(Path(build_root) / "mt_rtl" / f"{name}.v", render()))
    return out[0], out[1]


