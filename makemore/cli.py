"""What the entry points share: turning a composed config into dataclasses, and failing in one line.

Only the entry points (train.py, sample.py) and this module know about Hydra; the rest of the package takes dataclasses.
"""

import dataclasses
import difflib
import os
import sys
import time
from pathlib import Path

from hydra._internal.utils import get_args_parser
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from makemore.checkpoint import CheckpointError
from makemore.config import ConfigError
from makemore.data import DataError
from makemore.rundir import RunDirBusy, RunNotFound, hold
from makemore.sampling import SamplingError
from makemore.stops import TrainingDiverged
from makemore.sweep import collect_failures, collect_runs, format_failures, format_table, write_summary

# errors a person can act on: printed as one line, no traceback
USER_ERRORS = (ConfigError, DataError, CheckpointError, RunNotFound, RunDirBusy, SamplingError, TrainingDiverged)


ROOT = Path(__file__).resolve().parents[1]  # where train.py and the bundled data/ live


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


def unknown_keys(cfg: DictConfig, schema: type, prefix: str = "") -> list[tuple[str, list[str]]]:
    """Keys of the composed config that no dataclass field declares (a `+train.maxsteps=10` typo), each with the
    known keys at its level. Hydra's own keys live under hydra.*, outside the job config, so they never show here."""
    fields = {f.name: f for f in dataclasses.fields(schema)}
    found = []
    for key in cfg.keys():
        if key not in fields:
            found.append((f"{prefix}{key}", [f"{prefix}{name}" for name in fields]))
            continue
        child_schema = OmegaConf.get_type(cfg, key)
        if isinstance(cfg[key], DictConfig) and dataclasses.is_dataclass(child_schema):
            found += unknown_keys(cfg[key], child_schema, f"{prefix}{key}.")
    return found


def unknown_key(key: str, known: list[str]) -> ConfigError:
    """The one line for a key no dataclass declares: the closest known key, else the keys at its level. Under a
    known parent (train.maxsteps) only its siblings' own names are compared; a mistyped parent (trian.max_steps)
    compares whole keys as deep as it."""
    level, _, name = key.rpartition(".")
    siblings = {k.rpartition(".")[2]: k for k in known if k.rpartition(".")[0] == level}
    if siblings:
        close = [siblings[n] for n in difflib.get_close_matches(name, list(siblings), n=1, cutoff=0.5)]
    else:
        close = difflib.get_close_matches(key, [k for k in known if k.count(".") == key.count(".")], n=1, cutoff=0.5)
    hint = f"did you mean {close[0]}?" if close else f"known keys here: {', '.join(siblings.values() or known)}"
    return ConfigError(f"unknown config key {key} (not in makemore/config.py); {hint}")


def refuse_unknown_keys(cfg: DictConfig) -> None:
    """One line for the first key no dataclass declares, naming the closest known key: `+` adds a key Hydra
    would otherwise take silently and the run would ignore."""
    schema = OmegaConf.get_type(cfg)
    if not dataclasses.is_dataclass(schema):
        return
    for key, known in unknown_keys(cfg, schema):
        raise unknown_key(key, known)


def schema_keys(schema: type, prefix: str = "") -> dict[str, bool]:
    """Every key a dataclass declares, nested ones dotted, each with whether it is a node (a dataclass) itself:
    Config -> {"seed": False, "data": True, "data.path": False, ...}."""
    keys = {}
    for f in dataclasses.fields(schema):
        node = dataclasses.is_dataclass(f.type)
        keys[prefix + f.name] = node
        if node:
            keys.update(schema_keys(f.type, f"{prefix}{f.name}."))
    return keys


def config_groups(config_dir: Path) -> tuple[str, ...]:
    """The config groups an entry point takes (model=..., experiment=...): the folders of its config dir."""
    return tuple(sorted(p.name for p in config_dir.iterdir() if p.is_dir() and p.name != "hydra"))  # hydra/: Hydra's


def refuse_unknown_overrides(argv: list[str], schema: type, groups: tuple[str, ...] = ()) -> None:
    """Before Hydra composes anything: one line for the first command-line key (with `+` or without) that neither
    the dataclass nor a config group declares. Hydra's own message for `train.maxsteps=10` runs to six lines."""
    try:
        args = get_args_parser().parse_known_args(argv)[0]
        overrides = OverridesParser.create().parse_overrides(args.overrides)
    except Exception:  # not an override Hydra can parse: Hydra says what is wrong with it
        return
    refuse_two_modes(args)
    keys = schema_keys(schema)
    for override in overrides:
        key = override.key_or_group
        under_a_value = any(key.startswith(k + ".") for k, node in keys.items() if not node)  # optim.milestones.0
        if override.is_hydra_override() or key in groups or key in keys or under_a_value:
            continue
        fail(str(unknown_key(key, [*keys, *(g for g in groups if g not in keys)])))


HYDRA_MODES = ("--run", "--multirun", "--cfg", "--info", "--shell-completion")


def refuse_two_modes(args) -> None:
    """Hydra does one of HYDRA_MODES per command, and says so for `-m --cfg job` with a traceback: one line instead."""
    given = [args.run, args.multirun, args.cfg is not None, args.info is not None, args.shell_completion]
    modes = [mode for mode, on in zip(HYDRA_MODES, given) if on]
    if len(modes) > 1:
        hint = "; --cfg job without -m prints one run's config" if {"--multirun", "--cfg"} <= set(modes) else ""
        fail(f"{' and '.join(modes)} cannot go together: Hydra does one of {', '.join(HYDRA_MODES)} per command{hint}")


def to_dataclass(cfg: DictConfig):
    """The structured config as its dataclass, after refusing keys it does not declare; __post_init__ range
    checks run here and raise ConfigError."""
    refuse_unknown_keys(cfg)
    try:
        return OmegaConf.to_object(cfg)
    except ConfigError:
        raise
    except Exception as e:  # OmegaConf wraps errors raised inside __post_init__
        cause = e.__cause__ or e.__context__
        if isinstance(cause, ConfigError):
            raise cause from None
        raise


class RunLock(Callback):
    """Hydra callback: a single run takes its run directory (rundir.hold) before Hydra writes .hydra/ or train.log
    into it, so a second process given the same directory is refused before it touches the first run's files."""

    def on_run_start(self, config: DictConfig, **kwargs) -> None:
        if os.environ.get("RANK", "0") != "0":  # under torchrun the ranks share rank 0's directory
            return
        try:
            hold(config.hydra.run.dir)
        except RunDirBusy as e:
            fail(str(e))


class SweepReport(Callback):
    """Hydra callback: at the end of a -m sweep, rank its runs by val loss and write sweep_summary.json."""

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        rows, failed = collect_runs(sweep_dir), collect_failures(sweep_dir)
        if not rows and not failed:
            return
        summary = write_summary(sweep_dir, rows, failed)
        if failed:
            total = len(rows) + len(failed)
            print(f"\n{len(failed)} of {total} runs failed:\n{format_failures(failed)}", file=sys.stderr)
        if not rows:
            fail(f"every run of the sweep failed (reasons in {summary})")
        best = rows[0]
        print(
            f"\n{len(rows)} runs in {sweep_dir}, best first:\n{format_table(rows)}\n"
            f"best: val {best['val_loss']:.4f} in {best['run_dir']} "
            f"(config: {Path(best['run_dir']) / '.hydra' / 'config.yaml'}); all runs: {summary}",
            file=sys.stderr,
        )
