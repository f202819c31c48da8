"""Application-level campaigns: a whole int8 network inference on the tile as the workload,
and what each upset does to the network's answer.

The workload (:func:`network_workload`) plays the whole inference of the first ``images``
test images as one frontdoor bus program
(:func:`orbitbench.driver.network.inference_bus_program` with the protection counters read
after every job and CYCLES not compared): every GEMM job of the network, in order, on the
tile RTL, its operands written as deltas to what the tile holds (so an upset in a
scratchpad word lives on into later jobs until that word is rewritten). Its reads are
classified as the tile campaign's (:mod:`fault_campaigns.tile_workload`: STATUS and counter
reads report protection events, C words are int8 data), and the engine stores every wrong
data word of an SDC or DUE (``observe_words``, the database's ``observed`` table).

**Decoding** (:meth:`NetworkCase.effect`). The RTL's program feeds every job the *golden*
A (the host stages cannot run in the harness), so the wrong C words say what the upset did
to each job's output given a correct input. The host then runs the network again in NumPy
(:func:`orbitbench.driver.network.program_steps`, the one executor) with those outputs:
a job whose A is still the golden one gets the RTL's faulty C as observed; a job whose A
changed (an error propagated from an earlier layer) gets the tile model's C of its new A
(:func:`golden_models.tile.run_tile`), plus, on the elements where the RTL's own C of that
job was wrong too (an upset that lived on in the scratchpads), the RTL's error added and
clamped to the layer's activation range (``approximate`` in the effect: the one case that
is not an exact replay). Every host stage (pooling, ADD, SOFTMAX) follows, bit-exact.

**Outcomes.** An SDC at the tile's outputs becomes, by what it does to the final output
tensor of the ``images`` images:

* ``sdc_hidden``: the network's scores equal the golden ones (the network masked it:
  a clamp, a max pool, a dead ReLU, or only bytes beyond N of a C word changed);
* ``sdc_benign``: the scores differ, every image's top-1 class is unchanged;
* ``sdc_critical``: some image's top-1 class changed (also: wrong data the decoder cannot
  place in a job's C, a missing or extra read, counted as the worst case).

The scores are the input of the final SOFTMAX (the int8 logits), else the output: the
int8 softmax of these well-trained models saturates (-128 / 127 on a confident image), so
a change of the logits rarely shows in the probabilities, and argmax of the logits is the
class (ties: the first).

Masked, corrected, DUE, hang and crash stay the engine's. The golden answer is the
fault-free RTL run's (the tile model's, which equals LiteRT on a selectable tile;
a fixed-rounding profile rounds its FULLY_CONNECTED layers its own way). Error magnitude:
max and mean ``|delta|`` over the int8 scores of the batch, in LSB. The layer of an SDC is the
first GEMM layer whose C the RTL got wrong.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from golden_models.tile import pack_operands, run_tile, unpack_result
from hdl_gen.harness.player import Mode, emit_player, tile_target
from orbitbench.driver.network import (
    GemmStage,
    NetworkError,
    NetworkProgram,
    compile_network,
    digits_images,
    inference_bus_program,
    load_model,
    program_steps,
    run_program_numpy,
)
from orbitbench.driver.program import GemmProgram
from orbitbench.sim import RTL_DIR, SIM_BUILD, write_if_changed
from orbitbench.spec.errors import ParameterError
from orbitbench.spec.params import CONFIGS, TileConfig, get_config

from .engine import Ports
from .tile_workload import COUNTER_KINDS, STATUS_WORD, harness_depth
from .workload import Preload, WordSpec, Workload

__all__ = ["NETWORK_OUTCOMES", "DEFAULT_IMAGES", "MAX_IMAGES", "NetworkCase", "Effect",
           "network_case", "network_workload", "TARGET_CLASSES", "target_class",
           "network_recipe", "network_config", "FACTORY"]

#: What an SDC at the tile becomes at the network's output (see the module text).
NETWORK_OUTCOMES = ("sdc_hidden", "sdc_benign", "sdc_critical")
#: Test images per campaign inference (one batch): M of the FC layers.
DEFAULT_IMAGES = 2
#: The harness's bus-op memory grows with the batch: a bound that keeps a build small.
MAX_IMAGES = 30
#: The workload factory as a recipe names it (``fault_campaigns.recipes``).
FACTORY = "fault_campaigns.network_workload:network_workload"


@dataclass(frozen=True)
class Effect:
    """What one RTL result does to the network's answer."""

    outcome: str  # masked/corrected/due/hang/crash, or one of NETWORK_OUTCOMES
    layer: str | None = None  # first GEMM layer whose C was wrong (label), for SDCs
    max_delta: int = 0  # largest |delta| of a final int8 output element
    mean_delta: float = 0.0  # mean |delta| over the final output
    changed: int = 0  # images whose top-1 class changed
    approximate: bool = False  # a propagated error met an RTL error in a later job


@dataclass(frozen=True, eq=False)
class NetworkCase:
    """One network, tile configuration and image set: the program, the bus program and the
    golden answer, and the decoding of observed words (:meth:`effect`)."""

    network: str
    cfg: TileConfig
    program: NetworkProgram
    x: np.ndarray
    labels: np.ndarray

    @cached_property
    def bus(self) -> GemmProgram:
        """The whole inference as the campaign's bus program (counters read, CYCLES not
        compared)."""
        return inference_bus_program(self.program, self.x, counters=True, timing=False)

    @cached_property
    def golden_env(self) -> dict:
        return run_program_numpy(self.program, self.x, self.cfg, tensors=True)

    @cached_property
    def score_tensor(self) -> int:
        """The tensor judged: the input of a final SOFTMAX (the logits), else the output."""
        net = self.program.net
        last = net.operators[-1]
        return last.inputs[0] if last.type == "SOFTMAX" else net.output

    @property
    def golden_output(self) -> np.ndarray:
        return self.golden_env[self.score_tensor]

    @cached_property
    def golden_jobs(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(A, C) of every job of the fault-free run, in order."""
        out, steps, c = [], program_steps(self.program, self.x), None
        try:
            while True:
                job, a = steps.send(c)
                c = self._tile(job, a)
                out.append((a.copy(), c))
        except StopIteration:
            pass
        return out

    @cached_property
    def job_layers(self) -> list[str]:
        """The operator label of every job."""
        return [s.layer.op.label for s in self.program.stages if isinstance(s, GemmStage)
                for _ in s.jobs]

    @cached_property
    def _read_job(self) -> dict[int, tuple[int, int]]:
        """Result read index -> (job, C word index)."""
        out = {}
        for j in range(len(self.program.jobs)):
            for r in self.bus.phase_reads(f"job{j}.readback"):
                out[r] = (j, self.bus.result_reads[r])
        return out

    def _tile(self, job, a) -> np.ndarray:
        mem = pack_operands(self.cfg, a, job.b, job.bias, job.mult, job.shift)
        return unpack_result(self.cfg, run_tile(self.cfg, job.cmd, mem).c, job.cmd.m,
                             job.cmd.n)

    def job_outputs(self, observed: dict[int, int]) -> dict[int, np.ndarray]:
        """Job index -> the RTL's faulty C (int8 ``[m, n]``) of every job whose result
        reads the observed words change (word index into the output stream -> word)."""
        words: dict[int, dict[int, int]] = {}
        for idx, w in observed.items():
            if idx in self._read_job:
                j, c_word = self._read_job[idx]
                words.setdefault(j, {})[c_word] = w & 0xFFFF_FFFF
        out = {}
        jobs = self.program.jobs
        for j, changes in words.items():
            cmd = jobs[j].cmd
            golden = self.golden_jobs[j][1]
            image = np.zeros((self.cfg.max_m, self.cfg.max_n), dtype=np.int8)
            image[:cmd.m, :cmd.n] = golden
            flat = image.view(np.uint8).reshape(-1, 4).copy()
            for c_word, w in changes.items():
                flat[c_word] = np.frombuffer(int(w).to_bytes(4, "little"), dtype=np.uint8)
            c = unpack_result(self.cfg, flat.view("<u4").reshape(-1).astype(np.int64),
                              cmd.m, cmd.n)
            if not np.array_equal(c, golden):
                out[j] = c
        return out

    def final_output(self, faulty: dict[int, np.ndarray], *, tap=None,
                     weights: dict[int, np.ndarray] | None = None) -> tuple[np.ndarray, bool]:
        """(the network's scores, approximate) with the jobs' faulty C substituted (see the
        module text); ``tap`` as :func:`~orbitbench.driver.network.program_steps`'s, and
        ``weights`` (job index -> its B) for model-level injectors."""
        steps, c, j, approx = program_steps(self.program, self.x, tap), None, 0, False
        weights = weights or {}
        try:
            while True:
                job, a = steps.send(c)
                gold_a, gold_c = self.golden_jobs[j]
                if j in weights:
                    job = dataclasses.replace(job, b=weights[j])
                if j not in weights and np.array_equal(a, gold_a):
                    c = faulty.get(j, gold_c)
                else:
                    c = self._tile(job, a)
                    if j in faulty:
                        approx = True
                        delta = faulty[j].astype(np.int64) - gold_c.astype(np.int64)
                        c = np.clip(c.astype(np.int64) + delta, job.cmd.act_min,
                                    job.cmd.act_max).astype(np.int8)
                j += 1
        except StopIteration as stop:
            env = stop.value
        return env[self.score_tensor], approx

    def effect(self, outcome: str, observed: dict[int, int] | None) -> Effect:
        """The application-level effect of one result (engine ``outcome``, its observed
        words or None)."""
        if outcome != "sdc":
            return Effect(outcome)
        observed = observed or {}
        if not observed or any(i not in self._read_job for i in observed):
            # wrong data the decoder cannot place (a missing or extra read): the worst case
            return Effect("sdc_critical", changed=len(self.x))
        faulty = self.job_outputs(observed)
        if not faulty:  # only bytes beyond N of a C word (not part of C) changed
            return Effect("sdc_hidden")
        out, approx = self.final_output(faulty)
        return self.judge(out, self.job_layers[min(faulty)], approx)

    def judge(self, out: np.ndarray, layer: str | None = None,
              approx: bool = False) -> Effect:
        """The :class:`Effect` of scores ``out`` against the golden ones (SDC classes)."""
        gold = self.golden_output
        delta = np.abs(out.astype(np.int64) - gold.astype(np.int64))
        if not delta.any():
            return Effect("sdc_hidden", layer, approximate=approx)
        g = gold.reshape(len(gold), -1).argmax(axis=1)
        f = out.reshape(len(out), -1).argmax(axis=1)
        changed = int((g != f).sum())
        return Effect("sdc_critical" if changed else "sdc_benign", layer, int(delta.max()),
                      float(delta.mean()), changed, approx)


#: Kinds of fault target, for the calibrated injector and the report: globs on target paths
#: in order (the first that matches), else ``control``; memories are ``scratchpad``.
TARGET_CLASSES = (("accumulator", "tile.datapath.array.*"),
                  ("requantizer", "tile.datapath.requant_*"),
                  ("abft", "tile.datapath.abft.*"))


def target_class(path: str, kind: str) -> str:
    """The kind of fault target ``path`` is (:data:`TARGET_CLASSES`; memories: scratchpad)."""
    if kind in ("mem", "memory"):
        return "scratchpad"
    for name, glob in TARGET_CLASSES:
        if fnmatch.fnmatchcase(path, glob):
            return name
    return "control"


def network_case(network: str = "digits_cnn", config: str | TileConfig = "small",
                 images: int = DEFAULT_IMAGES) -> NetworkCase:
    """The :class:`NetworkCase` of ``network`` (a model of ``networks/models.json``) on
    ``config`` for the first ``images`` test images (one batch).

    Raises
    ------
    ParameterError
        Unknown network, ``images`` outside 1..:data:`MAX_IMAGES`.
    NetworkError
        The network does not fit the configuration (a layer's K above ``max_k``).
    """
    _, net, _ = load_model(network, option="--network")
    cfg = config if isinstance(config, TileConfig) else get_config(config)
    _check_images(images)
    x, labels = digits_images(net, images)
    program = compile_network(net, cfg, images)
    return NetworkCase(network, cfg, program, x, labels)


def network_workload(network: str = "digits_cnn", config: str | TileConfig = "small",
                     images: int = DEFAULT_IMAGES, *, rtl_dir: Path = RTL_DIR,
                     build_root: Path = SIM_BUILD) -> Workload:
    """The campaign workload of one inference of ``images`` test images of ``network`` on
    the tile ``config`` (see the module text)."""
    case = network_case(network, config, images)
    cfg, bus = case.cfg, case.bus
    words = {i: STATUS_WORD for i in bus.status_reads}
    for j in range(len(case.program.jobs)):
        words[bus.phase_reads(f"job{j}.status")[1]] = WordSpec(data=0)  # CYCLES
    for name, i in bus.counter_reads.items():
        words[i] = WordSpec(data=0, **{COUNTER_KINDS[name.split(".", 1)[1]]: 0xFFFF_FFFF})
    depth = max(harness_depth(cfg), 1 << (len(bus.ops) - 1).bit_length())
    tile_v = Path(rtl_dir) / f"{cfg.top_name}.v"
    if not tile_v.exists():
        raise FileNotFoundError(f"{tile_v} does not exist; run 'make rtl'")
    top, text = emit_player(tile_target(cfg), mode=Mode.AUTORUN, depth=depth)
    harness_v = write_if_changed(
        Path(build_root) / "network_harness" / f"{top}-{depth}" / f"{top}.v", text)
    return Workload(
        name=f"{network}-img{images}", top=top, sources=(tile_v, harness_v), ports=Ports(),
        include=("tile.*",), preload=(Preload("player_ops", tuple(bus.words())),),
        expected=bus.expected, words=words, word_default=WordSpec(data=0xFFFF_FFFF),
        elem_bits=8, elem_signed=True, observe_words=True,
        params={"network": network, "config": cfg.name, "hardening": cfg.hardening,
                "images": images, "jobs": len(case.program.jobs),
                "gemm_cycles": bus.gemm_cycles, **_unregistered(cfg)})


def _unregistered(cfg: TileConfig) -> dict:
    """``{"tile": parameters}`` for a configuration that is not a registered one (``case_of``
    rebuilds it from them); nothing for a registered one, whose workload identity stays the
    one campaigns made before had."""
    if cfg.name in CONFIGS and CONFIGS[cfg.name] == cfg:
        return {}
    return {"tile": cfg.as_dict()}


def network_config(network: str, config: str | None, images: int = DEFAULT_IMAGES) -> str:
    """``config``, checked: the network compiles for it (else :class:`NetworkError`); None:
    ``small`` if the network fits it (every hardening profile exists there), else
    ``default``. Also checks ``network`` and ``images`` (:class:`ParameterError`)."""
    _, net, _ = load_model(network, option="--network")
    _check_images(images)
    if config is not None:
        compile_network(net, get_config(config), images)
        return config
    try:
        compile_network(net, get_config("small"), images)
        return "small"
    except NetworkError:
        return "default"


def _check_images(images) -> None:
    if isinstance(images, bool) or not isinstance(images, int) or not (
            1 <= images <= MAX_IMAGES):
        raise ParameterError(f"--images must be from 1 to {MAX_IMAGES} for a network "
                             f"campaign (one batch on the tile), not {images}")


def network_recipe(network: str, config: str, images: int) -> dict:
    """The recipe (:mod:`fault_campaigns.recipes`) that rebuilds :func:`network_workload`."""
    return {"kind": "factory", "ref": FACTORY,
            "kwargs": {"network": network, "config": config, "images": images}}


def case_of(params: dict) -> NetworkCase:
    """The :class:`NetworkCase` of a network workload's stored ``params``."""
    config = params["config"]
    if "tile" in params:
        tile = dict(params["tile"])
        config = TileConfig(**{**tile, "tmr_groups": tuple(tile.get("tmr_groups", ()))})
    return network_case(params["network"], config, int(params["images"]))


__all__ += ["case_of"]
