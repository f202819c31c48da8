"""The 8x8 handwritten digits the networks in ``networks/`` were trained on, and their split.

scikit-learn ships the data inside its wheel (``sklearn.datasets.load_digits``: 1,797 images
of 8x8 pixels with integer intensities 0..16), so nothing is downloaded. The train/test split
is a stratified ``train_test_split`` with a fixed seed: it is reproducible without
TensorFlow, and ``networks/make_models.py`` trains on exactly :func:`train_split`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SEED", "TEST_SIZE", "PIXEL_MAX", "train_split", "test_split"]

#: Seed of the split (and of the training in ``networks/make_models.py``).
SEED = 20261201
#: Fraction of the 1,797 images held out for testing (360 images).
TEST_SIZE = 0.2
#: Largest pixel intensity in the data set; images are scaled by 1 / PIXEL_MAX to [0, 1].
PIXEL_MAX = 16


def _split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # scikit-learn takes seconds to import: only when the split is needed, not whenever the
    # orbitbench command (which imports this for `infer`) starts.
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    images = (data.images / PIXEL_MAX).astype(np.float32)
    return train_test_split(images, data.target.astype(np.int64), test_size=TEST_SIZE,
                            random_state=SEED, stratify=data.target)


def train_split() -> tuple[np.ndarray, np.ndarray]:
    """Training images and labels.

    Returns
    -------
    images : np.ndarray of float32, shape ``[1437, 8, 8]``
        Pixel intensities scaled to [0, 1] (``value / 16``).
    labels : np.ndarray of int64, shape ``[1437]``
        Digits 0..9.
    """
    x_train, _, y_train, _ = _split()
    return x_train, y_train


def test_split() -> tuple[np.ndarray, np.ndarray]:
    """Test images and labels: the stratified 20 % held out with ``random_state=SEED``.

    Returns
    -------
    images : np.ndarray of float32, shape ``[360, 8, 8]``
        Pixel intensities scaled to [0, 1] (``value / 16``).
    labels : np.ndarray of int64, shape ``[360]``
        Digits 0..9.
    """
    _, x_test, _, y_test = _split()
    return x_test, y_test


# pytest collects module-level callables named test_* from any module that imports them.
test_split.__test__ = False
