"""Train and convert the int8 digit classifiers in ``networks/`` (seeded, reproducible).

Run from the repository root, in a separate environment with the ``models`` extra (TensorFlow
is not part of ``.venv``)::

    python3 -m venv /work/tfenv
    /work/tfenv/bin/pip install tensorflow-cpu==2.21.0 scikit-learn==1.9.1 ai-edge-litert==2.3.0
    /work/tfenv/bin/python -m networks.make_models

It writes ``networks/digits_cnn.tflite``, ``networks/digits_mlp.tflite``,
``networks/models.json`` and the two tiny models of the bad-model tests under
``tests/data/``. Both classifiers are full-int8 (per-channel symmetric int8 weights,
asymmetric int8 activations, int8 input and output tensors), calibrated on the training split
of :mod:`golden_models.digits`.

Every GEMM layer keeps its reduction length K <= 64, the default tile's ``max_k``: the tile
returns requantized int8, so K cannot be split across commands. Hence the CNN uses a 3x3
convolution over one input channel (K = 9), then depthwise 3x3 (K = 9) plus pointwise 1x1
(K = 16) blocks instead of a full 3x3 over 16 channels (K = 144), and pools to 32 features
before its classifier.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

import numpy as np

# Deterministic kernels and quiet logs; set before TensorFlow is imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import ai_edge_litert
import keras
import sklearn
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from golden_models import digits

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "networks"
TEST_DATA = ROOT / "tests" / "data"
EPOCHS = 80
BATCH = 32


def build_cnn() -> keras.Model:
    """Depthwise-separable CNN with a residual ADD: 1.8 k parameters, every K <= 32."""
    layers = keras.layers
    inp = keras.Input((8, 8, 1), name="image")
    x = layers.Conv2D(16, 3, padding="same", activation="relu", name="conv0")(inp)  # K = 9
    y = layers.DepthwiseConv2D(3, padding="same", activation="relu", name="dw1")(x)  # K = 9
    y = layers.Conv2D(16, 1, name="pw1")(y)  # K = 16
    x = layers.ReLU(name="res_relu")(layers.Add(name="res_add")([x, y]))
    x = layers.MaxPooling2D(2, name="maxpool")(x)  # 4x4x16
    x = layers.DepthwiseConv2D(3, padding="same", activation="relu", name="dw2")(x)  # K = 9
    x = layers.Conv2D(32, 1, activation="relu", name="pw2")(x)  # K = 16
    x = layers.AveragePooling2D(4, name="avgpool")(x)  # 1x1x32: AVERAGE_POOL_2D, not MEAN
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(10, name="fc")(x)  # K = 32
    out = layers.Softmax(name="softmax")(x)
    return keras.Model(inp, out, name="digits_cnn")


def build_mlp() -> keras.Model:
    """Two hidden layers of 64 and 32: the first has K = 64 (fits "default", not "small")."""
    layers = keras.layers
    inp = keras.Input((8, 8, 1), name="image")
    x = layers.Flatten(name="flatten")(inp)
    x = layers.Dense(64, activation="relu", name="fc0")(x)  # K = 64
    x = layers.Dense(32, activation="relu", name="fc1")(x)  # K = 64
    x = layers.Dense(10, name="fc2")(x)  # K = 32
    out = layers.Softmax(name="softmax")(x)
    return keras.Model(inp, out, name="digits_mlp")


def convert_int8(model: keras.Model, calibration: np.ndarray) -> bytes:
    """Full-int8 conversion: int8 weights per channel, int8 activations, int8 input/output."""
    def representative():
        for image in calibration:
            yield [image[None, ..., None]]

    conv = _converter(model, (1, 8, 8, 1))
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


def _converter(model: keras.Model, shape: tuple[int, ...]) -> tf.lite.TFLiteConverter:
    """A converter for a copy of ``model`` whose input has the fixed ``shape`` (batch 1).

    A dynamic batch makes Keras' Flatten a SHAPE/STRIDED_SLICE/PACK/RESHAPE chain; a static
    one gives a single RESHAPE with a constant shape. Batching is the runner's business
    (golden_models.network runs the batch-1 graph on many images at once).
    """
    fixed = keras.models.clone_model(model, input_tensors=keras.Input(batch_shape=shape))
    fixed.set_weights(model.get_weights())
    return tf.lite.TFLiteConverter.from_keras_model(fixed)


def litert_accuracy(path: Path, images: np.ndarray, labels: np.ndarray) -> tuple[float, dict]:
    """Accuracy of the int8 model under LiteRT's reference kernels, and its input quantization."""
    interp = Interpreter(model_path=str(path),
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    scale, zp = inp["quantization"]
    # The same formula as golden_models.network.quantize_input (TFLite's QUANTIZE op):
    # float32 division, rounding half away from zero.
    v = np.float32(images) / np.float32(scale)
    mag = np.abs(v)
    q = np.copysign(np.floor(mag) + (mag - np.floor(mag) >= 0.5), v)
    x = np.clip(q + zp, -128, 127).astype(np.int8)[..., None]
    pred = []
    for image in x:
        interp.set_tensor(inp["index"], image[None])
        interp.invoke()
        pred.append(int(interp.get_tensor(out["index"]).argmax()))
    acc = float((np.array(pred) == labels).mean())
    return acc, {"scale": float(scale), "zero_point": int(zp)}


def train(model: keras.Model, x, y) -> keras.Model:
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[..., None], y, epochs=EPOCHS, batch_size=BATCH, verbose=0, shuffle=True)
    return model


def make_test_models() -> None:
    """The bad-model fixtures: a float model and an int8 model with an unsupported TANH."""
    layers = keras.layers
    keras.utils.set_random_seed(digits.SEED)
    rng = np.random.default_rng(digits.SEED)
    inp = keras.Input((8,))
    float_model = keras.Model(inp, layers.Dense(4, name="fc")(inp))
    conv = _converter(float_model, (1, 8))
    (TEST_DATA / "float_fc.tflite").write_bytes(conv.convert())

    inp = keras.Input((8,))
    tanh_model = keras.Model(inp, layers.Dense(4, activation="tanh", name="fc")(inp))
    calib = rng.uniform(-1, 1, (64, 8)).astype(np.float32)

    def representative():
        for row in calib:
            yield [row[None]]

    conv = _converter(tanh_model, (1, 8))
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    (TEST_DATA / "int8_tanh.tflite").write_bytes(conv.convert())


def main() -> None:
    tf.config.experimental.enable_op_determinism()
    x_train, y_train = digits.train_split()
    x_test, y_test = digits.test_split()
    record = {
        "seed": digits.SEED,
        "versions": {"python": platform.python_version(), "tensorflow": tf.__version__,
                     "keras": keras.__version__, "scikit-learn": sklearn.__version__,
                     "numpy": np.__version__, "ai-edge-litert": ai_edge_litert.__version__},
        "test_split": {
            "function": "golden_models.digits.test_split",
            "definition": ("sklearn.model_selection.train_test_split(load_digits().images / 16, "
                           f"load_digits().target, test_size={digits.TEST_SIZE}, "
                           f"random_state={digits.SEED}, stratify=load_digits().target)"),
            "train_images": len(x_train), "test_images": len(x_test)},
        "input_quantization": ("x_int8 = clip(round_half_away(float32(pixel / 16) / float32("
                               "scale)) + zero_point, -128, 127), scale and zero_point of the "
                               "model's input tensor (TFLite's QUANTIZE)"),
        "training": {"optimizer": "Adam(3e-3)", "epochs": EPOCHS, "batch": BATCH,
                     "loss": "sparse_categorical_crossentropy"},
        "models": {},
    }
    for name, build in (("digits_cnn", build_cnn), ("digits_mlp", build_mlp)):
        keras.utils.set_random_seed(digits.SEED)
        model = train(build(), x_train, y_train)
        float_acc = float((model.predict(x_test[..., None], verbose=0).argmax(1) == y_test)
                          .mean())
        path = OUT / f"{name}.tflite"
        path.write_bytes(convert_int8(model, x_train))
        int8_acc, input_q = litert_accuracy(path, x_test, y_test)
        record["models"][name] = {
            "file": path.name, "bytes": path.stat().st_size,
            "parameters": int(model.count_params()),
            "float_test_accuracy": round(float_acc, 6),
            "litert_int8_test_accuracy": round(int8_acc, 6),
            "litert_resolver": "BUILTIN_REF (reference kernels, no XNNPACK)",
            "input": input_q,
        }
        print(f"{name}: float {float_acc:.4f}, int8 (LiteRT ref) {int8_acc:.4f}, "
              f"{path.stat().st_size} bytes", file=sys.stderr)
    (OUT / "models.json").write_text(json.dumps(record, indent=2) + "\n")
    make_test_models()


if __name__ == "__main__":
    main()
