"""cocotb testbench for the GEMM tile: driver, backdoor, monitor, model adapter, scoreboard.

:class:`GemmTileTestbench` is what tests use. It reads the tile's geometry from the DUT's
registers (never from the test), keeps a shadow of every scratchpad as the golden model's
:class:`~golden_models.tile.TileMemory`, and loads operands either over the bus
(``frontdoor``, writing only the words that changed) or straight into the memories
(``backdoor``, zero simulated time). Results are checked word by word over the whole result
memory against :func:`golden_models.tile.run_tile`.

All bus traffic of a GEMM comes from the tile program,
:func:`orbitbench.driver.program.gemm_program`, played through the harness's HDL bus player
when the DUT has one, else executed cycle by cycle by the Python master (same ops, same two
cycles per transfer).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout

from golden_models.secded import SecdedCode
from golden_models.tile import TileMemory, run_tile
from hdl_gen.tile import COMPONENTS
from orbitbench.driver.program import BusOp, GemmProgram, gemm_program
from orbitbench.spec.knobs import DESIGN
from orbitbench.spec.params import HARDENING_PROFILES, TILE_ROUNDINGS, GemmCommand, TileConfig
from orbitbench.spec.regmap import TILE_ID, Reg, Region, Status, reg_addr

from .wishbone import WishboneMaster, WishbonePlayer

__all__ = ["TileBackdoor", "GemmTileTestbench", "Mismatch", "CommandResult", "REGIONS",
           "RUN_PHASES", "tile_scopes", "tile_signal"]

# Region name in TileMemory -> bus region.
REGIONS = {"a": Region.A, "b": Region.B, "bias": Region.BIAS, "mult": Region.MULT,
           "shift": Region.SHIFT, "c": Region.C}
#: The phases of a tile program (:data:`orbitbench.driver.program.PHASES`) that run a
#: loaded command: program it, IRQ_ENABLE, START, wait for irq, STATUS/CYCLES/STATUS, clear.
RUN_PHASES = ("command", "irq_enable", "start", "wait", "status", "clear")


def tile_scopes(tile) -> list:
    """The tile's top module and those of its component submodules
    (:data:`hdl_gen.tile.COMPONENTS`) the simulator shows: where its signals are."""
    subs = (getattr(tile, name, None) for name in COMPONENTS)
    return [tile, *(s for s in subs if s is not None)]


def tile_signal(tile, scope: str, name: str):
    """Signal ``name`` of the tile's component ``scope`` (e.g. ``"controller"``, ``"error"``);
    for a tile without that submodule, the signal of that name in the top module."""
    sub = getattr(tile, scope, None)
    handle = getattr(sub, name, None) if sub is not None else None
    return handle if handle is not None else getattr(tile, name)


class TileBackdoor:
    """Direct access to the tile's scratchpad arrays, addressed like the bus.

    Maps bus word ``w`` of a region to (memory array, row, bit offset) the same way the RTL's
    address decode does, so ``peek``/``poke`` see exactly what a bus read/write would. The
    arrays (``a_bank<r>``, ``b_bank<c>``, ``bias_bank<c>``, ``mult_bank<c>``,
    ``shift_bank<c>``, ``c_mem``; ECC profiles: ``<name>.mem``) are looked up in the
    submodule ``scratchpads`` first, then in the top module (a user tile that keeps them
    there).
    """

    def __init__(self, dut, cfg: TileConfig):
        self.dut, self.cfg = dut, cfg
        # ECC profiles: each logical word is a SECDED codeword, bit-interleaved with its
        # row-mates inside the EccMemory's array ``<name>.mem`` (see hdl_gen.ecc_mem).
        self.interleave = cfg.ecc_interleave if cfg.ecc else None
        self._codes = {}
        kw = cfg.max_k // 4
        R, C = cfg.rows, cfg.cols

        def banked(prefix, nbanks, words_per_row, rows):
            w = np.arange(rows * words_per_row)
            row = w // words_per_row
            return [(f"{prefix}{bank}", addr) for bank, addr in
                    zip(row % nbanks, (row // nbanks) * words_per_row + w % words_per_row,
                        strict=True)]

        n = np.arange(cfg.max_n)
        vec = lambda prefix: [(f"{prefix}{b}", a) for b, a in zip(n % C, n // C, strict=True)]  # noqa: E731
        self._maps = {
            "a": banked("a_bank", R, kw, cfg.max_m),
            "b": banked("b_bank", C, kw, cfg.max_n),
            "bias": vec("bias_bank"), "mult": vec("mult_bank"), "shift": vec("shift_bank"),
        }
        self._lanes = C // 4
        self._handles: dict[str, object] = {}

    def _mem(self, name: str):
        """The array of memory ``name``: in the tile's ``scratchpads`` submodule (the
        generated tile) or, for a tile without one, in its top module."""
        handle = self._handles.get(name)
        if handle is None:
            handle = tile_signal(self.dut, "scratchpads", name)
            if self.interleave is not None:
                handle = handle.mem
            self._handles[name] = handle
        return handle

    def _code(self, width: int):

        if width not in self._codes:
            self._codes[width] = SecdedCode(width)
        return self._codes[width]

    def _get(self, name: str, addr: int, width: int) -> int:
        """Logical word ``addr`` of memory ``name`` (decoded in ECC profiles)."""
        if self.interleave is None:
            return self._mem(name)[addr].value.to_unsigned()
        code, inter = self._code(width), self.interleave
        row = self._mem(name)[addr // inter].value.to_unsigned()
        slot = addr % inter
        codeword = sum(((row >> (j * inter + slot)) & 1) << j for j in range(code.code_width))
        return code.decode(codeword).data

    def _set(self, name: str, addr: int, width: int, value: int, rows: dict) -> None:
        """Stage logical word ``addr`` into ``rows`` ((name, row) -> value); ``_flush``
        writes them. Rows are batched because a write becomes visible only when the
        simulator applies it, and an interleaved row holds several words."""
        if self.interleave is None:
            rows[(name, addr)] = value
            return
        code, inter = self._code(width), self.interleave
        key = (name, addr // inter)
        if key not in rows:
            rows[key] = self._mem(name)[key[1]].value.to_unsigned()
        row, codeword = rows[key], code.encode(value)
        for j in range(code.code_width):
            bit = j * inter + addr % inter
            row = (row & ~(1 << bit)) | (((codeword >> j) & 1) << bit)
        rows[key] = row

    def _flush(self, rows: dict) -> None:
        for (name, row), value in rows.items():
            self._mem(name)[row].value = value

    def physical_bit(self, region: str, word: int, bit: int) -> tuple[str, int, int]:
        """(memory name, row, bit) of data bit ``bit`` of bus word ``word``: where an upset
        of that bit lands. In ECC profiles data bit j of a codeword sits at ``j * I + slot``."""
        name, addr, offset, _ = self.location(region, word)
        bit += offset
        if self.interleave is None:
            return name, addr, bit
        return name, addr // self.interleave, bit * self.interleave + addr % self.interleave

    def location(self, region: str, word: int) -> tuple[str, int, int, int]:
        """(memory name, row, bit offset, width) of bus word ``word`` of ``region``."""
        if region == "c":
            return "c_mem", word // self._lanes, 32 * (word % self._lanes), 32
        name, addr = self._maps[region][word]
        return name, int(addr), 0, 6 if region == "shift" else 32

    def peek(self, region: str) -> np.ndarray:
        """The whole region as uint32 words (SHIFT as its raw 6 bits, as the golden image)."""
        if region == "c":
            out = np.zeros(self.cfg.c_words, dtype=np.uint32)
            mask = (1 << 32) - 1
            for row in range(self.cfg.c_words // self._lanes):
                value = self._get("c_mem", row, 8 * self.cfg.cols)
                for lane in range(self._lanes):
                    out[row * self._lanes + lane] = (value >> (32 * lane)) & mask
            return out
        out = np.zeros(len(self._maps[region]), dtype=np.uint32)
        for w, (name, addr) in enumerate(self._maps[region]):
            out[w] = self._get(name, int(addr), 6 if region == "shift" else 32)
        return out

    def poke(self, region: str, words: np.ndarray, only: np.ndarray | None = None) -> None:
        """Write bus words into a region (all of them, or the indices in ``only``)."""
        words = np.asarray(words, dtype=np.uint32)
        indices = range(len(words)) if only is None else only
        staged: dict = {}
        if region == "c":
            for row in sorted({int(i) // self._lanes for i in indices}):
                value = 0
                for lane in range(self._lanes):
                    value |= int(words[row * self._lanes + lane]) << (32 * lane)
                self._set("c_mem", row, 8 * self.cfg.cols, value, staged)
        else:
            for w in indices:
                name, addr = self._maps[region][int(w)]
                value = int(words[w])
                self._set(name, int(addr), 6 if region == "shift" else 32,
                          value & 0x3F if region == "shift" else value, staged)
        self._flush(staged)

    def peek_image(self) -> TileMemory:
        return TileMemory(**{region: self.peek(region) for region in REGIONS})


class Mismatch(AssertionError):
    """The RTL's result memory differs from the golden model's."""


@dataclass
class CommandResult:
    cmd: GemmCommand
    cycles: int
    error: bool
    expected: np.ndarray  # golden C image (uint32 words)
    observed: np.ndarray  # RTL C image
    mismatches: list[tuple[int, int, int]] = field(default_factory=list)  # (word, exp, got)


class GemmTileTestbench:
    """Owns the clock, the bus driver, the backdoor, the shadow memory and the checks.

    ``reset()`` must be awaited first; it reads the geometry registers and builds
    ``self.cfg`` from them. ``load`` / ``run`` / ``check`` are the building blocks; ``gemm``
    does all three.
    """

    def __init__(self, dut, *, period_ns: int = 10, name: str = "tb"):
        self.dut = dut
        # Inside the testbench harness the tile is instance ``tile``; a bare tile is ``dut``.
        self.tile = getattr(dut, "tile", dut)
        self.log = logging.getLogger(f"cocotb.{name}")
        self.bus = WishboneMaster(dut, timeout=None, log=self.log.getChild("wb"),
                                  irqs=[dut.irq])
        self.player = WishbonePlayer(dut) if hasattr(dut, "player_ops") else None
        self.clock = Clock(dut.clk, period_ns, unit="ns")
        self.cfg: TileConfig | None = None
        self.backdoor: TileBackdoor | None = None
        self.shadow: TileMemory | None = None
        self.cycle = 0
        self._clock_started = False

    # --- lifecycle ------------------------------------------------------------------
    async def reset(self, cycles: int = 2) -> None:
        if not self._clock_started:
            self.clock.start()
            self._clock_started = True
        self.bus.idle()
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, cycles)
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)
        ident = await self.read_reg(Reg.ID)
        if ident != TILE_ID:
            raise AssertionError(f"ID register reads 0x{ident:08x}, expected 0x{TILE_ID:08x}")
        geometry = await self.read_reg(Reg.GEOMETRY)
        hardening = HARDENING_PROFILES[await self.read_reg(Reg.HARDENING)]
        self.cfg = TileConfig(
            rows=geometry & 0xFF, cols=(geometry >> 8) & 0xFF, hardening=hardening,
            ecc_interleave=(geometry >> 16) & 0xF,
            rounding=TILE_ROUNDINGS[(geometry >> 20) & 0x3],
            max_m=await self.read_reg(Reg.MAX_M), max_k=await self.read_reg(Reg.MAX_K),
            max_n=await self.read_reg(Reg.MAX_N),
            name=(DESIGN.get_json() or {}).get("name", "tile"),
            # no register says which groups are triplicated: the design's parameters do
            tmr_groups=tuple((DESIGN.get_json() or {}).get("tmr_groups", ())))
        self.backdoor = TileBackdoor(self.tile, self.cfg)
        # Memories are not reset; start from what they hold.
        self.shadow = self.backdoor.peek_image()
        self.log.info("tile %s: %dx%d PEs, capacity M<=%d K<=%d N<=%d", self.cfg.name,
                      self.cfg.rows, self.cfg.cols, self.cfg.max_m, self.cfg.max_k,
                      self.cfg.max_n)

    # --- registers ------------------------------------------------------------------
    async def write_reg(self, reg: Reg, value: int) -> None:
        await self.bus.write(reg_addr(reg), value & 0xFFFF_FFFF)

    async def read_reg(self, reg: Reg) -> int:
        return await self.bus.read(reg_addr(reg))

    async def program(self, cmd: GemmCommand) -> None:
        """Write the command registers (not START), cycle by cycle from Python."""
        await self.play(self.program_of(cmd).phase("command"), master=True)

    # --- the tile program -------------------------------------------------------------
    def program_of(self, cmd: GemmCommand | None, image: TileMemory | None = None, *,
                   path: str = "backdoor", readback: bool = True) -> GemmProgram:
        """:func:`~orbitbench.driver.program.gemm_program` of ``cmd`` on ``image``: with
        ``path="frontdoor"`` its load phase writes the words of ``image`` that differ from the
        shadow; with ``"backdoor"`` it loads nothing (``image``, if given, is what the tile
        holds: the expected words come from it)."""
        if path not in ("frontdoor", "backdoor"):
            raise ValueError(f"path must be 'frontdoor' or 'backdoor', not {path!r}")
        if path == "frontdoor":
            return gemm_program(self.cfg, cmd, image, load="changed", shadow=self.shadow,
                                readback=readback)
        return gemm_program(self.cfg, cmd, image, load="none", readback=readback)

    async def play(self, ops: tuple[BusOp, ...] | list[BusOp], *, master: bool = False
                   ) -> list[int]:
        """Run ``ops`` through the harness's bus player (unless ``master``, or there is no
        player: then cycle by cycle from the Python master); returns the read words."""
        if not ops:
            return []
        if self.player is not None and not master:
            return await self.player.play(ops)
        return await self.bus.execute(ops)

    async def _play_phases(self, prog: GemmProgram, *names: str) -> dict[int, int]:
        """Play the named phases of ``prog``; returns read index -> word."""
        words = await self.play(prog.phase(*names))
        return dict(zip(prog.phase_reads(*names), words, strict=True))

    # --- memories -------------------------------------------------------------------
    async def load(self, image: TileMemory, *, path: str = "frontdoor") -> int:
        """Make the tile's scratchpads equal ``image``; returns the words transferred.

        ``frontdoor`` writes every word that differs from the shadow over the bus (the load
        phase of the tile program, through the harness's bus player when there is one, else
        cycle by cycle from Python); ``backdoor`` pokes them into the arrays. Either way the
        shadow becomes ``image``.
        """
        if path not in ("frontdoor", "backdoor"):
            raise ValueError(f"path must be 'frontdoor' or 'backdoor', not {path!r}")
        if path == "backdoor":
            moved = 0
            for region in REGIONS:
                new = getattr(image, region)
                changed = np.nonzero(new != getattr(self.shadow, region))[0]
                self.backdoor.poke(region, new, only=changed)
                moved += len(changed)
        else:
            ops = self.program_of(None, image, path="frontdoor").phase("load")
            await self.play(ops)
            moved = len(ops)
        self._set_shadow(image)
        return moved

    def _set_shadow(self, image: TileMemory) -> None:
        self.shadow = TileMemory(**{r: getattr(image, r).copy() for r in REGIONS})

    async def read_result(self, cmd: GemmCommand) -> dict[int, int]:
        """Read the result words a command wrote (rows < M, words covering n < N) over the
        bus: the tile program's readback phase (nothing for a command that does not fit)."""
        prog = self.program_of(cmd)
        words = await self._play_phases(prog, "readback")
        return {prog.result_reads[i]: value for i, value in words.items()}

    @property
    def bus_transfers(self) -> int:
        """Transfers issued so far by the Python master and the bus player together."""
        return self.bus.transfers + (self.player.transfers if self.player else 0)

    # --- commands -------------------------------------------------------------------
    async def start(self) -> None:
        await self.write_reg(Reg.CTRL, 1)

    async def wait_done(self, timeout_cycles: int | None = None) -> int:
        """Wait for STATUS.DONE (via ``irq`` when enabled); returns the CYCLES register."""
        if self.dut.irq.value != 1:
            if timeout_cycles is None:
                await RisingEdge(self.dut.irq)
            else:
                await with_timeout(RisingEdge(self.dut.irq), timeout_cycles * 10, "ns")
        status = await self.read_reg(Reg.STATUS)
        if not status & Status.DONE:
            raise AssertionError(f"irq high but STATUS=0x{status:x} has no DONE")
        return await self.read_reg(Reg.CYCLES)

    def _outcome(self, prog: GemmProgram, words: dict[int, int]) -> tuple[int, bool]:
        """(CYCLES, STATUS.ERROR) from the status phase's reads."""
        first, second = (words[i] for i in prog.status_reads)
        if not first & Status.DONE:
            raise AssertionError(f"irq high but STATUS=0x{first:x} has no DONE")
        return words[prog.cycles_read], bool(second & Status.ERROR)

    async def run(self, cmd: GemmCommand) -> tuple[int, bool]:
        """Program, start and wait for one command; returns (CYCLES, STATUS.ERROR)."""
        prog = self.program_of(cmd, readback=False)
        return self._outcome(prog, await self._play_phases(prog, *RUN_PHASES))

    def expect(self, cmd: GemmCommand) -> tuple[np.ndarray, bool]:
        """Golden result image for ``cmd`` on the current shadow (the model adapter)."""
        result = run_tile(self.cfg, cmd, self.shadow)
        return result.c, result.error

    async def gemm(self, image: TileMemory, cmd: GemmCommand, *, path: str = "frontdoor",
                   readback: bool = True, upset=None) -> CommandResult:
        """Load, run, and compare the whole result memory with the golden model.

        Raises :class:`Mismatch` listing the first differing words. With ``readback`` the
        written result words are also read over the bus and must equal the golden ones.
        ``upset``, if given, is called after the command finishes and before the checks (to
        disturb the DUT on purpose).
        """
        if path == "backdoor":
            await self.load(image, path="backdoor")
        prog = self.program_of(cmd, image, path=path, readback=readback)
        expected, exp_error = prog.golden.c, prog.golden.error
        # One play for the whole program unless the caller disturbs the DUT in between.
        names = (*(("load",) if path == "frontdoor" else ()), *RUN_PHASES)
        at_once = readback and upset is None and not exp_error
        words = await self._play_phases(prog, *names, *(("readback",) if at_once else ()))
        if path == "frontdoor":
            self._set_shadow(image)
        cycles, error = self._outcome(prog, words)
        if upset is not None:
            upset()
        observed = self.backdoor.peek("c")
        result = CommandResult(cmd, cycles, error, expected, observed)
        bad = np.nonzero(expected != observed)[0]
        result.mismatches = [(int(w), int(expected[w]), int(observed[w])) for w in bad]
        if readback and not error:
            if not at_once:
                words.update(await self._play_phases(prog, "readback"))
            seen = set(bad.tolist())
            for i, w in prog.result_reads.items():
                # A word wrong in memory reads back wrong too: report it once.
                if words[i] != expected[w] and w not in seen:
                    result.mismatches.append((w, int(expected[w]), words[i]))
        self.shadow.c = expected.copy()
        if error != exp_error:
            raise Mismatch(f"{cmd}: STATUS.ERROR={error}, golden model says {exp_error}")
        if result.mismatches:
            head = ", ".join(f"word {w}: expected 0x{e:08x} got 0x{g:08x}"
                             for w, e, g in result.mismatches[:8])
            raise Mismatch(f"{cmd}: {len(result.mismatches)} result words differ ({head})")
        return result
