"""Every example of docs/api.md runs: its python blocks, in order, in one namespace, in a directory of their own."""

import re

import matplotlib
import pytest

from helpers import ROOT

PAGE = ROOT / "docs" / "api.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


@pytest.mark.slow
def test_every_example_on_the_api_page_runs(tmp_path, monkeypatch):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(PAGE.read_text())
    assert len(blocks) >= 8
    namespace = {}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"{PAGE}:block {i + 1}", "exec"), namespace)
        except Exception as e:
            raise AssertionError(f"docs/api.md block {i + 1} failed: {type(e).__name__}: {e}\n{block}") from e
    plt.close("all")
    run = namespace["run"]
    assert run.metrics["steps"] == 400  # trained, then resumed to the raised max_steps
    assert list(tmp_path.glob("outputs/*/*/checkpoints/best.pt"))
