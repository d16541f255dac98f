"""Every train.py / sample.py / score.py / evaluate.py / runs.py command in the README's code blocks composes its
config as printed (its keys pass the entry point's own check first), and every data file it names is in the
repository (except the lectures' names.txt, the README's one documented extra download), so a README command
cannot rot silently."""

import re
import shlex

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

import evaluate  # noqa: F401  (registers evaluate_config with Hydra's ConfigStore)
import runs
import sample  # noqa: F401  (registers sample_config with Hydra's ConfigStore)
import score  # noqa: F401  (registers score_config with Hydra's ConfigStore)
from helpers import CONFIGS, ROOT
from makemore.cli.overrides import config_groups, refuse_unknown_keys, refuse_unknown_overrides
from makemore.config import Config, EvaluateConfig, SampleConfig, ScoreConfig

SCRIPTS = ("train.py", "sample.py", "score.py", "evaluate.py", "runs.py")
CONFIG_NAMES = {"train.py": "config", "sample.py": "sample", "score.py": "score", "evaluate.py": "evaluate"}
SCHEMAS = {"train.py": Config, "sample.py": SampleConfig, "score.py": ScoreConfig, "evaluate.py": EvaluateConfig}
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
            if words[:1] == ["python"] and words[1:2] in ([s] for s in SCRIPTS):
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
        value = "100" if value.isupper() else value if value.startswith("[") else value.split(",")[0]  # [a,b]: a list
        out.append(f"{key}={value}")
    return out


def test_the_readme_has_the_commands_a_newcomer_needs():
    firsts = {" ".join(c) for c in COMMANDS}
    assert {"train.py", "train.py embedding=onehot", "sample.py", "runs.py", "evaluate.py"} <= firsts
    assert any(c[0] == "score.py" for c in COMMANDS) and any(c[:2] == ["sample.py", "mode=likeliest"] for c in COMMANDS)
    assert len(COMMANDS) > 20


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c)[:60] for c in COMMANDS])
def test_readme_command_composes(command):
    script, args = command[0], as_single_run(command[1:])
    if script == "runs.py":
        runs.parse(args)  # exits 2 on a bad argument
        return
    refuse_unknown_overrides(command[1:], SCHEMAS[script], config_groups(CONFIGS) if script == "train.py" else ())
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose(config_name=CONFIG_NAMES[script], overrides=args)
    refuse_unknown_keys(cfg)  # exits 2 on a key no dataclass declares
    OmegaConf.to_object(cfg)  # the range checks
    data = {
        "train.py": cfg.get("data", {}).get("path"),
        "evaluate.py": cfg.get("data", {}).get("path"),
        "score.py": cfg.get("words"),
    }.get(script)  # the word file a command reads, if any
    if data not in (None, "-", LECTURE_NAMES):
        assert (ROOT / data).is_file(), f"{' '.join(command)}: {data} is not in the repository"
