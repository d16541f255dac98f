"""Every train.py / sample.py / runs.py command in the README's code blocks composes its config as printed, and
every data file it names is in the repository (except the lectures' names.txt, the README's one documented extra
download), so a README command cannot rot silently."""

import re
import shlex

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

import runs
import sample  # noqa: F401  (registers sample_config with Hydra's ConfigStore)
from conftest import CONFIGS, ROOT
from makemore.cli import config_groups, refuse_unknown_keys, refuse_unknown_overrides
from makemore.config import Config, SampleConfig

LECTURE_NAMES = "names.txt"  # downloaded by the README's one extra step (Experiments)


def readme_commands() -> list[list[str]]:
    """The README's `python X.py ...` lines inside ``` blocks, continuation lines joined, comments dropped."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if not line.startswith("python "):
                continue
            words = shlex.split(line, comments=True)
            if words[:1] == ["python"] and words[1:2] in (["train.py"], ["sample.py"], ["runs.py"]):
                commands.append(words[1:])
    return commands


COMMANDS = readme_commands()


def as_single_run(args: list[str]) -> list[str]:
    """A -m sweep's first run (a,b -> a), without Hydra's own keys; STEPS-style placeholders become a number."""
    out = []
    for arg in args:
        if arg in ("-m", "--multirun") or arg.startswith(("hydra.", "hydra/")):
            continue
        key, _, value = arg.partition("=")
        value = "100" if value.isupper() else value.split(",")[0]
        out.append(f"{key}={value}")
    return out


def test_the_readme_has_the_commands_a_newcomer_needs():
    firsts = {" ".join(c) for c in COMMANDS}
    assert {"train.py", "train.py embedding=onehot", "sample.py", "runs.py"} <= firsts
    assert len(COMMANDS) > 20


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c)[:60] for c in COMMANDS])
def test_readme_command_composes(command):
    script, args = command[0], as_single_run(command[1:])
    if script == "runs.py":
        runs.parse(args)  # exits 2 on a bad argument
        return
    training = script == "train.py"
    refuse_unknown_overrides(command[1:], *((Config, config_groups(CONFIGS)) if training else (SampleConfig, ())))
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose(config_name="config" if training else "sample", overrides=args)
    refuse_unknown_keys(cfg)  # exits 2 on a key no dataclass declares
    OmegaConf.to_object(cfg)  # the range checks
    if training and cfg.data.path != LECTURE_NAMES:
        assert (ROOT / cfg.data.path).is_file(), f"{' '.join(command)}: {cfg.data.path} is not in the repository"
