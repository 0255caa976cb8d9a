"""Matplotlib figures of a training run: curves, confusion matrix, misclassified digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digit_recognizer.core.files import atomic_path


def _figure():
    # The Agg canvas draws to files only: training runs headless and must not open windows.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _save(figure, path: Path) -> None:
    with atomic_path(path) as tmp:
        figure.savefig(tmp)


def plot_curves(history: dict):
    """Loss and accuracy per epoch, training against validation."""
    figure = _figure()
    for ax, key in zip(figure.subplots(1, 2), ("loss", "accuracy")):
        epochs = np.arange(1, len(history[key]) + 1)
        ax.plot(epochs, history[key], label="training")
        ax.plot(epochs, history[f"val_{key}"], label="validation")
        ax.set(xlabel="epoch", title=key)
        ax.legend()
        ax.grid(alpha=0.3)
    return figure


def plot_confusion(confusion) -> object:
    """The confusion matrix with counts; the diagonal holds the correct predictions."""
    confusion = np.asarray(confusion)
    figure = _figure()
    figure.set_size_inches(6, 5.5)
    ax = figure.subplots()
    ax.imshow(np.log1p(confusion), cmap="Blues")
    for (row, col), count in np.ndenumerate(confusion):
        if count:
            ax.text(col, row, str(count), ha="center", va="center", fontsize=7,
                    color="white" if row == col else "black")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true",
           title=f"test set: {confusion.trace()} of {confusion.sum()} correct")
    return figure


def plot_mistakes(images, labels, predicted, limit: int = 40):
    """A grid of misclassified digits, titled 'true → predicted'."""
    all_wrong = np.flatnonzero(np.asarray(predicted) != np.asarray(labels))
    wrong = all_wrong[:limit]
    figure = _figure()
    figure.set_size_inches(10, 5)
    figure.suptitle(f"{len(all_wrong)} misclassified test digits (true → predicted), "
                    f"first {len(wrong)}")
    for ax, index in zip(figure.subplots(4, 10).ravel(), list(wrong) + [None] * limit):
        ax.axis("off")
        if index is not None:
            ax.imshow(images[index], cmap="gray_r")
            ax.set_title(f"{labels[index]} → {predicted[index]}", fontsize=8)
    return figure


def save_training_figures(model_path: Path, history: dict, report: dict, x_test, y_test) -> None:
    """Write the three figures next to the model file."""
    model_path = Path(model_path)
    stem = model_path.with_suffix("")
    _save(plot_curves(history), Path(f"{stem}.curves.png"))
    _save(plot_confusion(report["confusion_matrix"]), Path(f"{stem}.confusion.png"))
    _save(plot_mistakes(x_test, y_test, report["predicted"]), Path(f"{stem}.mistakes.png"))
