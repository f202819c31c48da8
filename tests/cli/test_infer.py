"""orbitbench infer: both digits models on the RTL tile, bit-exact with LiteRT on every tensor.

A subset of the test split (16 images per model) runs here; the whole split is the same
command without ``--images`` (docs/networks.md gives its figures). The negative controls
of the comparison itself (wrong weight, other rounding, wrong zero point) are checked on the
whole program in NumPy in tests/driver/test_network.py; one runs here through the RTL.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from golden_models import digits
from golden_models.network import load_network, quantize_input
from orbitbench.apps.infer import litert_tensors, load_model
from orbitbench.cli import main

SUBSET = 16


@pytest.mark.parametrize("model", ["digits_cnn", "digits_mlp"])
def test_subset_bit_exact_with_litert(model, tmp_path, capsys):
    out = tmp_path / "infer.json"
    assert main(["infer", "--model", model, "--images", str(SUBSET), "--batch", "8",
                 "--json", str(out)]) == 0
    assert f"PASS {SUBSET}/{SUBSET} images bit-exact with LiteRT" in capsys.readouterr().out
    s = json.loads(out.read_text())
    assert s["images_bit_exact"] == SUBSET and not s["mismatched_tensors"]
    assert s["accuracy"]["rtl"] == s["accuracy"]["litert"]
    assert s["tensors_compared"] == len(load_network(load_model(model)[0]).operators) + 1
    per = s["per_inference"]
    assert 0 < per["mac_utilisation"] <= 1 and per["energy_j"] > 0
    assert per["sim_cycles"] > per["tile_cycles"] > 0
    assert [o["index"] for o in s["outputs"]] == list(range(SUBSET))


def test_user_inputs_float_and_json(tmp_path):
    """Float images of shape [N, 8, 8] are quantized; the JSON holds LiteRT's outputs."""
    path, net, _ = load_model("digits_mlp")
    images = digits.test_split()[0][100:103]
    np.save(tmp_path / "x.npy", images)
    out = tmp_path / "out.json"
    assert main(["infer", "--model", "digits_mlp", "--inputs", str(tmp_path / "x.npy"),
                 "--json", str(out)]) == 0
    s = json.loads(out.read_text())
    lite = litert_tensors(path, quantize_input(net, images), [net.output])[net.output]
    assert [o["output"] for o in s["outputs"]] == lite.reshape(3, -1).tolist()
    assert [o["class"] for o in s["outputs"]] == lite.argmax(axis=1).tolist()
    assert s["accuracy"] == {"float": None, "litert": None, "rtl": None}


def test_negative_control_through_the_rtl(capsys):
    """A corrupted weight in the program the tile runs: the check must fail (exit 1)."""
    assert main(["infer", "--model", "digits_mlp", "--images", "4", "--corrupt",
                 "weight"]) == 1
    out = capsys.readouterr().out
    assert "FAIL 4/4 images differ from LiteRT" in " ".join(out.split())
    assert "images differ" in out


@pytest.mark.parametrize("args, message", [
    (["--images", "0"], "--images must be from 1 to 360, not 0"),
    (["--images", "361"], "--images must be from 1 to 360, not 361"),
    (["--batch", "0"], "--batch must be a positive integer, not 0"),
    (["--inputs", "/nonexistent/x.npy"], "--inputs /nonexistent/x.npy: no such file"),
    (["--model", "digits_mlp", "--config", "small"],
     "operator 1 (FULLY_CONNECTED) has K = 64, above max_k = 32 of config 'small'"),
])
def test_bad_input_is_one_line_exit_2(args, message, capsys):
    assert main(["infer", *args]) == 2
    out = capsys.readouterr().out
    assert "error:" in out and message in " ".join(out.split()) and "Traceback" not in out


@pytest.mark.parametrize("array, message", [
    (np.zeros((2, 8, 7), np.float32), "images must have shape [N, 8, 8, 1], not [2, 8, 7]"),
    (np.zeros((2, 8, 8), np.int32), "images must be int8 or float, not int32"),
])
def test_bad_inputs_file(array, message, tmp_path, capsys):
    np.save(tmp_path / "x.npy", array)
    assert main(["infer", "--inputs", str(tmp_path / "x.npy")]) == 2
    assert message in " ".join(capsys.readouterr().out.split())


def test_not_a_npy_file(tmp_path, capsys):
    (tmp_path / "x.npy").write_text("not numpy")
    assert main(["infer", "--inputs", str(tmp_path / "x.npy")]) == 2
    assert "not a .npy array" in capsys.readouterr().out
