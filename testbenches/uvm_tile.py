"""pyuvm environment for the GEMM tile (run by tests/testbenches/test_tile.py).

Reads top-down: item, sequences, driver, monitor, model adapter, coverage, scoreboard, env,
tests. Tests differ only by ConfigDB settings and factory overrides. Knobs (environment):

``ORBITBENCH_ITEMS``  random GEMMs after the directed ones (default 8)
``ORBITBENCH_LOAD``   ``frontdoor`` (operands and readback over the bus) or ``backdoor``

The seed is cocotb's ``COCOTB_RANDOM_SEED``; it is logged at the start of every test.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import cocotb
import numpy as np
import pyuvm
from cocotb.triggers import RisingEdge
from pyuvm import (
    ConfigDB,
    uvm_analysis_port,
    uvm_component,
    uvm_driver,
    uvm_env,
    uvm_factory,
    uvm_monitor,
    uvm_sequence,
    uvm_sequence_item,
    uvm_sequencer,
    uvm_subscriber,
    uvm_test,
    uvm_tlm_analysis_fifo,
)

from golden_models.gemm import gemm_int32
from golden_models.quant import multiply_by_quantized_multiplier, wrap_int32
from golden_models.stimulus import GemmCase, corner_cases, random_case
from golden_models.tile import run_tile
from orbitbench.spec.knobs import ITEMS, LOAD
from orbitbench.spec.params import ROUNDINGS, GemmCommand

from .tile_tb import GemmTileTestbench, tile_signal

# --- item and sequences ---------------------------------------------------------------


class GemmItem(uvm_sequence_item):
    """One GEMM command with its operands; the driver fills in the outcome."""

    def __init__(self, name: str = "gemm", case: GemmCase | None = None):
        super().__init__(name)
        self.case = case
        self.cycles: int | None = None
        self.error: bool | None = None
        self.readback: dict[int, int] = {}

    def __str__(self) -> str:
        c = self.case.cmd
        return f"{self.case.label} {c.m}x{c.k}x{c.n}"


def _rng(salt: int) -> np.random.Generator:
    return np.random.default_rng([cocotb.RANDOM_SEED, salt])


class GemmDirectedSeq(uvm_sequence):
    """The named corner cases, then two commands the tile must reject."""

    async def body(self):
        tb = ConfigDB().get(None, "", "TB")
        cfg = tb.cfg
        for case in corner_cases(cfg, _rng(100)):
            await self._send(case)
        base = random_case(cfg, _rng(101), m=2, k=2, n=2)
        for dims in ((0, 4, 4), (cfg.max_m + 1, 4, 4)):
            cmd = GemmCommand(**(base.cmd.__dict__ | dict(zip("mkn", dims, strict=True))))
            await self._send(GemmCase(cmd, base.a, base.b, base.bias, base.mult, base.shift,
                                      f"rejected_{'x'.join(map(str, dims))}"))

    async def _send(self, case: GemmCase):
        item = GemmItem(case.label, case)
        await self.start_item(item)
        await self.finish_item(item)


class GemmRandomSeq(GemmDirectedSeq):
    """``ITEMS`` random GEMMs: dimensions, data and quantization parameters; on a selectable
    tile each command's rounding at random too (its own stream, so the cases are the same
    as on a fixed tile)."""

    async def body(self):
        tb = ConfigDB().get(None, "", "TB")
        rng, coin = _rng(200), _rng(201)
        for _ in range(ConfigDB().get(None, "", "ITEMS")):
            case = random_case(tb.cfg, rng)
            if tb.cfg.selectable:
                cmd = dataclasses.replace(case.cmd, rounding=str(coin.choice(ROUNDINGS)))
                case = dataclasses.replace(case, cmd=cmd)
            await self._send(case)


# --- driver and monitor ---------------------------------------------------------------


class GemmDriver(uvm_driver):
    """Loads operands, programs and starts each command, waits for it; publishes the item
    to the model adapter before starting it (so the model sees the same memory)."""

    def build_phase(self):
        self.ap = uvm_analysis_port("ap", self)

    async def run_phase(self):
        path = ConfigDB().get(self, "", "LOAD_PATH")
        while True:
            item = await self.seq_item_port.get_next_item()
            # The test publishes TB after reset, before it starts any sequence.
            tb: GemmTileTestbench = ConfigDB().get(self, "", "TB")
            await tb.load(item.case.image(tb.cfg, tb.shadow), path=path)
            self.ap.write(item)  # the model reads tb.shadow now, before the RTL runs
            item.cycles, item.error = await tb.run(item.case.cmd)
            if path == "frontdoor" and not item.error:
                item.readback = await tb.read_result(item.case.cmd)
            self.seq_item_port.item_done()


class GemmMonitor(uvm_monitor):
    """Passive: on every rising ``irq`` captures the whole result memory (backdoor peek, no
    bus cycles) and STATUS.ERROR, and publishes them."""

    def build_phase(self):
        self.ap = uvm_analysis_port("ap", self)

    async def run_phase(self):
        dut = cocotb.top
        while True:
            await RisingEdge(dut.irq)
            tb: GemmTileTestbench = ConfigDB().get(self, "", "TB")
            error = tile_signal(tb.tile, "controller", "error")  # STATUS.ERROR
            self.ap.write((tb.backdoor.peek("c"), bool(error.value)))


# --- model adapter --------------------------------------------------------------------


class TileModelAdapter(uvm_subscriber):
    """Turns each driven item into the golden result image (``run_tile`` on the shadow)."""

    def build_phase(self):
        self.ap = uvm_analysis_port("ap", self)

    def predict(self, tb: GemmTileTestbench, item: GemmItem):
        result = run_tile(tb.cfg, item.case.cmd, tb.shadow)
        return result.c, result.error

    def write(self, item: GemmItem):
        tb = ConfigDB().get(self, "", "TB")
        expected, error = self.predict(tb, item)
        tb.shadow.c = expected.copy()
        self.ap.write((item, expected, error))


class BrokenTileModelAdapter(TileModelAdapter):
    """Negative control: a model whose first output byte is off by one."""

    def predict(self, tb, item):
        expected, error = super().predict(tb, item)
        expected = expected.copy()
        if not error:
            expected[0] ^= 1
        return expected, error


# --- coverage and scoreboard ----------------------------------------------------------


class GemmCoverage(uvm_subscriber):
    """Functional coverage of the commands that ran; reported at the end, and with
    ``REQUIRE_COVERAGE`` every bin must be hit."""

    def build_phase(self):
        self.hits = Counter()

    def bins(self, tb, item: GemmItem) -> set[str]:
        cfg, cmd, case = tb.cfg, item.case.cmd, item.case
        if not cmd.fits(cfg):
            return {"command rejected"}
        out = {"per-channel" if cmd.per_channel else "per-tensor"}
        if cfg.selectable:
            out.add(f"{cmd.rounding} rounding")
        for dim, size, step in (("M", cmd.m, cfg.rows), ("K", cmd.k, 4),
                                ("N", cmd.n, cfg.cols)):
            limit = getattr(cfg, f"max_{dim.lower()}")
            out.add(f"{dim}=1" if size == 1 else f"{dim}=max" if size == limit else
                    f"{dim} not a multiple of {step}" if size % step else
                    f"{dim} multiple of {step}")
        for name in ("a_zp", "b_zp", "out_zp"):
            value = getattr(cmd, name)
            if value in (-128, 127):
                out.add(f"{name}={value}")
        acc = gemm_int32(case.a, case.b, cmd.a_zp, cmd.b_zp)
        mult = case.mult[:cmd.n] if cmd.per_channel else cmd.qmult
        shift = case.shift[:cmd.n] if cmd.per_channel else cmd.qshift
        y = (multiply_by_quantized_multiplier(wrap_int32(acc.astype(np.int64) + case.bias),
                                              mult, shift).astype(np.int64) + cmd.out_zp)
        if (y > cmd.act_max).any():
            out.add("saturated at act_max")
        if (y < cmd.act_min).any():
            out.add("saturated at act_min")
        return out

    def all_bins(self) -> list[str]:
        dims = [f"{d}={w}" for d in "MKN" for w in ("1", "max")]
        dims += ["M not a multiple of rows".replace("rows", str(self.tb.cfg.rows)),
                 "K not a multiple of 4",
                 "N not a multiple of cols".replace("cols", str(self.tb.cfg.cols))]
        zps = [f"{n}={v}" for n in ("a_zp", "b_zp", "out_zp") for v in (-128, 127)]
        roundings = [f"{r} rounding" for r in ROUNDINGS] if self.tb.cfg.selectable else []
        return [*dims, "per-channel", "per-tensor", *roundings, *zps, "saturated at act_max",
                "saturated at act_min", "command rejected"]

    def write(self, item: GemmItem):
        self.tb = ConfigDB().get(self, "", "TB")
        self.hits.update(self.bins(self.tb, item))

    def report_phase(self):
        bins = self.all_bins()
        covered = sum(1 for b in bins if self.hits[b])
        lines = [f"functional coverage: {covered}/{len(bins)} bins"]
        lines += [f"  {'HIT ' if self.hits[b] else 'MISS'} {b:32s} {self.hits[b]:4d}"
                  for b in bins]
        self.logger.info("\n".join(lines))
        self.holes = [b for b in bins if not self.hits[b]]

    def check_phase(self):
        if ConfigDB().get(self, "", "REQUIRE_COVERAGE"):
            holes = [b for b in self.all_bins() if not self.hits[b]]
            assert not holes, f"coverage holes: {holes}"


class GemmScoreboard(uvm_component):
    """Compares the monitor's result memory with the model's, word by word, in order; also
    the words the driver read back over the bus, and STATUS.ERROR."""

    def build_phase(self):
        self.expected = uvm_tlm_analysis_fifo("expected", self)
        self.observed = uvm_tlm_analysis_fifo("observed", self)
        self.expected_export = self.expected.analysis_export
        self.observed_export = self.observed.analysis_export

    def check_phase(self):
        self.checked = 0
        self.failures: list[str] = []
        while self.expected.can_get():
            _, (item, expected, exp_error) = self.expected.try_get()
            ok, got = self.observed.try_get()
            if not ok:
                self.failures.append(f"{item}: the monitor saw no completion")
                continue
            observed, error = got
            self.checked += 1
            bad = np.nonzero(observed != expected)[0]
            bad_readback = [w for w, v in item.readback.items() if v != expected[w]]
            if len(bad) or bad_readback or error != exp_error:
                detail = ", ".join(f"word {w}: expected 0x{int(expected[w]):08x} got "
                                   f"0x{int(observed[w]):08x}" for w in bad[:4])
                self.failures.append(f"{item}: {len(bad)} words differ ({detail}); "
                                     f"{len(bad_readback)} bus readback words differ; "
                                     f"ERROR {error} vs model {exp_error}")
        if self.observed.can_get():
            self.failures.append("the monitor saw completions nobody started")
        for failure in self.failures:
            self.logger.error(failure)
        self.logger.info(f"scoreboard: {self.checked} commands checked, "
                         f"{len(self.failures)} failed")
        if ConfigDB().get(self, "", "EXPECT_MISMATCH"):
            assert self.failures, "negative control: the scoreboard found no mismatch"
            self.logger.info("negative control: mismatches found, as required")
        else:
            assert self.checked > 0, "the scoreboard checked nothing"
            assert not self.failures, f"{len(self.failures)} commands mismatched"


# --- environment and tests ------------------------------------------------------------


class GemmEnv(uvm_env):
    def build_phase(self):
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = GemmDriver("driver", self)
        self.monitor = GemmMonitor("monitor", self)
        self.model = TileModelAdapter.create("model", self)
        self.coverage = GemmCoverage("coverage", self)
        self.scoreboard = GemmScoreboard("scoreboard", self)

    def connect_phase(self):
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)
        self.driver.ap.connect(self.model.analysis_export)
        self.driver.ap.connect(self.coverage.analysis_export)
        self.model.ap.connect(self.scoreboard.expected_export)
        self.monitor.ap.connect(self.scoreboard.observed_export)


class GemmRegressionTest(uvm_test):
    """Directed corner cases, then random GEMMs; coverage must close."""

    items = ITEMS.get_int() or 8
    load_path = LOAD.get()
    require_coverage = True
    expect_mismatch = False
    sequences = (GemmDirectedSeq, GemmRandomSeq)

    def build_phase(self):
        ConfigDB().set(None, "*", "ITEMS", self.items)
        ConfigDB().set(None, "*", "LOAD_PATH", self.load_path)
        ConfigDB().set(None, "*", "REQUIRE_COVERAGE", self.require_coverage)
        ConfigDB().set(None, "*", "EXPECT_MISMATCH", self.expect_mismatch)
        self.env = GemmEnv("env", self)

    async def run_phase(self):
        self.raise_objection()
        tb = GemmTileTestbench(cocotb.top, name="uvm.tb")
        await tb.reset()
        ConfigDB().set(None, "*", "TB", tb)
        self.logger.info(f"seed {cocotb.RANDOM_SEED} (reproduce: ORBITBENCH_SEED="
                         f"{cocotb.RANDOM_SEED}), {self.items} random items, "
                         f"{self.load_path} loads")
        for seq_type in self.sequences:
            await seq_type("seq").start(self.env.seqr)
        self.drop_objection()


@pyuvm.test()
class GemmRegression(GemmRegressionTest):
    pass


@pyuvm.test()
class GemmBackdoorRegression(GemmRegressionTest):
    """Same checks with operands poked into the memories: many more items per second."""

    load_path = "backdoor"
    items = 3 * (ITEMS.get_int() or 8)
    sequences = (GemmRandomSeq,)
    require_coverage = False


@pyuvm.test()
class GemmNegativeControl(GemmRegressionTest):
    """The model adapter is replaced by one that is off by one bit: the scoreboard must
    report mismatches (and this test passes only if it does)."""

    items = 2
    require_coverage = False
    expect_mismatch = True
    sequences = (GemmRandomSeq,)

    def build_phase(self):
        uvm_factory().set_type_override_by_type(TileModelAdapter, BrokenTileModelAdapter)
        super().build_phase()
