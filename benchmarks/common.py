"""What the benchmarks share: the real Hydra configs, and a line saying which machine measured."""

import os
import platform
from pathlib import Path

import torch
from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from omegaconf import OmegaConf

import train  # noqa: F401  (registers base_config with Hydra's ConfigStore)
from makemore.config import Config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def compose(overrides: list[str]) -> Config:
    """The config `python train.py OVERRIDES...` would run."""
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return OmegaConf.to_object(hydra_compose(config_name="config", overrides=list(overrides)))


def machine(threads: int | None = None) -> str:
    threads = torch.get_num_threads() if threads is None else threads
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), {threads} torch threads, "
        f"torch {torch.__version__}, load average {load}"
    )
