"""mm.train: what `python train.py KEY=VALUE ...` does, from Python, leaving the process as it found it.

    run = train(model="transformer", max_steps=2000)   # outputs/DATE/TIME, as train.py writes it
    run = train(model="transformer", max_steps=2000, resume=run.path)   # after an interruption: go on

The same configs and checks as train.py (makemore/api/keys.py), the same run directory: claimed with mkdir,
held with its lock while the run trains, .hydra/config.yaml and overrides.yaml (runs.py lists the run, sample.py
run=... reads it), TensorBoard events, checkpoints, metrics.json, and the log lines in train.log. A refused run
leaves nothing behind (Session.take_back), as train.py's does.

A good citizen in a long-lived kernel: afterwards torch's thread count and global random state are what they were,
the log handlers are gone, and Ctrl-C (the kernel's interrupt) saves last.pt and returns the run, resumable.
"""

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import torch

from makemore.api.keys import config_of, write_hydra_files
from makemore.api.run import Run
from makemore.cli.configs import resolve_data_path
from makemore.cli.errors import USER_ERRORS
from makemore.runs.layout import (
    RESUME_HINT,
    RunDir,
    RunNotFound,
    Session,
    check_run_dir,
    claim_new_dir,
    finished_steps,
    hold,
    release,
    run_dir_of,
)
from makemore.training import trainer
from makemore.training.resume import resolve_latest
from makemore.training.stops import TrainingInterrupted

LOG_FORMAT = "[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"  # Hydra's job log: train.log reads the same


def train(**keys) -> Run:
    """Train a model as `python train.py KEY=VALUE ...` does and return the run (see docs/api.md).

    Keywords: a config group (model="transformer", embedding=, optim=, experiment=), a config key by its full
    name (**{"model.n_embd": 8}) or its short name (max_steps=2000), data="words.txt" for data.path.
    """
    chosen = config_of(keys)
    cfg = chosen.cfg
    cfg.data.path = resolve_data_path(cfg.data.path)
    resumed = resumed_run_dir(cfg.train.resume)
    if resumed is not None:
        check_run_dir(resumed, "resume", RESUME_HINT)  # RunDirUnusable: read-only, say, before anything is written
    started = datetime.now()
    run_dir = resumed or Path(claim_new_dir(started.strftime("outputs/%Y-%m-%d/%H-%M-%S")))
    hydra_subdir = started.strftime(".hydra/resume-%Y-%m-%d_%H-%M-%S") if resumed else ".hydra"
    hold(run_dir)  # RunDirBusy names the live process that trains in it (a new directory is never busy)
    session = Session.start(run_dir, hydra_subdir)
    try:
        write_hydra_files(run_dir / hydra_subdir, chosen)
        with logged_to(RunDir(run_dir).log), torch_state_kept():
            return run_session(cfg, run_dir, resumed, session, chosen.keys_set, resume_hint(keys, run_dir))
    except (*USER_ERRORS, OSError, KeyboardInterrupt):
        session.take_back()  # unless it trained: a refused session leaves no trace
        raise
    finally:
        release(run_dir)


def run_session(cfg, run_dir: Path, resumed: Path | None, session: Session, keys_set: tuple[str, ...], hint: str
                ) -> Run:  # fmt: skip
    """train.py's run(): train, or say that the resumed run has nothing left to do; Ctrl-C returns the run."""
    done = finished_steps(resumed, cfg.train.max_steps)
    if done is not None:
        session.take_back()
        run = Run(run_dir)
        print(f"{run_dir} already finished its {done} steps (val {run.metrics['val_loss']:.4f}); nothing to resume. "
              f"Raise max_steps to train it further.", file=sys.stderr)  # fmt: skip
        return run
    try:
        trainer.train(cfg, run_dir, overrides=keys_set)
    except TrainingInterrupted as e:
        print(f"{e}; resume with:\n  {hint}", file=sys.stderr)
        return Run(run_dir)
    except KeyboardInterrupt:  # before the first step or during the final evaluation
        if not RunDir(run_dir).last.is_file():
            raise
        print(f"interrupted; resume with:\n  {hint}", file=sys.stderr)
        return Run(run_dir)
    return Run(run_dir)


def resumed_run_dir(resume: str | None) -> Path | None:
    """The run directory train.resume goes on writing into (latest: the newest unfinished run), or None: a new one
    (train.py's resolver; with no unfinished run, the trainer says so in one line)."""
    try:
        return run_dir_of(resolve_latest(resume) if resume else resume)
    except RunNotFound:
        return None


def resume_hint(keys: dict, run_dir: Path) -> str:
    """This very call with resume=run_dir: what goes on from where it stopped (train.py's resume_command)."""
    kept = {k: v for k, v in keys.items() if k not in ("resume", "train.resume", "init_from", "train.init_from")}
    args = [f"{k}={v!r}" if k.isidentifier() else f"**{{{k!r}: {v!r}}}" for k, v in kept.items()]
    return f"mm.train({', '.join([*args, f'resume={str(run_dir)!r}'])})"


@contextmanager
def logged_to(path: Path) -> Iterator[None]:
    """makemore's log lines (INFO and up) into the run's train.log and the cell's output, for this run only."""
    logger = logging.getLogger("makemore")
    saved = logger.level, logger.propagate
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(logging.Formatter(LOG_FORMAT))
    shown = logging.StreamHandler(sys.stdout)  # the stdout of now: a notebook cell's
    handlers = (to_file, shown)
    for handler in handlers:
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # shown here once, not again by whatever the kernel's root logger does
    try:
        yield
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


@contextmanager
def torch_state_kept() -> Iterator[None]:
    """torch's thread count and global random state as they were, whatever the run did to them (the trainer sets
    threads for the model's size and seeds torch with the run's seed)."""
    threads = torch.get_num_threads()
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    try:
        with torch.random.fork_rng(devices=cuda):
            yield
    finally:
        torch.set_num_threads(threads)
