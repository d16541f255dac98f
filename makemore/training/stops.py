"""How a run ends early: a person asks it to (Ctrl-C, SIGTERM), the loss stops being a number, or (without an
error: the trainer finishes the run) train.max_time is spent or val has not improved for train.patience evaluations.

    with StopSignals() as stop:
        ...                          # the loop checks stop.signum at the end of every step
    raise TrainingInterrupted(...)   # after saving last.pt: the entry point prints the resume command
    raise TrainingDiverged(...)      # a NaN or inf loss: the entry point prints one line, the good checkpoints stay
"""

import signal
import threading
from contextlib import contextmanager
from pathlib import Path


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
