"""mm.train's keyword arguments as the command line's overrides: the real configs composed with Hydra's compose API.

    config_of({"model": "transformer", "max_steps": 2000})   # -> Keys: the Config, the overrides as train.py spells
                                                            #    them, the keys set (for fine-tuning's refusals)

A keyword is a config group (model=, embedding=, optim=, experiment=: a file of configs/<group>/), a full key
(`**{"model.n_embd": 8}`) or a key's short name when no other key ends in it (max_steps -> train.max_steps,
n_embd -> model.n_embd); `data="words.txt"` is data.path. Unknown, ambiguous and out-of-range keys are refused in
one line (ConfigError), with the checks train.py makes: the dataclasses of makemore/config.py, their __post_init__.

configs/ lives beside train.py, at the repository's root (cli/configs.py ROOT): the API needs a source checkout (or
an editable install) of makemore; a wheel carries the package only.
"""

import difflib
from dataclasses import dataclass
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from makemore.cli.configs import CONFIGS, register_configs
from makemore.cli.overrides import schema_keys, to_dataclass, unknown_key
from makemore.config import Config, ConfigError

GROUPS = ("model", "embedding", "optim", "experiment")  # configs/config.yaml's defaults a run picks from
SWEEP_ONLY = ("hparams_search", "member")  # groups only a -m sweep uses: python train.py -m ...
ALIASES = {"data": "data.path"}  # mm.train(data="words.txt"): the one node whose value is obvious


@dataclass(frozen=True)
class Keys:
    """What the keyword arguments mean: the config as train.py would compose it, and how its command line reads."""

    dict_cfg: DictConfig  # the composed config, as .hydra/config.yaml records it
    cfg: Config  # the same, checked: the dataclasses
    overrides: tuple[str, ...]  # train.py's spelling: model=transformer, train.max_steps=2000
    keys_set: tuple[str, ...]  # the config keys they set (model=... sets model.name): fine-tuning refuses conflicts


def leaf_keys() -> dict[str, list[str]]:
    """Each short name -> the full keys that end in it: max_steps -> [train.max_steps], name -> [model.name, ...]."""
    names = {}
    for key, node in schema_keys(Config).items():
        if not node:
            names.setdefault(key.rpartition(".")[2], []).append(key)
    return names


def group_options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))


def full_key(name: str, value) -> str:
    """The config key a keyword names, or a ConfigError in one line."""
    if name in ALIASES and not isinstance(value, dict):
        return ALIASES[name]
    keys = schema_keys(Config)
    if "." in name:
        if keys.get(name) is False:
            return name
        if keys.get(name):
            raise node_refused(name)
        raise unknown_key(name, list(keys))
    if keys.get(name):  # train=..., model.* given as a node
        raise node_refused(name)
    if name in SWEEP_ONLY:
        raise ConfigError(f"{name}= is for -m sweeps: run them with python train.py -m {name}=...")
    full = leaf_keys().get(name, [])
    if len(full) > 1:
        raise ConfigError(
            f"config key {name} is ambiguous: {', '.join(full)}; "
            f"give the full key, e.g. mm.train(**{{{full[0]!r}: ...}})"
        )
    if full:
        return full[0]
    known = sorted({*leaf_keys(), *GROUPS, *ALIASES})
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else f"known keys: {', '.join(known)}"
    raise ConfigError(f"unknown config key {name} (not in makemore/config.py nor a config group); {hint}")


def node_refused(name: str) -> ConfigError:
    inner = [k for k in schema_keys(Config) if k.startswith(name + ".")]
    return ConfigError(f"config key {name} holds keys ({', '.join(inner)}): set them one by one, e.g. {inner[0]}=...")


def group_override(group: str, value) -> str:
    options = group_options(group)
    if isinstance(value, str) and value in options:
        return f"{group}={value}"
    close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]}?" if close else f"one of {', '.join(options)}"
    raise ConfigError(f"{group}={value!r}: no configs/{group}/{value}.yaml; {hint}")


def spelled(value) -> str:
    """A value as a Hydra override writes it (overrides.yaml, and what runs.py shows): 2000, true, null, [1,2]."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(spelled(v) for v in value) + "]"
    if isinstance(value, str) and (not value or any(c in value for c in " ,=[]{}()'\"\\:$")):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(value)


def config_of(kwargs: dict) -> Keys:
    """The real configs composed with the keyword arguments, checked as train.py checks its command line."""
    groups, values = [], {}
    for name, value in kwargs.items():
        if name in GROUPS:
            groups.append(group_override(name, value))
        else:
            values[full_key(name, value)] = value
    register_configs()
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3", job_name="train"):
        dict_cfg = compose(config_name="config", overrides=groups)
    for key, value in values.items():  # after the groups, as on the command line: an experiment's keys give way
        try:
            OmegaConf.update(dict_cfg, key, value, merge=False)
        except Exception as e:  # OmegaConf's type checks: "Value 'abc' of type 'str' could not be converted to ..."
            raise ConfigError(f"config key {key}={value!r} is invalid: {str(e).splitlines()[0]}") from None
    cfg = to_dataclass(dict_cfg)
    overrides = (*groups, *(f"{k}={spelled(v)}" for k, v in values.items()))
    named = [g.partition("=")[0] for g in groups]  # model=... sets model.name (train.py's command_line_keys)
    keys_set = (*(f"{g}.name" if g in ("model", "embedding") else g for g in named), *values)
    return Keys(dict_cfg, cfg, overrides, keys_set)


def write_hydra_files(hydra_dir: Path, keys: Keys) -> None:
    """What Hydra writes into a run's .hydra/: the composed config and the overrides (runs.py lists the run by them)."""
    hydra_dir.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(keys.dict_cfg, hydra_dir / "config.yaml")
    OmegaConf.save(OmegaConf.create(list(keys.overrides)), hydra_dir / "overrides.yaml")
