"""Train a character-level language model on a list of words.

    python train.py                                   # the default recipe on the bundled names
    python train.py embedding=onehot                  # the same model with one_hot(x) @ W
    python train.py -m embedding=lookup,onehot train.max_steps=2000
    python train.py experiment=lecture_mlp data.path=../shared/data/names.txt

Each run writes to Hydra's run directory (outputs/DATE/TIME, or multirun/DATE/TIME/N):
.hydra/ (the resolved config), TensorBoard events, checkpoints/{best,last}.pt, metrics.json.
"""

from pathlib import Path

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from makemore.cli import USER_ERRORS, fail, to_dataclass
from makemore.config import Config
from makemore.trainer import train

HERE = Path(__file__).resolve().parent

ConfigStore.instance().store(name="base_config", node=Config)


def resolve_data_path(path: str) -> str:
    """A relative data.path means the cwd; failing that, beside train.py (so the bundled names always work)."""
    p = Path(path)
    if p.is_absolute() or p.exists() or not (HERE / p).exists():
        return path
    return str(HERE / p)


@hydra.main(version_base="1.3", config_path="configs", config_name="config")
def main(dict_cfg: DictConfig) -> float:
    cfg: Config = to_dataclass(dict_cfg)
    cfg.data.path = resolve_data_path(cfg.data.path)
    try:
        metrics = train(cfg, Path(HydraConfig.get().runtime.output_dir))
    except USER_ERRORS as e:
        fail(str(e))
    return metrics["val_loss"]  # what a sweeper (e.g. Optuna) minimises


if __name__ == "__main__":
    main()
