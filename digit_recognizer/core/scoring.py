"""Scoring predictions against labels: accuracy, per-class accuracy, confusion matrix.

Training, ``evaluate`` and the benchmarks score the same way, and none of them needs
TensorFlow for it, so the scoring lives here rather than in ``train``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["to_model_input", "score_probabilities"]


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1]."""
    return (np.asarray(images, np.float32) / 255.0)[..., None]


def score_probabilities(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy, per-class accuracy, confusion matrix (rows: true) and the predicted digits."""
    predicted = np.asarray(probabilities).argmax(axis=1)
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (labels.astype(int), predicted), 1)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    return {
        "accuracy": float((predicted == labels).mean()),
        "per_class_accuracy": [round(float(a), 5) for a in per_class],
        "confusion_matrix": confusion.tolist(),
        "predicted": predicted,
    }
