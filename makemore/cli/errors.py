"""Failing in one line: the errors a person can act on, printed without a traceback, and a closed pipe that is no
error at all.

Importing this module imports no torch: fail() refuses a command before the entry point has loaded it (a refusal in
a fraction of a second, not two). USER_ERRORS, whose classes live beside torch, is made when first asked for.
"""

import os
import signal
import sys
import threading
import time


def user_errors() -> tuple[type[Exception], ...]:
    """The errors a person can act on: printed as one line, no traceback."""
    from makemore.config import ConfigError
    from makemore.data.words import DataError
    from makemore.inference.sampling import SamplingError
    from makemore.runs.checkpoint import CheckpointError
    from makemore.runs.layout import RunDirBusy, RunDirUnusable, RunNotFound
    from makemore.training.stops import TrainingDiverged

    return (
        ConfigError,
        DataError,
        CheckpointError,
        RunNotFound,
        RunDirBusy,
        RunDirUnusable,
        SamplingError,
        TrainingDiverged,
    )


def __getattr__(name: str):
    if name == "USER_ERRORS":  # `from makemore.cli.errors import USER_ERRORS`, once torch may be imported
        return user_errors()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


RANK_0_GRACE = 2.0  # seconds a torchrun rank > 0 waits before exiting on an error rank 0 reports too


def fail(message: str, code: int = 2, prefix: str = "error: "):
    """Exit with one line on stderr; prefix="" for what the user asked for (Ctrl-C), which is no error."""
    rank = os.environ.get("RANK", "0")
    if rank == "0":  # under torchrun, rank 0 speaks for all
        print(f"{prefix}{message}", file=sys.stderr)
    else:
        # torchrun stops every rank as soon as one exits: give rank 0 the moment it needs to say why. A rank still
        # here after it met what rank 0 did not (its own disk, its own memory) and says so itself
        time.sleep(RANK_0_GRACE)
        print(f"{prefix}(rank {rank}) {message}", file=sys.stderr)
    sys.exit(code)


def fail_on_os_error(e: OSError, printing: str) -> None:
    """One line for an OSError in a command that prints: a file it read names itself (a checkpoint this user may
    not read), else it was stdout (a full disk, /dev/full) while printing `printing`."""
    if e.filename is not None:
        fail(f"{e.filename}: {(e.strerror or str(e)).lower()}")
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that the exit's own flush can't fail again
    fail(f"stdout: {(e.strerror or str(e)).lower()} while printing the {printing}")


def interrupted(message: str, code: int):
    """Exit after Ctrl-C or SIGTERM, with the resume command: more of them while exiting (a second Ctrl-C 30 ms
    later) change nothing, instead of a KeyboardInterrupt traceback from the exit's own cleanup (atexit)."""
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
    fail(message, code=code, prefix="")


def closed_pipe_is_quiet(main) -> None:
    """main(), except that a reader who stopped reading is no error: `python train.py --help | head` (Hydra prints
    the help) or `python evaluate.py format=json | head -3` ends quietly with exit 0, as sample.py's names do,
    instead of a BrokenPipeError traceback."""
    try:
        main()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that the exit's own flush can't fail
        sys.exit(0)
