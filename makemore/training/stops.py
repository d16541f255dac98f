"""How a run ends early: a person asks it to (Ctrl-C, SIGTERM), the loss stops being a number, or (without an
error: the trainer finishes the run) train.max_time is spent or val has not improved for train.patience evaluations.

    with StopSignals() as stop:
        ...                          # the loop checks stop.signum at the end of every step
    raise TrainingInterrupted(...)   # after saving last.pt: the entry point prints the resume command
    raise TrainingDiverged(...)      # a NaN or inf loss: the entry point prints one line, the good checkpoints stay
    stopping = Stopping(cfg.train, world, clock)
    stopping.out_of_time(step)       # at loss/train points: train.max_time spent
    stopping.out_of_patience(best_step, step)   # after evaluations: train.patience evaluations without a new best
"""

import logging
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import torch

from makemore.compute import distributed
from makemore.compute.distributed import Dist
from makemore.config import TrainConfig

log = logging.getLogger(__name__)


class TrainingInterrupted(RuntimeError):
    """Ctrl-C or SIGTERM stopped the run after saving last.pt; exit_code is the shell's 128 + signal number."""

    def __init__(self, message: str, signum: int, checkpoint: Path):
        super().__init__(message)
        self.exit_code = 128 + signum
        self.checkpoint = checkpoint


class TrainingDiverged(RuntimeError):
    """The loss or a weight became NaN or infinite; the message names the first bad step and the good checkpoints."""


def diverged(what: str, value: float, step: int, kept: dict[Path, int]) -> TrainingDiverged:
    """The error for a non-finite `what` at `step`, naming the checkpoints (path -> step) that are still good."""
    listed = ", ".join(f"{path} (step {s})" for path, s in kept.items())
    return TrainingDiverged(
        f"{what} became {value} at step {step}; stopped. "
        + (f"The last good checkpoints are kept: {listed}. " if listed else "No checkpoint was written before it. ")
        + "Try a lower optim.lr or more optim.warmup_steps"
    )


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

    def agreed(self, world: Dist, logged: bool) -> int | None:
        """The signal to stop on, or None to go on. Under torchrun every rank must stop at the same step: they agree
        at loss/train points (a collective), and a rank the signal missed stops with the others, as on SIGTERM."""
        if not world.enabled:
            return self.signum
        if not logged:
            return None
        anyone = distributed.all_sum(torch.tensor([float(self.signum is not None)]), world).item() > 0
        return (self.signum or signal.SIGTERM) if anyone else None


@contextmanager
def signals_held():
    """Ctrl-C or SIGTERM arriving inside the block wait for its end, then act as they would have: a checkpoint being
    written is finished first, so a second Ctrl-C in quick succession can't cut off the save after the one it
    followed (leaving best.pt at a newer step than last.pt). Only the main thread receives signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived = []
    previous = {sig: signal.signal(sig, lambda signum, frame: arrived.append(signum)) for sig in StopSignals.SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        for sig in arrived:
            signal.raise_signal(sig)  # to the handler in place again: StopSignals', or Python's KeyboardInterrupt


def evaluations_since(best_step: int, step: int, eval_interval: int) -> int:
    """The evaluations every eval_interval steps after the one at best_step, up to and including step's."""
    return step // eval_interval - best_step // eval_interval


class Clock:
    """A run's training seconds, summed over the sessions of a resumed run; this session's count from start()."""

    def __init__(self, seconds_before: float = 0.0):
        self.seconds_before = seconds_before  # the sessions before this one
        self.started = time.perf_counter()

    def start(self) -> None:
        self.started = time.perf_counter()

    def seconds(self) -> float:
        return self.seconds_before + time.perf_counter() - self.started


class Stopping:
    """The two ends of a run that are no error: train.max_time spent, train.patience evaluations without a new best.

    time_fraction, the part of the budget spent as measured at the last loss/train point, is also what a cosine laid
    over the time budget (optim.schedule_over=time) follows.
    """

    def __init__(self, cfg: TrainConfig, world: Dist, clock: Clock):
        self.max_time, self.patience, self.eval_interval = cfg.max_time, cfg.patience, cfg.eval_interval
        self.world, self.clock = world, clock
        self.budget = cfg.max_time * 60 if cfg.max_time else None  # seconds of training, all sessions
        self.time_fraction = clock.seconds_before / self.budget if self.budget else 0.0

    def out_of_time(self, step: int) -> bool:
        """At a loss/train point: measure the part of train.max_time spent (under torchrun rank 0's clock, so that
        every rank agrees); True once all of it is."""
        if self.budget is None:
            return False
        seconds = distributed.broadcast(self.clock.seconds(), self.world)
        self.time_fraction = seconds / self.budget
        if self.time_fraction < 1:
            return False
        log.info(f"train.max_time={self.max_time} min spent ({seconds:.1f}s) at step {step}")
        return True

    def out_of_patience(self, best_step: int, step: int) -> bool:
        """After an evaluation: train.patience evaluations in a row without a new best val. Counted from the step of
        the best, which checkpoints keep (best_step), so the count goes on across a resume."""
        if self.patience is None:
            return False
        if evaluations_since(best_step, step, self.eval_interval) < self.patience:
            return False
        log.info(f"train.patience={self.patience}: no new best val since step {best_step}, stopping")
        return True
