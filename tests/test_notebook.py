"""The training notebook runs top to bottom (QUICK mode) and saves working models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "digit_recognizer.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory, mnist_dir):
    import papermill

    out_dir = tmp_path_factory.mktemp("notebook")
    output = out_dir / "executed.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK), str(output), cwd=str(ROOT), kernel_name="python3", progress_bar=False,
        parameters={"QUICK": True, "DATA_DIR": str(mnist_dir), "OUT_DIR": str(out_dir)},
    )
    return out_dir, json.loads(output.read_text())


def cell_text(notebook: dict) -> str:
    """Everything the cells printed, as one string."""
    parts = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", "") if isinstance(output.get("text"), str)
                         else "".join(output.get("text", [])))
    return "".join(parts)


@pytest.mark.training
def test_notebook_saves_both_models_that_load(executed):
    import keras

    out_dir, _ = executed
    for name in ("digit_model.h5", "digit_model1.h5"):
        model = keras.models.load_model(out_dir / name, compile=False, safe_mode=True)
        assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
        metadata = json.loads((out_dir / name).with_suffix(".json").read_text())
        # 3,000 MNIST digits and 750 written ones (a quarter as many), less a tenth held out
        assert metadata["epochs_run"] == 2 and metadata["training_images"] == 3375


@pytest.mark.training
def test_notebook_reports_real_accuracy_and_shapes(executed):
    _, notebook = executed
    text = cell_text(notebook)
    assert "train: (60000, 28, 28) uint8" in text
    assert "(5, 28, 28, 1) float32" in text
    assert text.count("on the test set") == 2


@pytest.mark.training
def test_notebook_shows_figures_for_every_step(executed):
    _, notebook = executed
    images = sum("image/png" in output.get("data", {})
                 for cell in notebook["cells"] for output in cell.get("outputs", []))
    # samples, two curves, two confusion matrices, two mistake grids, drawn digits
    assert images >= 8


def test_committed_notebook_has_outputs_of_a_full_run():
    notebook = json.loads(NOTEBOOK.read_text())
    parameters = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
    assert "QUICK = True" in "".join(parameters["source"])  # the default stays quick
    text = cell_text(notebook)
    assert "Model 2 — RMSProp CNN" in text and "on the test set" in text
