"""``orbitbench infer``: a TFLite network's inferences on the RTL tile, checked against LiteRT.

:func:`run_inference` quantizes the images (the digits test split, or a user's ``.npy``),
runs them on the RTL under Verilator (:mod:`testbenches.network_tb`: host stages in NumPy,
every GEMM job through the tile program over the bus), runs LiteRT's reference kernels on the
same int8 images, and compares **every activation tensor** of every image (input, each
operator's output). It reports accuracy (float from ``networks/models.json``, LiteRT int8,
RTL), tile cycles, simulated cycles and MAC utilisation per inference, and the tile's dynamic
energy per inference from :mod:`golden_models.power` fed by the ACT_FEED / ACT_SRAM deltas.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from golden_models import digits
from golden_models.network import Network, quantize_input
from golden_models.power import PowerModel, PowerParams
from orbitbench import sim
from orbitbench.driver.network import CORRUPTIONS, compile_network, load_model, model_names
from orbitbench.spec.errors import InputFileError, ParameterError
from orbitbench.spec.knobs import REPLY, REQUEST
from orbitbench.spec.params import TileConfig

__all__ = ["InferResult", "model_names", "load_model", "litert_tensors", "prepare_inputs",
           "run_inference", "DEFAULT_BATCH"]

#: Images per tile program: M of the fully connected layers; the convolutions' M is
#: ``batch * output pixels`` (tiled over ``max_m``).
DEFAULT_BATCH = 30


def litert_tensors(path: Path, x: np.ndarray, keep) -> dict[int, np.ndarray]:
    """LiteRT's reference kernels (``BUILTIN_REF``, every tensor preserved) on each int8
    image of ``x``; the tensors in ``keep``, stacked ``[N, ...]``."""
    interp = Interpreter(model_path=str(path),
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                         experimental_preserve_all_tensors=True)
    interp.allocate_tensors()
    i = interp.get_input_details()[0]["index"]
    out: dict[int, list] = {j: [] for j in keep}
    for image in x:
        interp.set_tensor(i, image[None])
        interp.invoke()
        for j in keep:
            out[j].append(interp.get_tensor(j)[0].copy())
    return {j: np.stack(v) for j, v in out.items()}


def prepare_inputs(net: Network, inputs: Path | None, images: int | None
                   ) -> tuple[np.ndarray, np.ndarray | None, str]:
    """(int8 images ``[N, *input_shape[1:]]``, labels or None, a description).

    Without ``inputs``: the first ``images`` of the digits test split (all 360 if None),
    quantized with the model's input scale and zero point. With ``inputs``: a ``.npy`` of
    int8 (taken as they are) or float (quantized) images of the model's input shape, with or
    without the trailing channel axis; ``images`` keeps the first that many.

    Raises
    ------
    InputFileError
        ``inputs`` does not exist or is not a ``.npy`` array.
    ParameterError
        A wrong shape or dtype, or ``images`` outside 1..available.
    """
    shape = tuple(net.tensors[net.input].shape[1:])
    if inputs is None:
        x, labels = digits.test_split()
        source = "digits test split"
    else:
        try:
            x = np.load(inputs, allow_pickle=False)
        except FileNotFoundError:
            raise InputFileError(f"--inputs {inputs}: no such file") from None
        except (ValueError, OSError) as exc:
            raise InputFileError(f"--inputs {inputs}: not a .npy array ({exc})") from None
        labels, source = None, str(inputs)
        if x.ndim >= 1 and x.shape[1:] == shape[:-1] and shape[-1] == 1:
            x = x.reshape((x.shape[0], *shape))
        if x.ndim < 1 or x.shape[1:] != shape:
            raise ParameterError(f"--inputs {inputs}: images must have shape [N, "
                                 f"{', '.join(map(str, shape))}], not {list(x.shape)}")
        if x.dtype != np.int8 and not np.issubdtype(x.dtype, np.floating):
            raise ParameterError(f"--inputs {inputs}: images must be int8 or float, not "
                                 f"{x.dtype}")
    available = len(x)
    n = available if images is None else images
    if not 1 <= n <= available:
        raise ParameterError(f"--images must be from 1 to {available}, not {n}")
    x = x[:n]
    if x.dtype != np.int8:
        x = quantize_input(net, x)
    return x, None if labels is None else labels[:n], source


@dataclass
class InferResult:
    """Everything ``orbitbench infer`` prints and writes.

    Members
    -------
    summary : dict
        JSON-ready figures (see :func:`run_inference`).
    outputs : np.ndarray of int8 ``[N, ...]``
        The RTL's output tensor of every image.
    classes : np.ndarray ``[N]``
        argmax of each RTL output.
    passed : bool
        Every tensor of every image equals LiteRT's and no command mismatched the tile model.
    """

    summary: dict
    outputs: np.ndarray
    classes: np.ndarray
    passed: bool


def _accuracy(classes: np.ndarray, labels: np.ndarray | None) -> float | None:
    return None if labels is None else float(np.mean(classes == labels))


def run_inference(model: str, cfg: TileConfig, *, images: int | None = None,
                  inputs: Path | None = None, batch: int = DEFAULT_BATCH,
                  corrupt: str = "none", log_file: Path | None = None,
                  rtl_dir: Path = sim.RTL_DIR) -> InferResult:
    """Run ``model`` on the RTL tile ``cfg`` (its Verilog in ``rtl_dir``) and compare with
    LiteRT (module docstring).

    ``summary`` holds: model, config, images, source, batch, corrupt; accuracy (``float``
    from models.json for the test split only, ``litert``, ``rtl``; None without labels);
    ``tensors_compared``, ``images_bit_exact``, ``mismatched_tensors`` (label -> images);
    ``tile_mismatches``; per inference ``tile_cycles`` (sum of CYCLES), ``sim_cycles``
    (bus traffic included), ``macs``, ``mac_utilisation`` (network MACs over tile cycles x
    PEs), ``energy_j`` (the tile's dynamic energy); ``act_feed``, ``act_sram``,
    ``bus_transfers``, ``layer_cycles``; ``rtl_cpu_s`` / ``rtl_wall_s`` (simulation),
    ``litert_cpu_s``.

    Raises
    ------
    ParameterError, InputFileError
        Bad model, inputs, images, batch or corrupt; a layer that does not fit ``cfg``
        (:class:`~golden_models.network.NetworkError`, raised before any simulation).
    ToolchainError
        Verilator failed, or the simulation did not complete.
    """
    if corrupt not in CORRUPTIONS:
        raise ParameterError(f"--corrupt must be one of {', '.join(CORRUPTIONS)}, not "
                             f"{corrupt!r}")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ParameterError(f"--batch must be a positive integer, not {batch!r}")
    path, net, info = load_model(model)
    x, labels, source = prepare_inputs(net, inputs, images)
    compile_network(net, cfg, min(batch, len(x)))  # a layer that cannot fit: before verilating
    design = sim.tile_design(cfg, rtl_dir)
    built = sim.build(design)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        np.save(tmp / "inputs.npy", x)
        (tmp / "request.json").write_text(json.dumps({
            "model": str(path), "inputs": str(tmp / "inputs.npy"), "batch": batch,
            "corrupt": corrupt, "tensors": str(tmp / "tensors.npz")}))
        # Per process: concurrent runs on one build must not share a log or a results file.
        tag = f"infer_{model}_{os.getpid()}"
        log = log_file or built.build_dir / "runs" / f"orbitbench_{tag}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        wall = time.perf_counter()
        result = sim.run(built, "testbenches.network_tb", log_file=log, results_name=tag,
                         extra_env={**REQUEST.env(tmp / "request.json"),
                                    **REPLY.env(tmp / "reply.json")})
        wall = time.perf_counter() - wall
        if not result.passed or not (tmp / "reply.json").exists():
            raise sim.ToolchainError(f"the inference simulation did not complete; log: {log}")
        reply = json.loads((tmp / "reply.json").read_text())
        with np.load(tmp / "tensors.npz") as z:
            rtl = {int(k): z[k] for k in z.files}
    lite_t = time.process_time()
    lite = litert_tensors(path, x, sorted(rtl))
    lite_cpu = time.process_time() - lite_t
    bad_images = np.zeros(len(x), dtype=bool)
    mismatched = {}
    for t in sorted(rtl):
        differs = (rtl[t] != lite[t]).reshape(len(x), -1).any(axis=1)
        if differs.any():
            mismatched[net.tensors[t].label] = int(differs.sum())
        bad_images |= differs
    out_rtl, out_lite = rtl[net.output], lite[net.output]
    classes = out_rtl.reshape(len(x), -1).argmax(axis=1)
    lite_classes = out_lite.reshape(len(x), -1).argmax(axis=1)
    n = len(x)
    prog = compile_network(net, cfg, 1)
    power = PowerModel(PowerParams(), cfg.rows, cfg.cols)
    summary = {
        "model": model, "config": cfg.name, "rounding": cfg.rounding, "images": n,
        "source": source, "batch": batch, "corrupt": corrupt,
        "accuracy": {
            # Training needs TensorFlow: the float figure is models.json's, on the whole split.
            "float": info.get("float_test_accuracy") if labels is not None else None,
            "litert": _accuracy(lite_classes, labels), "rtl": _accuracy(classes, labels)},
        "tensors_compared": len(rtl), "images_bit_exact": int(n - bad_images.sum()),
        "mismatched_tensors": mismatched, "tile_mismatches": reply["tile_mismatches"],
        "roundings_honoured": prog.roundings_honoured,
        "jobs": reply["jobs"],
        "per_inference": {
            "tile_cycles": reply["cycles"] / n, "sim_cycles": reply["sim_cycles"] / n,
            "macs": prog.macs_per_inference,
            "mac_utilisation": prog.macs_per_inference * n
            / (reply["cycles"] * cfg.rows * cfg.cols),
            "energy_j": power.tile_energy(reply["act_feed"], reply["act_sram"]) / n,
            "bus_transfers": reply["bus_transfers"] / n},
        "act_feed": reply["act_feed"], "act_sram": reply["act_sram"],
        "layer_cycles": reply["layer_cycles"],
        "rtl_cpu_s": reply["cpu_s"], "rtl_wall_s": wall, "litert_cpu_s": lite_cpu,
    }
    passed = not bad_images.any() and not reply["tile_mismatches"]
    return InferResult(summary=summary, outputs=out_rtl, classes=classes, passed=passed)
