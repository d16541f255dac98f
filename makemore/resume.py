"""Stopping a run without losing it, and going on with it exactly: `python train.py ... train.resume=RUN_DIR`.

Ctrl-C or SIGTERM (makemore/stops.py) lets the step finish, saves last.pt and raises TrainingInterrupted.

Besides weights, optimizer state and step, every checkpoint holds the rest of what the next
step depends on (checkpoint.RESUME_KEYS):
    rng            the torch RNG (dropout), the CUDA RNG when training on a GPU, and the minibatch generator
    loss_window    the minibatch losses since the last loss/train point, so that point's mean comes out the same
    train_seconds  training time so far
The learning rate is a pure function of the step (optim.lr_at), so restoring the step restores
the schedule. With all of it back, the resumed run takes the very steps the uninterrupted one
would have taken: the same minibatches, dropout masks, losses and weights, bit for bit.
"""

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from makemore.checkpoint import RESUME_KEYS, CheckpointError, load_checkpoint
from makemore.config import ConfigError, flat_keys
from makemore.data import Corpus, RandomBatches, Vocab
from makemore.loss_window import LossWindow
from makemore.rundir import LAST, RunDir, find_checkpoint

log = logging.getLogger(__name__)


@dataclass
class Progress:
    """How far a run has come: what the loop counts, beyond the weights and the random numbers."""

    step: int = 0  # optimizer steps taken; the x axis of every curve
    best_val_loss: float = math.inf
    seconds_before: float = 0.0  # training time of the sessions before this one (a resumed run)


# the config keys a resumed run may change. data.path: the words are compared instead (a moved file is fine);
# eval_interval: evaluating never touches the weights or the random numbers; max_steps: to train longer, which lays
# the schedule over the new total (exactness needs the same max_steps, the uninterrupted run's)
MAY_CHANGE = ("train.resume", "train.max_steps", "train.eval_interval", "data.path")


def load_resumable(resume: str | Path) -> tuple[dict, Path]:
    """The checkpoint `train.resume` means (a .pt file, or a run directory's newest intact checkpoint: last.pt, or
    best.pt if last.pt is missing or unreadable), checked to hold RESUME_KEYS."""
    if Path(resume).is_dir():
        ckpt, path = newest_intact(RunDir(Path(resume)))
    else:
        path = find_checkpoint(resume, prefer=(LAST,), key="train.resume")
        ckpt = load_checkpoint(path)
    missing = [k for k in RESUME_KEYS if k not in ckpt]
    if missing:
        raise CheckpointError(f"train.resume={path}: written without {', '.join(missing)}, can't resume")
    return ckpt, path


def newest_intact(run: RunDir) -> tuple[dict, Path]:
    """The run's checkpoint at the latest step that opens (a full disk can leave best.pt without a last.pt)."""
    found, problems = [], []
    for path in (run.last, run.best):
        try:
            found.append((load_checkpoint(path), path))
        except CheckpointError as e:
            problems.append(str(e))
    if not found:
        raise CheckpointError(f"train.resume={run.path}: nothing to resume: {'; '.join(problems)}")
    ckpt, path = max(found, key=lambda pair: pair[0]["step"])
    if path != run.last:
        log.warning(f"{problems[0]}: resuming from {path} (step {ckpt['step']})")
    return ckpt, path


def rng_state(device: torch.device, batches: RandomBatches) -> dict:
    return {
        "torch": torch.get_rng_state(),  # dropout on the CPU
        "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,  # dropout on the GPU
        "batches": batches.generator.get_state(),  # the minibatch indices
    }


def restore(ckpt: dict, path: Path, cfg_dict: dict, corpus: Corpus, run: RunDir, model: nn.Module, optimizer,
            batches: RandomBatches, window: LossWindow, device: torch.device) -> Progress:  # fmt: skip
    """Put everything the next step depends on back as the checkpoint has it, after checking it is this run's."""
    check_resumable(ckpt, path, cfg_dict, corpus.vocab, corpus.train_words, device)
    model.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optimizer"])
    torch.set_rng_state(ckpt["rng"]["torch"])
    if device.type == "cuda":
        torch.cuda.set_rng_state(ckpt["rng"]["cuda"], device)
    batches.generator.set_state(ckpt["rng"]["batches"])
    window.restore(ckpt["loss_window"])
    for stale in run.checkpoints.glob(".*.tmp"):  # left by a process killed while saving
        stale.unlink()
    return Progress(ckpt["step"], ckpt["best_val_loss"], ckpt["train_seconds"])


def check_resumable(
    ckpt: dict, path: Path, cfg_dict: dict, vocab: Vocab, train_words: list[str], device: torch.device
) -> None:
    """Refuse to resume unless this run would have taken the checkpoint's steps: same config, same data."""
    old, new = flat_keys(ckpt["config"]), flat_keys(cfg_dict)
    differ = [k for k in new if k in old and k not in MAY_CHANGE and old[k] != new[k]]
    if differ:
        shown = " ".join(f"{k}={old[k]}" for k in differ)
        now = ", ".join(f"{k}={new[k]}" for k in differ)
        raise ConfigError(
            f"train.resume={path}: this run's config differs from the checkpoint's ({now}); "
            f"resume with the run's own settings: {shown}"
        )
    if list(ckpt["vocab"]) != list(vocab.itos) or list(ckpt["train_words"]) != list(train_words):
        raise ConfigError(
            f"train.resume={path}: data.path={cfg_dict['data']['path']} holds other words than the run was "
            "trained on; resume with the same word file"
        )
    was = "cpu" if ckpt["rng"]["cuda"] is None else "cuda"
    if was != device.type:  # CPU and CUDA draw different random numbers: the run would not be the same run
        raise ConfigError(
            f"train.resume={path}: the run was trained on {was}, this one would run on {device}; "
            f"resume with train.device={was}"
        )
    if ckpt["step"] > new["train.max_steps"]:
        raise ConfigError(
            f"train.resume={path}: the checkpoint is at step {ckpt['step']}, beyond "
            f"train.max_steps={new['train.max_steps']}; train.max_steps is the run's total, resumed steps included"
        )
