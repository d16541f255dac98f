"""Stopping a run without losing it, and going on with it exactly: `python train.py ... train.resume=RUN_DIR`.

Ctrl-C or SIGTERM (StopSignals) lets the step finish, saves last.pt and raises TrainingInterrupted.

Besides weights, optimizer state and step, every checkpoint holds the rest of what the next
step depends on (checkpoint.RESUME_KEYS):
    rng            the torch RNG (dropout), the CUDA RNG when training on a GPU, and the minibatch generator
    loss_window    the minibatch losses since the last loss/train point, so that point's mean comes out the same
    train_seconds  training time so far
The learning rate is a pure function of the step (optim.lr_at), so restoring the step restores
the schedule. With all of it back, the resumed run takes the very steps the uninterrupted one
would have taken: the same minibatches, dropout masks, losses and weights, bit for bit.
"""

import signal
import threading
from pathlib import Path

import torch

from makemore.checkpoint import CheckpointError
from makemore.config import ConfigError, flat_keys
from makemore.data import Vocab


class TrainingInterrupted(RuntimeError):
    """Ctrl-C or SIGTERM stopped the run after saving last.pt; exit_code is the shell's 128 + signal number."""

    def __init__(self, message: str, signum: int, checkpoint: Path):
        super().__init__(message)
        self.exit_code = 128 + signum
        self.checkpoint = checkpoint


class StopSignals:
    """Turns the first Ctrl-C or SIGTERM into a request the loop honours at the end of its step.

    The step finishes and last.pt is saved; a second signal gets Python's usual behaviour again.
    Only the main thread can own signal handlers: elsewhere this catches nothing.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.signum = None
        self._previous = {}

    def _handle(self, signum, frame):
        self.signum = signum
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handle) for sig in self.SIGNALS}
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


# the config keys a resumed run may change. data.path: the words are compared instead (a moved file is fine);
# eval_interval: evaluating never touches the weights or the random numbers; max_steps: to train longer, which lays
# the schedule over the new total (exactness needs the same max_steps, the uninterrupted run's)
MAY_CHANGE = ("train.resume", "train.max_steps", "train.eval_interval", "data.path")


def resume_checkpoint(resume: str | Path) -> Path:
    """The checkpoint `train.resume` means: a .pt file, or a run directory's checkpoints/last.pt."""
    path = Path(resume)
    if path.is_file():
        return path
    if path.is_dir():
        for candidate in (path / "checkpoints" / "last.pt", path / "last.pt"):
            if candidate.is_file():
                return candidate
        raise CheckpointError(f"train.resume={path}: a directory without checkpoints/last.pt, nothing to resume")
    raise CheckpointError(f"train.resume={path}: no such run directory or checkpoint file")


def run_dir_of(resume: str | Path | None) -> Path | None:
    """The run directory a resumed run goes on writing into, or None if `resume` is not inside one."""
    if not resume:
        return None
    path = Path(resume)
    if path.is_dir() and (path / "checkpoints" / "last.pt").is_file():
        return path
    if path.is_file() and path.parent.name == "checkpoints":
        return path.parent.parent
    return None


def rng_state(device: torch.device, batches: torch.Generator) -> dict:
    return {
        "torch": torch.get_rng_state(),  # dropout on the CPU
        "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,  # dropout on the GPU
        "batches": batches.get_state(),  # the minibatch indices
    }


def restore_rng(state: dict, device: torch.device, batches: torch.Generator) -> None:
    torch.set_rng_state(state["torch"])
    if device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda"], device)
    batches.set_state(state["batches"])


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
