"""A good citizen in a long-lived process (a notebook's kernel, a test session): importing makemore changes nothing
of torch's, and a run leaves torch's classes as torch alone would have left them and its thread count as it was.
(makemore once set an attribute on torch.optim.Optimizer's own methods, process-wide, to skip an import.)

Each side runs in a fresh process, so that nothing another test did counts. torch caches things on its own methods
at their first call: so both processes end by using the optimizers the same way through torch's public API, and what
they leave must be the same."""

import json
import subprocess
import sys

import pytest

from helpers import ROOT

COMMON = """
import json, sys, torch

CLASSES = (torch.optim.Optimizer, torch.optim.SGD, torch.optim.AdamW, torch.optim.Adam, torch.nn.Module)

def kind(owner, value):
    return "itself" if value is owner or value is getattr(owner, "__wrapped__", None) else type(value).__name__

def snapshot():
    # each class attribute: its identity, and the attributes set on it and on what it wraps, by kind
    seen = {}
    for cls in CLASSES:
        for name, value in vars(cls).items():
            inner = getattr(value, "__wrapped__", None)
            attrs = {f"{k}": kind(value, v) for k, v in getattr(value, "__dict__", {}).items()}
            attrs |= {f"wrapped.{k}": kind(inner, v) for k, v in getattr(inner, "__dict__", {}).items()}
            seen[f"{cls.__name__}.{name}"] = [id(value), attrs]
    return seen

def use_torchs_optimizers():
    for make in (lambda p: torch.optim.SGD(p, lr=0.1, foreach=False), lambda p: torch.optim.AdamW(p, foreach=False)):
        model = torch.nn.Linear(3, 2)
        opt = make(model.parameters())
        opt.zero_grad(set_to_none=True)
        model(torch.ones(4, 3)).sum().backward()
        opt.step()
        opt.load_state_dict(opt.state_dict())
"""

TORCH_ALONE = (
    COMMON
    + """
use_torchs_optimizers()
print(json.dumps({k: v[1] for k, v in snapshot().items()}))
"""
)

WITH_MAKEMORE = (
    COMMON
    + """
import importlib, pkgutil
torch.set_num_threads(2)
before = snapshot()
import makemore
for info in pkgutil.walk_packages(makemore.__path__, "makemore."):
    importlib.import_module(info.name)
assert snapshot() == before, "importing makemore changed torch's classes"
from makemore.config import Config, DataConfig, ModelConfig, TrainConfig
from makemore.training.trainer import train
for name in ("adamw", "sgd"):  # twice in one process, as a notebook would
    cfg = Config(data=DataConfig(path=sys.argv[1]), model=ModelConfig(n_embd=4, n_hidden=16),
                 train=TrainConfig(max_steps=30, eval_interval=15, log_interval=5, threads=1, diagnostics=False,
                                   quality_samples=0, device="cpu"))
    cfg.optim.name = name
    train(cfg, sys.argv[2] + "/" + name, progress=False)
assert torch.get_num_threads() == 2, f"train() left torch with {torch.get_num_threads()} threads"
use_torchs_optimizers()
print(json.dumps({k: v[1] for k, v in snapshot().items()}))
"""
)


def run(script: str, *args: str, cwd) -> dict:
    proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=240, cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_importing_and_training_leave_torch_as_torch_alone_would(tmp_path):
    alone = run(TORCH_ALONE, cwd=tmp_path)
    after_a_run = run(WITH_MAKEMORE, str(ROOT / "data" / "names.txt"), str(tmp_path), cwd=tmp_path)
    changed = {k: (alone.get(k), v) for k, v in after_a_run.items() if alone.get(k) != v}
    assert not changed and alone.keys() == after_a_run.keys(), changed
