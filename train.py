"""Train a character-level language model on a list of words.

    python train.py                                   # the default recipe on the bundled names
    python train.py embedding=onehot                  # the same model with one_hot(x) @ W
    python train.py -m embedding=lookup,onehot train.max_steps=2000
    python train.py experiment=lecture_mlp data.path=names.txt  # the lectures' list (docs/data.md)
    python train.py train.resume=outputs/2026-11-28/10-00-00   # go on where an interrupted run stopped
    python train.py train.resume=latest                        # ... the newest unfinished run
    python train.py train.max_time=10 optim.schedule_over=time # 10 minutes, the lr decaying to min_lr at the tenth
    python train.py data.path=my_words.txt train.init_from=outputs/2026-11-28/10-00-00   # fine-tune a trained run
    torchrun --standalone --nproc_per_node=2 train.py           # one model, data-parallel over 2 processes

Each run writes to Hydra's run directory (outputs/DATE/TIME, or multirun/DATE/TIME/N):
.hydra/ (the resolved config), TensorBoard events, checkpoints/{best,last}.pt, metrics.json.
A resumed run goes on writing into the directory it resumes (configs/config.yaml, hydra.run.dir).

torch and the training code are imported inside the functions that use them: a refused key or --help answers before
torch loads.
"""

import logging
import os
import re
import shlex
import sys
from datetime import datetime
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from makemore.cli.configs import register_configs, resolve_data_path
from makemore.cli.errors import closed_pipe_is_quiet, fail, interrupted, user_errors
from makemore.cli.overrides import config_groups, override_value, refuse_unknown_overrides, to_dataclass
from makemore.config import Config, DataConfig
from makemore.runs.layout import (
    RESUME_HINT,
    RunDir,
    RunDirUnusable,
    RunNotFound,
    Session,
    check_run_dir,
    claim_dir,
    finished_steps,
    hold,
    read_metrics,
    release,
    run_dir_of,
)
from makemore.runs.listing import record_failure

log = logging.getLogger(__name__)

# configs/config.yaml: a resumed run's directory is the run it resumes, its session's .hydra/ a subfolder
STARTED = datetime.now()  # names the run directory; under torchrun replaced by rank 0's (see torchrun_overrides)


def resumed_run_dir(resume: str | None) -> Path | None:
    """The run directory train.resume goes on writing into (latest: the newest unfinished run), or None: a new one.
    With no unfinished run, train() says so in one line."""
    from makemore.training.resume import resolve_latest

    try:
        return run_dir_of(resolve_latest(resume) if resume else resume)
    except RunNotFound:
        return None


def register_resolvers() -> None:
    """The resolvers configs/config.yaml's hydra.run.dir and hydra.sweep.dir use (made once; again is harmless)."""
    if OmegaConf.has_resolver("run_clock"):
        return
    OmegaConf.register_new_resolver("run_clock", lambda pattern: STARTED.strftime(pattern))
    OmegaConf.register_new_resolver("resume_dir", one_line(run_dir_for))
    OmegaConf.register_new_resolver(
        "resume_subdir", lambda resume, stamp: f".hydra/resume-{stamp}" if resumed_run_dir(resume) else ".hydra"
    )
    # a -m sweep's directory, claimed once (cached: Hydra resolves it again, and hands the cache to its launchers'
    # processes with the config, as it does for the ${now:...} inside it)
    OmegaConf.register_new_resolver("new_sweep_dir", one_line(claim_dir), use_cache=True)


def one_line(resolver):
    """The resolver, with its refusals (a run directory that can't be written) said in one line: Hydra calls it
    while it composes, and would report what it raises with a traceback."""

    def resolve(*args):
        try:
            return resolver(*args)
        except user_errors() as e:
            fail(str(e))

    return resolve


def run_dir_for(resume: str | None, fresh: str) -> str:
    """hydra.run.dir: the run train.resume goes on in (it must be writable), else a new outputs/DATE/TIME."""
    resumed = resumed_run_dir(resume)
    if resumed is None:
        return new_run_dir(fresh)
    check_run_dir(resumed, "train.resume", RESUME_HINT)
    return str(resumed)


def check_given_run_dir(argv: list[str]) -> None:
    """hydra.run.dir=DIR from the command line, checked before Hydra makes it: a symlink loop, a file (the data
    file), a read-only folder would each be a traceback from Hydra's mkdir or its log file."""
    run_dir = override_value(argv, "hydra.run.dir")
    if run_dir is None or "${" in run_dir:  # an interpolation: Hydra's to resolve
        return
    data_path = resolve_data_path(override_value(argv, "data.path") or DataConfig.path)
    try:
        check_run_dir(run_dir, "hydra.run.dir", "give hydra.run.dir a folder you can write", data_path)
    except RunDirUnusable as e:
        fail(str(e))


def resume_command(run_dir: Path) -> str:
    """This very command, with train.resume pointing at run_dir: what goes on from where it stopped. (Without
    train.init_from: the run has its weights now; its model shape is kept in its checkpoint.)"""

    dropped = tuple(f"{p}train.{k}=" for p in ("", "+") for k in ("resume", "init_from"))
    overrides = [o for o in HydraConfig.get().overrides.task if not o.startswith(dropped)]
    launcher = ["python"]
    world, local = os.environ.get("WORLD_SIZE", "1"), os.environ.get("LOCAL_WORLD_SIZE", "1")
    if world != "1":  # under torchrun: the same launch again (on one machine; on several, your own launcher flags)
        launcher = ["torchrun", "--standalone", f"--nproc_per_node={local}"] if world == local else ["torchrun", "..."]
    return shlex.join([*launcher, sys.argv[0], *overrides, f"train.resume={hydra_quoted(str(run_dir))}"])


HYDRA_PLAIN = re.compile(r"[\w./+@%-]+")  # what Hydra's override grammar reads unquoted in a path


def hydra_quoted(value: str) -> str:
    """value as Hydra's override grammar reads it back: as is when plain, else single-quoted (a path holding = or ,
    would otherwise be read as another override or a sweep's list)."""
    if HYDRA_PLAIN.fullmatch(value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def new_run_dir(name: str) -> str:
    """outputs/DATE/TIME, or outputs/DATE/TIME_2, ... when another run started in the same second took it.
    Under torchrun every rank uses rank 0's name as it is (rank 0's clock, one run)."""
    from makemore.compute import distributed

    return name if distributed.from_env().enabled else claim_dir(name)


@hydra.main(version_base="1.3", config_path="configs", config_name="config")
def main(dict_cfg: DictConfig) -> float | None:
    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    session = Session.start(run_dir, hydra_cfg.output_subdir)
    try:
        return run(dict_cfg, run_dir, session, sweeping=hydra_cfg.mode == RunMode.MULTIRUN)
    except SystemExit as e:
        release(run_dir)
        if e.code == 2:  # refused (bad config, bad data, nothing to resume): leave no trace of this session
            session.take_back()
        raise
    finally:
        release(run_dir)


def run(dict_cfg: DictConfig, run_dir: Path, session: Session, sweeping: bool) -> float | None:
    """Train; in a -m sweep a failed run is recorded and returns None, so that the sweep goes on."""
    from makemore.compute import distributed
    from makemore.training.stops import TrainingInterrupted
    from makemore.training.trainer import train

    try:
        if distributed.from_env().is_main:
            hold(run_dir)  # one live run per directory (a single run took it already, in cli.RunLock)
        cfg: Config = to_dataclass(dict_cfg)
        cfg.data.path = resolve_data_path(cfg.data.path)
        resumed = resumed_run_dir(cfg.train.resume)
        done = finished_steps(resumed, cfg.train.max_steps)
        if done is not None:  # nothing to train: say so, without re-evaluating or another event file
            session.take_back()
            metrics = read_metrics(resumed)
            print(f"{resumed} already finished its {done} steps (val {metrics['val_loss']:.4f}); nothing to resume. "
                  f"Raise train.max_steps to train it further.", file=sys.stderr)  # fmt: skip
            return metrics["val_loss"]
        metrics = train(cfg, run_dir, overrides=command_line_keys(HydraConfig.get().overrides.task))
    except (*user_errors(), OSError) as e:
        message = str(e) if not isinstance(e, OSError) else f"{e.filename or run_dir}: {(e.strerror or str(e)).lower()}"
        if sweeping:  # one bad run doesn't end a sweep
            return run_failed(run_dir, message)
        fail(message)  # a full disk or a failing one (OSError) too: the file and what happened, in one line
    except TrainingInterrupted as e:
        interrupted(f"{e}; resume with:\n  {resume_command(run_dir)}", code=e.exit_code)
    except KeyboardInterrupt:  # a second Ctrl-C, or one before the first step or in the final evaluation
        run = RunDir(run_dir)
        resumable = run.last.is_file() or run.best.is_file()  # train.resume takes the newest intact of the two
        interrupted("interrupted" + (f"; resume with:\n  {resume_command(run_dir)}" if resumable else ""), code=130)
    except Exception as e:
        if not sweeping:
            raise
        log.exception("the run failed")  # the traceback goes to the run's train.log
        return run_failed(run_dir, f"{type(e).__name__}: {e}")
    return metrics["val_loss"]  # what a sweeper (e.g. Optuna) minimises


def command_line_keys(overrides: list[str]) -> tuple[str, ...]:
    """The config keys the command line set: model.n_hidden=64 -> model.n_hidden, a group (model=hierarchical) ->
    model.name."""
    keys = [o.split("=", 1)[0].lstrip("+~") for o in overrides]
    return tuple(f"{k}.name" if k in ("model", "embedding") else k for k in keys)


def run_failed(run_dir: Path, reason: str) -> None:
    """A run of a -m sweep failed: say so in one line, record it for the sweep report and let the sweep go on.

    The return value None is no number, so the Optuna sweeper marks the trial failed and asks for the next one."""
    record_failure(run_dir, reason)
    print(f"error: {run_dir}: {reason}; the sweep goes on", file=sys.stderr)
    return None


def torchrun_overrides(argv: list[str]) -> list[str]:
    """Under torchrun: one run directory for all ranks (rank 0's clock), and ranks > 0 write no Hydra files or logs."""
    global STARTED
    if "WORLD_SIZE" not in os.environ:  # not under torchrun (distributed.from_env): no torch to import for --help
        return []
    from makemore.compute import distributed

    d = distributed.from_env()
    if not d.enabled:
        return []
    if "-m" in argv or "--multirun" in argv:
        fail("torchrun trains one model: run -m sweeps without torchrun (hydra/launcher=... runs them in parallel)")
    distributed.init(d)
    STARTED = distributed.broadcast(STARTED, d)
    if d.is_main:
        return []
    return ["hydra.output_subdir=null", "hydra/job_logging=disabled", "hydra/hydra_logging=disabled"]


def shutdown(clean: bool = True) -> None:
    """distributed.shutdown, where a run imported it (--help and refusals never do)."""
    if "makemore.compute.distributed" in sys.modules:
        sys.modules["makemore.compute.distributed"].shutdown(clean=clean)


if __name__ == "__main__":
    register_configs("config")
    register_resolvers()
    refuse_unknown_overrides(sys.argv[1:], Config, config_groups(Path(__file__).resolve().parent / "configs"))
    check_given_run_dir(sys.argv[1:])
    sys.argv += torchrun_overrides(sys.argv[1:])
    try:
        closed_pipe_is_quiet(main)
    except KeyboardInterrupt:  # a Ctrl-C outside the run (Hydra's setup or teardown): no traceback either
        shutdown(clean=False)
        interrupted("interrupted", code=130)
    except BaseException:  # a failed or stopped rank: the others may be gone, so no waiting for them
        shutdown(clean=False)
        raise
    shutdown()
