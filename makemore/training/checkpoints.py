"""The checkpoint writer: a run's best.pt and last.pt, written in the format makemore/runs/checkpoint.py defines.

    checkpoints = CheckpointWriter(run, model, optimizer, config, vocab, train_words)
    checkpoints.save(LAST, step, best_val_loss=..., best_step=..., rng=..., loss_window=..., train_seconds=...)

It is training's policy, not the format's: it refuses to write non-finite weights over good ones (the run has
diverged), and it remembers which step each file holds so that the loop does not write one twice.
"""

import json
import math
from pathlib import Path

import torch
from torch import nn

from makemore.data.vocab import Vocab
from makemore.data.words import Words
from makemore.runs.checkpoint import CheckpointError, save_checkpoint
from makemore.runs.layout import RunDir, write_atomically
from makemore.training.stops import diverged, signals_held


class CheckpointWriter:
    """Writes one run's checkpoints (rundir.BEST, rundir.LAST) and remembers which step each holds.

    It never writes non-finite weights over good ones. Under torchrun every rank keeps the
    bookkeeping (they must agree on what is kept) and only rank 0 writes.
    """

    def __init__(self, run: RunDir, model: nn.Module, optimizer, config: dict, vocab: Vocab, train_words: Words | list,
                 writes: bool = True):  # fmt: skip
        self.run, self.model, self.optimizer, self.writes = run, model, optimizer, writes
        words = train_words if isinstance(train_words, Words) else Words.of(train_words)
        self.fixed = {"config": config, "vocab": list(vocab.itos), "train_words": words.text}
        self.kept: dict[Path, int] = {}  # the checkpoints written so far -> the step each holds

    def holds(self, name: str, step: int) -> bool:
        return self.kept.get(self.run.checkpoints / name) == step

    def save(self, name: str, step: int, **progress) -> Path:
        """`progress`: best_val_loss, best_step, rng, loss_window, train_seconds (RESUME_KEYS and the rest)."""
        if not all(torch.isfinite(p).all() for p in self.model.parameters()):
            raise diverged("a weight", math.nan, step, self.kept)
        path = self.run.checkpoints / name
        if self.writes:
            model, optimizer = self.model.state_dict(), self.optimizer.state_dict()
            try:
                with signals_held():  # a second Ctrl-C waits for the file to be whole (stops.py)
                    save_checkpoint(path, model=model, optimizer=optimizer, step=step, **self.fixed, **progress)
            except OSError as e:  # a full disk, a quota, a file-size limit, a read-only or failing disk
                kept = ", ".join(f"{p} (step {s})" for p, s in self.kept.items() if p != path or p.is_file())
                raise CheckpointError(
                    f"{path}: {(e.strerror or str(e)).lower()} while saving step {step}; "
                    + (f"the last good checkpoints are kept: {kept}" if kept else "no checkpoint was written")
                ) from None
        self.kept[path] = step
        return path

    def write_metrics(self, metrics: dict) -> Path:
        """metrics.json, written atomically: a process killed while writing it leaves none (the run then resumes
        and writes it again), never a truncated one."""
        path = self.run.metrics
        if self.writes:
            with signals_held():
                write_atomically(path, json.dumps(metrics, indent=2) + "\n")
        return path
