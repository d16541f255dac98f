import signal
import subprocess
import sys

import pytest
import torch

from helpers import ROOT, TINY, compose_config, write_tiny_words
from makemore.inference.sampling import generate
from makemore.runs.checkpoint import (
    CHECKPOINT_FORMAT,
    KEYS,
    LATER_KEYS,
    RESUME_KEYS,
    CheckpointError,
    load_checkpoint,
    model_from_checkpoint,
)
from makemore.runs.integrity import digest_of
from makemore.runs.layout import BEST, LAST, find_checkpoint
from makemore.training.trainer import prepare, train


@pytest.mark.slow
def test_checkpoint_is_a_plain_self_describing_dict(tiny_run, tiny_cfg):
    ckpt = torch.load(tiny_run / "checkpoints" / "last.pt", weights_only=True)
    assert set(ckpt) == set(KEYS + RESUME_KEYS + LATER_KEYS)
    assert set(ckpt["rng"]) == {"torch", "cuda", "mps", "batches"} and ckpt["rng"]["cuda"] is ckpt["rng"]["mps"] is None
    assert ckpt["format"] == CHECKPOINT_FORMAT and ckpt["step"] == tiny_cfg.train.max_steps
    assert type(ckpt["config"]) is dict and ckpt["config"]["model"]["n_hidden"] == 32
    assert ckpt["vocab"][0] == "." and ckpt["vocab"][1:] == sorted(ckpt["vocab"][1:])
    best = load_checkpoint(tiny_run / "checkpoints" / "best.pt")
    assert best["best_val_loss"] == min(best["best_val_loss"], ckpt["best_val_loss"])


@pytest.mark.slow
@pytest.mark.parametrize("model", ["mlp", "hierarchical"])
def test_the_checkpoint_rebuilds_the_live_model(tiny_cfg, words_file, tmp_path, model):
    overrides = [f"data.path={words_file}", *TINY, f"model={model}", "model.norm=batchnorm"]
    if model == "hierarchical":
        overrides += ["data.block_size=4", "model.n_layers=2"]
    trainer = prepare(compose_config(overrides), tmp_path / "run")
    trainer.run(progress_bar=False)
    live = trainer.model.eval()  # last.pt is written at the last step: the same weights and BatchNorm statistics
    words_file.unlink()  # the checkpoint alone rebuilds the model: no data file, no config
    model, vocab, cfg = model_from_checkpoint(load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt"))
    assert not model.training
    idx = torch.randint(0, len(vocab), (50, cfg.data.block_size))
    with torch.no_grad():
        assert torch.equal(model(idx)[0], live(idx)[0])


def test_no_temporary_files_left_behind(tiny_run):
    assert sorted(p.name for p in (tiny_run / "checkpoints").iterdir()) == ["best.pt", "last.pt"]


class Boom:
    """Unpickling this calls open(marker, "w"): the marker file exists if and only if the file's code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_code_in_a_checkpoint_is_refused_and_never_runs(tmp_path, tiny_cfg):
    from dataclasses import replace

    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"format": 1, "payload": Boom(marker)}, path)
    torch.load(path, weights_only=False)  # the trap works: a plain torch.load would run it
    assert marker.exists()
    marker.unlink()
    with pytest.raises(CheckpointError, match="refused to load"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="refused to load"):
        train(replace(tiny_cfg, train=replace(tiny_cfg.train, resume=str(path))), tmp_path / "run", progress=False)
    assert not marker.exists()


# a child process that saves step 1, then is killed with SIGKILL at `instant` while saving step 2
KILL_DURING_SAVE = """
import io, os, signal, sys
from pathlib import Path
import torch
from makemore.runs import checkpoint

path, instant = Path(sys.argv[1]), sys.argv[2]
fields = dict(model={"w": torch.arange(250_000.0)}, optimizer={}, best_val_loss=1.0, config={}, vocab=["."],
              train_words=[], rng={}, loss_window=torch.zeros(0), train_seconds=0.0)
checkpoint.save_checkpoint(path, step=1, **fields)
kill = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
save = torch.save
if instant == "writing":  # half the bytes are on disk
    def half(obj, f):
        buf = io.BytesIO()
        save(obj, buf)
        f.write(buf.getvalue()[: len(buf.getvalue()) // 2])
        f.flush()
        kill()
    torch.save = half
elif instant == "renaming":  # the whole new file is written and synced, the rename not yet done
    os.replace = kill
checkpoint.save_checkpoint(path, step=2, **fields)
"""


@pytest.mark.slow
@pytest.mark.parametrize("instant, step", [("writing", 1), ("renaming", 1), ("never", 2)])
def test_kill_9_while_saving_leaves_the_old_checkpoint_or_the_new_one(tmp_path, instant, step):
    path = tmp_path / "checkpoints" / "last.pt"
    proc = subprocess.run([sys.executable, "-c", KILL_DURING_SAVE, str(path), instant], cwd=ROOT, capture_output=True)
    assert proc.returncode == (0 if instant == "never" else -signal.SIGKILL), proc.stderr
    ckpt = torch.load(path, weights_only=True)  # no real model: the fields are checked by test_integrity.py
    assert ckpt["step"] == step and ckpt["digest"] == digest_of(ckpt)  # whole and readable, never half of one
    assert torch.equal(ckpt["model"]["w"], torch.arange(250_000.0))


@pytest.mark.parametrize("obj, message", [({"step": 1}, "not a makemore checkpoint"), ({"format": 99}, "format 99")])
def test_foreign_checkpoints_get_a_clear_message(tmp_path, obj, message):
    path = tmp_path / "other.pt"
    torch.save(obj, path)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


def test_truncated_checkpoint(tiny_run, tmp_path):
    data = (tiny_run / "checkpoints" / "last.pt").read_bytes()
    path = tmp_path / "cut.pt"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(path)


def test_a_checkpoint_from_before_the_zoo_still_samples(tiny_run, tmp_path):
    """The config of the single-file-models version: no model.n_head, no time budget, patience or init_from keys,
    an int data.block_size, and no best_step: sample.py rebuilds the model from it all the same."""
    ckpt = torch.load(tiny_run / "checkpoints" / "best.pt", weights_only=True)
    for group, key in [("model", "n_head"), ("optim", "schedule_over"), ("train", "max_time"),
                       ("train", "patience"), ("train", "init_from")]:  # fmt: skip
        del ckpt["config"][group][key]
    ckpt.pop("best_step", None)
    ckpt.pop("digest")  # that version wrote none
    assert isinstance(ckpt["config"]["data"]["block_size"], int)
    torch.save(ckpt, tmp_path / "old.pt")
    # what sample.py run=old.pt does before its first name, in-process (test_entrypoints runs the script itself)
    path = find_checkpoint(str(tmp_path / "old.pt"), prefer=(BEST, LAST), key="run")
    model, vocab, _ = model_from_checkpoint(load_checkpoint(path), source=path)
    assert len(list(generate(model, vocab, 3, torch.Generator().manual_seed(0)))) == 3


def test_a_recurrent_checkpoint_from_before_stacked_cells_reads_as_one_layer(tmp_path):
    """Before model.n_layers stacked recurrent cells, an lstm run's checkpoint held its one cell as `cell.*` and the
    config defaults it never read (n_layers 2, dropout 0.1): it still loads, as that one-layer model, and samples."""
    overrides = [f"data.path={write_tiny_words(tmp_path)}", *TINY, "model=lstm"]
    train(compose_config(overrides), tmp_path / "run", progress=False)
    ckpt = torch.load(tmp_path / "run" / "checkpoints" / "best.pt", weights_only=True)
    new_model, vocab, _ = model_from_checkpoint(load_checkpoint(tmp_path / "run" / "checkpoints" / "best.pt"))
    assert list(ckpt["model"]) == ["start", "embedding.lookup.weight", "cells.0.xh_to_gates.weight",
                                   "cells.0.xh_to_gates.bias", "head.weight", "head.bias"]  # fmt: skip
    ckpt["model"] = {k.replace("cells.0.", "cell."): v for k, v in ckpt["model"].items()}  # the old layout
    ckpt["config"]["model"].update(n_layers=2, dropout=0.1)
    ckpt.pop("digest")  # that version wrote none
    torch.save(ckpt, tmp_path / "old.pt")

    model, vocab, cfg = model_from_checkpoint(load_checkpoint(tmp_path / "old.pt"), source="old.pt")
    assert (cfg.model.n_layers, cfg.model.dropout, len(model.cells)) == (1, 0.0, 1)
    idx = torch.randint(0, len(vocab), (4, model.block_size), generator=torch.Generator().manual_seed(0))
    assert torch.equal(model(idx)[0], new_model(idx)[0])
    assert len(list(generate(model, vocab, 3, torch.Generator().manual_seed(0)))) == 3
