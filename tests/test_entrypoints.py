"""The real train.py and sample.py, end to end, on tiny configs into tmp_path."""

import json
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from conftest import CONFIGS, TINY, compose_config, hparams_of, run_script
from makemore.trainer import train

METRIC_KEYS = {"train_loss", "val_loss", "test_loss", "best_val_loss", "steps", "train_seconds", "params"}


def scalars(run_dir: Path, tag: str) -> dict[int, float]:
    acc = EventAccumulator(str(run_dir)).Reload()
    return {e.step: e.value for e in acc.Scalars(tag)}


def test_every_config_and_experiment_composes():
    groups = {g.name: sorted(p.stem for p in g.glob("*.yaml")) for g in CONFIGS.iterdir() if g.is_dir()}
    assert groups["embedding"] == ["lookup", "onehot"] and "lecture_mlp" in groups["experiment"]
    for group, options in groups.items():
        for option in options:
            cfg = compose_config([f"{group}={option}"])
            assert cfg.train.max_steps >= 1


def test_lecture_mlp_is_the_lecture_recipe():
    cfg = compose_config(["experiment=lecture_mlp"])
    assert (cfg.data.block_size, cfg.model.n_embd, cfg.model.n_hidden, cfg.model.n_layers) == (3, 10, 200, 1)
    assert (cfg.optim.name, cfg.optim.lr, cfg.optim.schedule, cfg.optim.milestones) == ("sgd", 0.1, "step", [100000])
    assert (cfg.train.max_steps, cfg.train.batch_size, cfg.model.init) == (200000, 32, "lecture")


def test_train_then_sample(tmp_path, words_file):
    run_dir = tmp_path / "outputs" / "run1"
    run_script("train.py", f"data.path={words_file}", *TINY, f"hydra.run.dir={run_dir}")
    assert (run_dir / ".hydra" / "config.yaml").is_file()
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["best.pt", "last.pt"]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert set(metrics) == METRIC_KEYS and metrics["steps"] == 60
    assert metrics["best_val_loss"] <= metrics["val_loss"] + 1e-9
    assert set(scalars(run_dir, "loss/val")) == {20, 40, 60}
    assert len(scalars(run_dir, "lr")) == 6 and len(scalars(run_dir, "loss/train")) == 6

    words_file.unlink()  # sampling needs only the checkpoint
    out = run_script("sample.py", f"run={run_dir}", "num_samples=7", "seed=3")
    lines = out.stdout.splitlines()
    assert len(lines) == 7 and all(lines) and "new" in out.stderr
    assert run_script("sample.py", f"run={run_dir}", "num_samples=7", "seed=3").stdout == out.stdout

    # with no run= it takes the newest run under outputs/ of the cwd
    newest = run_script("sample.py", "num_samples=3", "prefix=ma", cwd=tmp_path)
    assert len(newest.stdout.splitlines()) == 3 and all(n.startswith("ma") for n in newest.stdout.split())


def test_lookup_and_onehot_sweep_gives_coinciding_curves(tmp_path, words_file):
    sweep = tmp_path / "multirun"
    overrides = [f"data.path={words_file}", *TINY, "train.max_steps=200", "train.log_interval=5"]
    run_script("train.py", "-m", "embedding=lookup,onehot", *overrides, f"hydra.sweep.dir={sweep}")
    runs = [sweep / "0", sweep / "1"]
    assert [compose_config([f"embedding={e}"]).embedding.name for e in ("lookup", "onehot")] == ["lookup", "onehot"]
    for tag in ("loss/train", "loss/val"):
        a, b = (scalars(r, tag) for r in runs)
        assert a.keys() == b.keys() and len(a) >= 4
        assert max(abs(a[s] - b[s]) for s in a) < 1e-4, tag
    # two rows in the HPARAMS tab, one per run, each in its run's own directory
    assert [hparams_of(r)[0]["embedding.name"] for r in runs] == ["lookup", "onehot"]


def test_same_seed_same_run_bit_for_bit(tiny_cfg, tmp_path):
    m1 = train(tiny_cfg, tmp_path / "a", progress=False)
    m2 = train(tiny_cfg, tmp_path / "b", progress=False)
    m1.pop("train_seconds"), m2.pop("train_seconds")
    assert m1 == m2
    w1 = torch.load(tmp_path / "a" / "checkpoints" / "last.pt", weights_only=True)["model"]
    w2 = torch.load(tmp_path / "b" / "checkpoints" / "last.pt", weights_only=True)["model"]
    assert all(torch.equal(w1[k], w2[k]) for k in w1)


@pytest.mark.parametrize(
    "args, message",
    [
        (["train.max_steps=-5"], "train.max_steps=-5"),
        (["model.dropout=1.5"], "model.dropout=1.5"),
        (["data.path=/nonexistent/words.txt"], "/nonexistent/words.txt: no such file"),
        (["model.n_embdd=3"], "n_embdd"),
        (["optim.lr=fast"], "optim.lr"),
    ],
)
def test_bad_input_gets_one_clear_line(tmp_path, args, message):
    run_dir = tmp_path / "run"
    proc = run_script("train.py", *args, f"hydra.run.dir={run_dir}", check=False)
    assert proc.returncode != 0
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not (run_dir / "checkpoints").exists() and not (run_dir / "metrics.json").exists()


def test_sample_bad_input(tmp_path):
    proc = run_script("sample.py", f"run={tmp_path / 'nowhere'}", check=False)
    assert proc.returncode != 0 and "no such run" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""
