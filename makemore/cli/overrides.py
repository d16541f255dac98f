"""What the entry points share: turning a composed config into dataclasses, and failing in one line.

Only the entry points (train.py, sample.py) and this module know about Hydra; the rest of the package takes dataclasses.
"""

import argparse
import dataclasses
import difflib
import shlex
from itertools import takewhile
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

from makemore.cli.errors import fail
from makemore.config import ConfigError


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
    """The one line for a key no dataclass declares: the closest known key, else the keys at its level. A key
    without its group (max_steps, lr, n) is first looked for by its own name in every group (without_group); under
    a known parent (train.maxsteps) only its siblings' own names are compared; a mistyped parent (trian.max_steps)
    compares whole keys as deep as it."""
    level, _, name = key.rpartition(".")
    siblings = {k.rpartition(".")[2]: k for k in known if k.rpartition(".")[0] == level}
    close = without_group(name, known) if not level else []
    if not close and siblings:
        close = [siblings[n] for n in difflib.get_close_matches(name, list(siblings), n=1, cutoff=0.5)]
    if not close and not level:  # maxsteps: the closest name in any group
        leaves = {k.rpartition(".")[2] for k in known if "." in k}
        close = [k for n in difflib.get_close_matches(name, leaves, n=1, cutoff=0.6) for k in known if leaf(k) == n]
    elif not close and not siblings:
        close = difflib.get_close_matches(key, [k for k in known if k.count(".") == key.count(".")], n=1, cutoff=0.5)
    shown = " or ".join(close[:3])
    hint = f"did you mean {shown}?" if close else f"known keys here: {', '.join(siblings.values() or known)}"
    return ConfigError(f"unknown config key {key} (not in makemore/config.py); {hint}")


def leaf(key: str) -> str:
    return key.rpartition(".")[2]


def without_group(name: str, known: list[str]) -> list[str]:
    """The keys a bare name means: those of that very name in a group (max_steps -> train.max_steps, lr -> optim.lr),
    else the one key it begins or abbreviates by initials (temp -> temperature, n -> num_samples); [] if none, or
    if it begins several (bs: batch_size and block_size)."""
    exact = [k for k in known if "." in k and leaf(k) == name]
    if exact:
        return exact
    initials = {k: "".join(part[:1] for part in leaf(k).split("_")) for k in known}
    begun = [k for k in known if leaf(k).startswith(name) or (len(initials[k]) > 1 and initials[k].startswith(name))]
    return begun if len(begun) == 1 else []


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
    keys = schema_keys(schema)
    refuse_unquoted(argv, keys)
    try:
        args = hydra_command_line().parse_known_args(argv)[0]
        overrides = OverridesParser.create().parse_overrides(args.overrides)
    except Exception:  # not a command line or an override Hydra can parse: Hydra says what is wrong with it
        return
    refuse_two_modes(args)
    for override in overrides:
        key = override.key_or_group
        under_a_value = any(key.startswith(k + ".") for k, node in keys.items() if not node)  # optim.milestones.0
        if override.is_hydra_override() or key in groups or key in keys or under_a_value:
            continue
        fail(str(unknown_key(key, [*keys, *(g for g in groups if g not in keys)])))


def override_value(argv: list[str], key: str) -> str | None:
    """The value the command line gives `key` (the last, as Hydra takes it), or None: not given, not one string
    (a sweep's a,b), or a command line Hydra can't parse (it says why itself)."""
    try:
        args = hydra_command_line().parse_known_args(argv)[0]
        overrides = OverridesParser.create().parse_overrides(args.overrides)
    except Exception:
        return None
    values = [o.value() for o in overrides if o.key_or_group == key and not o.is_delete()]
    return values[-1] if values and isinstance(values[-1], str) else None


def refuse_unquoted(argv: list[str], keys: dict[str, bool]) -> None:
    """One line saying how to quote a value that Hydra's grammar can't read bare, where Hydra would print its
    four-line lexer error: letters beyond ASCII, brackets or # ('data.path=-my wörds.txt'), or a path with spaces
    that the shell cut in pieces (data.path=my wörds.txt: "wörds.txt" is no override)."""
    parser = OverridesParser.create()
    for i, arg in enumerate(argv):
        key, eq, value = arg.partition("=")
        if not eq or keys.get(key.lstrip("+"), True):  # not a value of a key the schema declares
            continue
        pieces = list(takewhile(lambda a: "=" not in a and a not in HYDRA_FLAGS and a[:1] != "~", argv[i + 1 :]))
        if not pieces and parses(parser, arg):
            continue
        value = " ".join([value, *pieces])
        quoted = f"{key}={hydra_string(value)}"
        if parses(parser, quoted):
            fail(f"{key}={value}: Hydra reads this value only in quotes (spaces, letters beyond ASCII, brackets, #); "
                 f"write it as {shlex.quote(quoted)}, the shell's quotes around Hydra's")  # fmt: skip


def parses(parser: OverridesParser, override: str) -> bool:
    try:
        parser.parse_overrides([override])
    except Exception:
        return False
    return True


def hydra_string(value: str) -> str:
    """value as a double-quoted string of Hydra's override grammar: read back exactly, whatever it holds."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


HYDRA_MODES = ("--run", "--multirun", "--cfg", "--info", "--shell-completion")


def hydra_command_line() -> argparse.ArgumentParser:
    """The command line as @hydra.main reads it (Hydra 1.3's flags), so that the overrides and modes can be checked
    before Hydra runs: written out here because Hydra's own parser is not public API. A flag Hydra adds later is
    left among the unknown arguments, and Hydra itself still reads the command."""
    parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    for flag in ("--help/-h", "--hydra-help", "--version", "--resolve", "--run/-r", "--multirun/-m",
                 "--shell-completion/-sc"):  # fmt: skip
        parser.add_argument(*flag.split("/"), action="store_true")
    for flag in ("--package/-p", "--config-path/-cp", "--config-name/-cn", "--config-dir/-cd", "--experimental-rerun"):
        parser.add_argument(*flag.split("/"))
    parser.add_argument("--cfg", "-c", choices=["job", "hydra", "all"])
    parser.add_argument("--info", "-i", nargs="?", const="all")
    parser.add_argument("overrides", nargs="*")
    return parser


HYDRA_FLAGS = {o for a in hydra_command_line()._actions for o in a.option_strings}  # -m, --cfg, -c, ...


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
