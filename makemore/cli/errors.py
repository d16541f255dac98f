"""Failing in one line: the errors a person can act on, printed without a traceback, and a closed pipe that is no
error at all. Also where a relative data.path is looked for.
"""

import os
import sys
import time
from pathlib import Path

from makemore.config import ConfigError
from makemore.data.words import DataError
from makemore.inference.sampling import SamplingError
from makemore.runs.checkpoint import CheckpointError
from makemore.runs.layout import RunDirBusy, RunNotFound
from makemore.training.stops import TrainingDiverged

# errors a person can act on: printed as one line, no traceback
USER_ERRORS = (ConfigError, DataError, CheckpointError, RunNotFound, RunDirBusy, SamplingError, TrainingDiverged)


ROOT = Path(__file__).resolve().parents[2]  # where train.py and the bundled data/ live (makemore/cli/ is two down)


def resolve_data_path(path: str) -> str:
    """A relative data.path means the cwd; failing that, beside train.py (so the bundled names always work)."""
    p = Path(path)
    if p.is_absolute() or p.exists() or not (ROOT / p).exists():
        return path
    return str(ROOT / p)


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


def closed_pipe_is_quiet(main) -> None:
    """main(), except that a reader who stopped reading is no error: `python train.py --help | head` (Hydra prints
    the help) or `python evaluate.py format=json | head -3` ends quietly with exit 0, as sample.py's names do,
    instead of a BrokenPipeError traceback."""
    try:
        main()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that the exit's own flush can't fail
        sys.exit(0)
