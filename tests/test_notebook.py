"""examples/quickstart.ipynb runs top to bottom in a Jupyter kernel and draws every picture; git keeps it without
outputs."""

import json
import os

import pytest

from helpers import ROOT

NOTEBOOK = ROOT / "examples" / "quickstart.ipynb"


def test_the_notebook_is_kept_without_outputs():
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)


@pytest.mark.slow
def test_the_notebook_runs_and_draws_every_picture(tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    # the kernel imports this checkout's makemore, in a cwd of its own (outputs/ goes there)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
                            ).execute()  # fmt: skip
    outputs = {i: c.outputs for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    pictures = [i for i, out in outputs.items() if any("image/png" in o.get("data", {}) for o in out)]
    sources = [nb.cells[i].source for i in pictures]
    for drawn in ("plot_bigram_counts", "plot_loss", "plot_embedding", "plot_activations", "plot_next"):
        assert any(drawn in s for s in sources), f"{drawn} drew no picture"
    assert list((tmp_path / "outputs").glob("*/*/checkpoints/best.pt"))
