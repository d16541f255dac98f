"""Stopping a run without losing it, and going on with it exactly: `python train.py ... train.resume=RUN_DIR`
(or train.resume=latest: the newest unfinished run under outputs/ or multirun/).

Ctrl-C or SIGTERM (makemore/training/stops.py) lets the step finish, saves last.pt and raises TrainingInterrupted.

Besides weights, optimizer state and step, every checkpoint holds the rest of what the next
step depends on (checkpoint.RESUME_KEYS):
    rng            the torch RNG (dropout), the CUDA or MPS RNG when training on a GPU, and the minibatch generator
    loss_window    the minibatch losses since the last loss/train point, so that point's mean comes out the same
    train_seconds  training time so far
The learning rate is a pure function of the step (optim.lr_at), so restoring the step restores
the schedule. With all of it back, the resumed run takes the very steps the uninterrupted one
would have taken: the same minibatches, dropout masks, losses and weights, bit for bit. (Not with
optim.schedule_over=time: there the learning rate follows the clock, which no checkpoint restores.)
best_step (the step of best.pt) lets train.patience count on across sessions.
"""

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from makemore.compute.device import device_rng_state, device_type_of, set_device_rng_state
from makemore.config import ConfigError, flat_keys
from makemore.data.examples import RandomBatches
from makemore.data.split import Corpus
from makemore.data.vocab import Vocab
from makemore.data.words import Words
from makemore.runs.checkpoint import RESUME_KEYS, CheckpointError, load_checkpoint
from makemore.runs.layout import LAST, ROOTS, RunDir, RunNotFound, find_checkpoint, read_metrics
from makemore.training.loss_window import LossWindow

LATEST = "latest"  # train.resume=latest: the newest unfinished run

log = logging.getLogger(__name__)


@dataclass
class Progress:
    """How far a run has come: what the loop counts, beyond the weights and the random numbers."""

    step: int = 0  # optimizer steps taken; the x axis of every curve
    best_val_loss: float = math.inf
    best_step: int = 0  # the step of best_val_loss (best.pt): train.patience counts the evaluations since
    seconds_before: float = 0.0  # training time of the sessions before this one (a resumed run)


# the config keys a resumed run may change. data.path: the words are compared instead (a moved file is fine);
# eval_interval: evaluating never touches the weights or the random numbers; max_steps: to train longer, which lays
# the schedule over the new total (exactness needs the same max_steps, the uninterrupted run's); max_time and
# patience: when to stop (max_time also stretches a time-laid schedule); init_from: the weights came from it already
MAY_CHANGE = (
    "train.resume", "train.max_steps", "train.eval_interval", "data.path", "train.max_time", "train.patience",
    "train.init_from",
)  # fmt: skip


def load_resumable(resume: str | Path) -> tuple[dict, Path]:
    """The checkpoint `train.resume` means (a .pt file, latest, or a run directory's newest intact checkpoint:
    last.pt, or best.pt if last.pt is missing or unreadable), checked to hold RESUME_KEYS."""
    resume = resolve_latest(resume)
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
    """The run's checkpoint at the latest step that opens whole. best.pt is written just before last.pt at the same
    step, so a process killed between the two leaves best.pt the newer; a full disk can leave best.pt alone."""
    found, problems = [], []
    for path in (run.last, run.best):
        try:
            found.append((load_checkpoint(path), path))
        except CheckpointError as e:
            problems.append(str(e))
    if not found:
        raise CheckpointError(f"train.resume={run.path}: nothing to resume: {'; '.join(problems)}")
    ckpt, path = max(found, key=lambda pair: (pair[0]["step"], pair[1] == run.last))  # a tie: last.pt
    if path != run.last:
        why = problems[0] if problems else f"{run.last} holds an older step than {path}"
        log.warning(f"{why}: resuming from {path} (step {ckpt['step']})")
    return ckpt, path


def load_optimizer(optimizer, state: dict, path: Path) -> None:
    """optimizer.load_state_dict, refused in one line unless the saved state fits this optimizer: the same groups
    with the same settings and sizes, and every state tensor of its parameter's shape (torch checks only the sizes,
    and a wrong shape would fail at the first step)."""
    live = optimizer.state_dict()["param_groups"]
    saved = state["param_groups"]
    fits = len(saved) == len(live) and all(
        set(s) == set(g) and len(s["params"]) == len(g["params"]) for s, g in zip(saved, live)
    )
    if fits:
        params = [p for group in optimizer.param_groups for p in group["params"]]
        ids = [i for group in saved for i in group["params"]]
        for i, p in zip(ids, params):
            for value in state["state"].get(i, {}).values():
                if isinstance(value, torch.Tensor) and value.dim() > 0 and value.shape != p.shape:
                    fits = False
    if not fits:
        raise CheckpointError(
            f"train.resume={path}: its optimizer state does not fit this run's optimizer "
            f"({type(optimizer).__name__} over the model's parameters); it was not saved by this run"
        )
    optimizer.load_state_dict(state)


def rng_state(device: torch.device, batches: RandomBatches) -> dict:
    return {
        "torch": torch.get_rng_state(),  # dropout on the CPU
        **device_rng_state(device),  # "cuda", "mps": dropout on a GPU
        "batches": batches.generator.get_state(),  # the minibatch indices
    }


def restore(ckpt: dict, path: Path, cfg_dict: dict, corpus: Corpus, run: RunDir, model: nn.Module, optimizer,
            batches: RandomBatches, window: LossWindow, device: torch.device) -> Progress:  # fmt: skip
    """Put everything the next step depends on back as the checkpoint has it, after checking it is this run's."""
    check_resumable(ckpt, path, cfg_dict, corpus.vocab, corpus.train_words, device)
    model.load_state_dict(ckpt["model"])
    load_optimizer(optimizer, ckpt["optimizer"], path)
    torch.set_rng_state(ckpt["rng"]["torch"])
    set_device_rng_state(device, ckpt["rng"])
    batches.generator.set_state(ckpt["rng"]["batches"])
    window.restore(ckpt["loss_window"])
    for stale in run.checkpoints.glob(".*.tmp"):  # left by a process killed while saving
        stale.unlink()
    best_step = ckpt.get("best_step", ckpt["step"])  # written before best_step existed: patience counts from here
    log.info(f"resuming {path} at step {ckpt['step']} of {cfg_dict['train']['max_steps']}")
    return Progress(ckpt["step"], ckpt["best_val_loss"], best_step, ckpt["train_seconds"])


def check_resumable(
    ckpt: dict, path: Path, cfg_dict: dict, vocab: Vocab, train_words: Words, device: torch.device
) -> None:
    """Refuse to resume unless this run would have taken the checkpoint's steps: same config, same data, same kind
    of device, steps left. Every difference is named in the one line, each with its fix: one attempt, not one per
    difference."""
    old, new = flat_keys(ckpt["config"]), flat_keys(cfg_dict)
    problems = []
    differ = [k for k in new if k in old and k not in MAY_CHANGE and old[k] != new[k]]
    if differ:
        shown = " ".join(f"{k}={old[k]}" for k in differ)
        now = ", ".join(f"{k}={new[k]}" for k in differ)
        problems.append(f"this run's config differs from the checkpoint's ({now}); resume with the run's own "
                        f"settings: {shown}")  # fmt: skip
    if list(ckpt["vocab"]) != list(vocab.itos) or train_words != ckpt["train_words"]:
        problems.append(f"data.path={cfg_dict['data']['path']} holds other words than the run was trained on; "
                        f"resume with the same word file (the run's: {old.get('data.path')})")  # fmt: skip
    was = device_type_of(ckpt["rng"])
    if was != device.type:  # CPU, CUDA and MPS draw different random numbers: the run would not be the same run
        problems.append(f"the run was trained on {was}, this one would run on {device}; resume with train.device={was}")
    if ckpt["step"] > new["train.max_steps"]:
        problems.append(f"the checkpoint is at step {ckpt['step']}, beyond train.max_steps={new['train.max_steps']}; "
                        "train.max_steps is the run's total, resumed steps included")  # fmt: skip
    if problems:
        raise ConfigError(f"train.resume={path}: " + "; and ".join(problems))


def resolve_latest(resume: str | Path) -> str | Path:
    """train.resume as given, or for `latest` the newest unfinished run's directory."""
    return latest_unfinished() if str(resume) == LATEST else resume


def latest_unfinished(roots: tuple[str, ...] = ROOTS) -> Path:
    """The newest run directory (by its last.pt) under roots that has not finished: no metrics.json, and a last.pt
    short of its config's train.max_steps."""
    candidates = sorted(
        (p for root in roots for p in Path(root).glob("**/checkpoints/last.pt")), key=lambda p: p.stat().st_mtime
    )
    for last in reversed(candidates):
        run = RunDir(last.parent.parent)
        if read_metrics(run.path) is not None:  # finished (a truncated metrics.json: killed as it finished)
            continue
        try:
            ckpt = load_checkpoint(last)
        except CheckpointError:
            continue
        if ckpt["step"] < ckpt["config"]["train"]["max_steps"]:
            return run.path
    raise RunNotFound(
        f"train.resume=latest: no unfinished run (checkpoints/last.pt short of its train.max_steps, no metrics.json) "
        f"under {' or '.join(ROOTS)}/ in {Path.cwd()}"
    )
