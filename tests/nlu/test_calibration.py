from __future__ import annotations

import numpy as np
import pytest

from hybridcx.nlu.calibration import expected_calibration_error, fit_temperature, softmax


def test_ece_hand_made_example():
    # Two bins used (15 equal bins): 0.9 x4 with 3 right -> |0.75 - 0.9| = 0.15, weight 4/6;
    # 0.3 x2 with 1 right -> |0.5 - 0.3| = 0.2, weight 2/6.
    conf = np.array([0.9, 0.9, 0.9, 0.9, 0.3, 0.3])
    correct = np.array([1, 1, 1, 0, 1, 0])
    expected = 4 / 6 * 0.15 + 2 / 6 * 0.2
    assert expected_calibration_error(conf, correct, n_bins=15) == pytest.approx(expected)


def test_ece_perfectly_calibrated_and_empty():
    assert expected_calibration_error(np.array([1.0, 1.0]), np.array([1, 1])) == 0.0
    assert expected_calibration_error(np.array([]), np.array([])) == 0.0


def test_temperature_fixes_overconfidence():
    rng = np.random.default_rng(0)
    n, k = 4000, 5
    labels = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), labels] += 1.5
    # With unit Gaussian noise the true posterior is softmax(1.5 * logits), so logits * 4
    # need a temperature of 4 / 1.5.
    overconfident = logits * 4
    t = fit_temperature(overconfident, labels)
    assert t == pytest.approx(4 / 1.5, rel=0.1)

    def ece(z: np.ndarray) -> float:
        p = softmax(z)
        return expected_calibration_error(p.max(1), p.argmax(1) == labels)

    assert ece(overconfident / t) < ece(overconfident) / 3
