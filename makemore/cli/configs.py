"""The configs the entry points compose: configs/ beside train.py, and the structured schemas its defaults lists name.

    register_configs()                                  # base_config, sample_config, ... in Hydra's ConfigStore
    cfg = compose_config(["model=transformer"])         # the Config `python train.py model=transformer` runs
    path = resolve_data_path("data/names.txt")          # the cwd's file, else the bundled one beside train.py

Registration is a call, not a side effect of importing an entry point: train.py, sample.py, score.py and
evaluate.py make it before Hydra composes, and so do the tests and benchmarks through compose_config.
"""

from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore

from makemore.cli.overrides import to_dataclass
from makemore.config import Config, EvaluateConfig, SampleConfig, ScoreConfig

ROOT = Path(__file__).resolve().parents[2]  # where train.py, configs/ and the bundled data/ live
CONFIGS = ROOT / "configs"
# each entry point's config file -> the schema its defaults list starts from (configs/config.yaml: base_config)
SCHEMAS = {"config": ("base_config", Config), "sample": ("sample_config", SampleConfig),
           "score": ("score_config", ScoreConfig), "evaluate": ("evaluate_config", EvaluateConfig)}  # fmt: skip


def register_configs(*config_names: str) -> None:
    """Store the schemas of these entry points' configs (none named: every one) in Hydra's ConfigStore; again is
    harmless (the same node under its name). An entry point stores only its own: Hydra copies every stored node
    again and again to list them in --help (train.py's took a third longer with all four)."""
    store = ConfigStore.instance()
    for config_name in config_names or SCHEMAS:
        name, schema = SCHEMAS[config_name]
        store.store(name=name, node=schema)


def compose_config(overrides=(), config_name: str = "config"):
    """The dataclass the entry point whose config is `config_name` would run with these overrides, through the same
    checks (unknown keys refused in one line, ranges checked)."""
    register_configs()
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return to_dataclass(compose(config_name=config_name, overrides=list(overrides)))


def resolve_data_path(path: str) -> str:
    """A relative data.path means the cwd; failing that, beside train.py (so the bundled names always work)."""
    p = Path(path)
    if p.is_absolute() or p.exists() or not (ROOT / p).exists():
        return path
    return str(ROOT / p)
