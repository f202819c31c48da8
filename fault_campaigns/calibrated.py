"""A model-level fault injector calibrated from an RTL network campaign, and a naive one.

**Calibration** (:func:`fault_patterns`). Every result of an RTL network campaign
(:mod:`fault_campaigns.network_workload`) becomes a *fault-effect pattern* of its kind of
target (:func:`~fault_campaigns.network_workload.target_class`: scratchpad word,
accumulator, requantizer pipeline, ABFT checker, control state): no effect (masked or
corrected), detected (DUE, hang, crash), undecodable wrong data (worst case: critical), or
the error the upset left on the C of each job it touched, ``(job, row, column, delta)``
for every changed element (``delta = faulty - golden`` in int8 LSB). The patterns of one
kind are its empirical distribution of effects; each kind is drawn with the share of the
target bits it has (an upset strikes bits uniformly).

**Injection** (:func:`calibrated_injection`). Over the whole digits test split (360
images, as 180 batches of the campaign's batch size 2, so every job has the campaign's
geometry): for each draw a batch and a pattern; the pattern's deltas are added to the
tile model's C of those jobs on that batch (clamped to the layer's activation range), the
rest of the network runs in NumPy (:meth:`NetworkCase.final_output`), and the scores are
judged as the RTL campaign's (benign / critical / hidden). No RTL runs.

**Naive injector** (:func:`naive_injection`): flip a random bit of a random int8 value,
drawn uniformly over every activation a GEMM layer reads and every weight of the network
(the software fault model of most DNN resilience tools), and judge the same way.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from orbitbench.driver.network import GemmStage, compile_network, digits_images, load_model
from orbitbench.spec.errors import ParameterError
from orbitbench.spec.params import get_config

from .db import CampaignDB
from .network_workload import NETWORK_OUTCOMES, NetworkCase, case_of, target_class
from .stats import Proportion, wilson
from .summary import proportion_dict, summarize

__all__ = ["Pattern", "fault_patterns", "calibrated_injection", "naive_injection",
           "InjectorResult", "test_batches"]


@dataclass(frozen=True)
class Pattern:
    """One RTL result as a model-level fault effect."""

    kind: str  # target class
    effect: str  # "none", "detected", "unplaced" or "data"
    deltas: tuple[tuple[int, int, int, int], ...] = ()  # (job, row, col, delta)


def fault_patterns(db_path) -> tuple[dict, dict[str, list[Pattern]], dict[str, int]]:
    """(the campaign's workload params, patterns per target kind, target bits per kind)
    of an RTL network campaign database.

    Raises
    ------
    ParameterError
        The database is not a network campaign, or has no results.
    """
    with CampaignDB.open_existing(db_path) as db:
        params = db.meta("campaign")["workload"]["params"]
        if "network" not in params:
            raise ParameterError(f"--calibrated-from {db_path}: not a network campaign (made "
                                 "with orbitbench campaign --network)")
        targets = db.meta("targets")
        results = db.results()
        observed = db.observed()
    if not results:
        raise ParameterError(f"--calibrated-from {db_path}: the campaign has no results yet")
    case = case_of(params)
    bits: Counter = Counter()
    for t in targets:
        bits[target_class(t["path"], t["kind"])] += t["width"] * t["depth"]
    patterns: dict[str, list[Pattern]] = {}
    for r in results:
        kind = target_class(r["target"], r["kind"])
        if r["outcome"] in ("masked", "corrected"):
            p = Pattern(kind, "none")
        elif r["outcome"] != "sdc":
            p = Pattern(kind, "detected")
        else:
            words = observed.get(r["id"]) or {}
            if not words or any(i not in case._read_job for i in words):
                p = Pattern(kind, "unplaced")
            else:
                deltas = []
                for j, c in sorted(case.job_outputs(words).items()):
                    gold = case.golden_jobs[j][1].astype(np.int64)
                    for row, col in zip(*np.nonzero(c != case.golden_jobs[j][1]), strict=True):
                        deltas.append((j, int(row), int(col), int(c[row, col]) - int(gold[row,
                                                                                          col])))
                p = Pattern(kind, "data" if deltas else "none", tuple(deltas))
        patterns.setdefault(kind, []).append(p)
    return params, patterns, {k: bits[k] for k in patterns}


def test_batches(network: str, config: str, batch: int) -> list[NetworkCase]:
    """The whole digits test split as :class:`NetworkCase` s of ``batch`` images each (the
    last images that do not fill a batch are left out)."""
    _, net, _ = load_model(network, option="--network")
    cfg = get_config(config)
    program = compile_network(net, cfg, batch)
    x, labels = digits_images(net)
    n = len(x) // batch * batch
    return [NetworkCase(network, cfg, program, x[i:i + batch], labels[i:i + batch])
            for i in range(0, n, batch)]


@dataclass
class InjectorResult:
    """What a model-level injector found."""

    counts: Counter
    injections: int
    cpu_seconds: float
    images: int

    def rate(self, outcome: str, confidence: float = 0.95) -> Proportion:
        return wilson(self.counts.get(outcome, 0), self.injections, confidence)

    def as_json(self) -> dict:
        return {"injections": self.injections, "images": self.images,
                "counts": {k: self.counts.get(k, 0) for k in
                           ("none", "detected", *NETWORK_OUTCOMES)},
                "cpu_seconds": self.cpu_seconds,
                "cpu_seconds_per_injection": self.cpu_seconds / max(self.injections, 1),
                **{f"{k}_rate": self.rate(k).estimate for k in NETWORK_OUTCOMES}}


def _apply(case: NetworkCase, deltas) -> dict[int, np.ndarray]:
    """Job index -> the tile model's C of ``case`` with the pattern's deltas added."""
    faulty: dict[int, np.ndarray] = {}
    jobs = case.program.jobs
    for j, row, col, d in deltas:
        c = faulty.get(j)
        if c is None:
            c = faulty[j] = case.golden_jobs[j][1].astype(np.int64)
        c[row, col] += d
    return {j: np.clip(c, jobs[j].cmd.act_min, jobs[j].cmd.act_max).astype(np.int8)
            for j, c in faulty.items()}


def calibrated_injection(db_path, count: int, seed: int = 1) -> tuple[dict, InjectorResult]:
    """``count`` calibrated model-level injections over the test split (module text)."""
    params, patterns, bits = fault_patterns(db_path)
    cases = test_batches(params["network"], params["config"], int(params["images"]))
    rng = np.random.default_rng(seed)
    kinds = sorted(patterns)
    share = np.array([bits[k] for k in kinds], dtype=np.float64)
    share /= share.sum()
    counts: Counter = Counter()
    t0 = time.process_time()
    for _ in range(count):
        case = cases[rng.integers(len(cases))]
        kind = kinds[rng.choice(len(kinds), p=share)]
        p = patterns[kind][rng.integers(len(patterns[kind]))]
        if p.effect == "none":
            counts["none"] += 1
        elif p.effect == "detected":
            counts["detected"] += 1
        elif p.effect == "unplaced":
            counts["sdc_critical"] += 1
        else:
            out, _ = case.final_output(_apply(case, p.deltas))
            counts[case.judge(out).outcome] += 1
    spent = time.process_time() - t0
    return params, InjectorResult(counts, count, spent, len(cases) * int(params["images"]))


def naive_injection(network: str, config: str, batch: int, count: int,
                    seed: int = 1) -> InjectorResult:
    """``count`` naive bit flips (a random bit of a random int8 activation or weight) over
    the test split, judged as the RTL campaign's."""
    cases = test_batches(network, config, batch)
    program = cases[0].program
    stages = [s for s in program.stages if isinstance(s, GemmStage)]
    # the population: every weight of every GEMM layer, every activation a GEMM layer reads
    jobs_of = []
    first = 0
    for s in stages:
        jobs_of.append(range(first, first + len(s.jobs)))
        first += len(s.jobs)
    weights = [int(np.prod(s.layer.weights.shape)) for s in stages]
    acts = [batch * int(np.prod(cases[0].golden_env[s.layer.op.inputs[0]].shape[1:]))
            for s in stages]
    sizes = np.array(weights + acts, dtype=np.float64)
    rng = np.random.default_rng(seed)
    counts: Counter = Counter()
    t0 = time.process_time()
    for _ in range(count):
        case = cases[rng.integers(len(cases))]
        pick = int(rng.choice(len(sizes), p=sizes / sizes.sum()))
        bit = np.int8(np.uint8(1 << int(rng.integers(8))).view(np.int8))
        if pick < len(stages):  # a weight: every job of the layer that holds it
            s = stages[pick]
            w = s.layer.weights.copy()
            flat = w.reshape(-1)
            flat[rng.integers(flat.size)] ^= bit
            new = {}
            for j, job in zip(jobs_of[pick], s.jobs, strict=True):
                g0, g1 = job.groups
                n0, n1 = job.cols
                if s.layer.groups == 1:
                    new[j] = w[0][:, n0:n1]
                else:
                    k, n = s.layer.k, s.layer.n
                    b = np.zeros_like(job.b)
                    for g in range(g0, g1):
                        i = g - g0
                        b[i * k:(i + 1) * k, i * n:(i + 1) * n] = w[g]
                    new[j] = b
            out, _ = case.final_output({}, weights=new)
        else:  # an activation: one element of the tensor a GEMM layer reads
            tensor = stages[pick - len(stages)].layer.op.inputs[0]
            elem = int(rng.integers(int(sizes[pick])))

            def tap(index, value, tensor=tensor, elem=elem, bit=bit):
                if index != tensor:
                    return value
                value = value.copy()
                value.reshape(-1)[elem] ^= bit
                return value
            out, _ = case.final_output({}, tap=tap)
        counts[case.judge(out).outcome] += 1
    spent = time.process_time() - t0
    return InjectorResult(counts, count, spent, len(cases) * batch)


def compare(db_path, count: int = 3600, naive_count: int = 1000, seed: int = 1,
            network: str | None = None) -> dict:
    """The calibrated and the naive injector against the RTL campaign ``db_path``: every
    rate with its Wilson interval, whether the calibrated critical-SDC rate lies inside the
    RTL's interval, and CPU seconds per injection of each model-level injector.

    ``network``, if given, must be the campaign's (a one-line error otherwise).
    """
    rtl = summarize(db_path).get("network")
    if rtl is None:
        raise ParameterError(f"--calibrated-from {db_path}: not a network campaign (made "
                             "with orbitbench campaign --network)")
    if network is not None and network != rtl["network"]:
        raise ParameterError(f"--network {network}: {db_path} is a campaign of "
                             f"{rtl['network']}")
    params, cal = calibrated_injection(db_path, count, seed)
    naive = naive_injection(params["network"], params["config"], int(params["images"]),
                            naive_count, seed)
    crit = rtl["rates"]["sdc_critical"]
    c = cal.rate("sdc_critical")
    return {"db": str(db_path), "network": params["network"], "config": params["config"],
            "batch": int(params["images"]),
            "rtl": {"injections": rtl["injections"], "outcomes": rtl["outcomes"],
                    **{k: rtl["rates"][k] for k in NETWORK_OUTCOMES}},
            "calibrated": {**cal.as_json(),
                           **{k: proportion_dict(cal.rate(k)) for k in NETWORK_OUTCOMES}},
            "naive": {**naive.as_json(),
                      **{k: proportion_dict(naive.rate(k)) for k in NETWORK_OUTCOMES}},
            "calibrated_inside": crit["low"] <= c.estimate <= crit["high"]}


__all__ += ["compare"]
