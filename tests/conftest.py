"""Shared fixtures: the real Hydra configs composed with small overrides, and tiny word lists."""

import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

import train  # noqa: F401  (registers base_config with Hydra's ConfigStore)
from makemore.config import Config

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
SHARED_NAMES = ROOT.parent / "shared" / "data" / "names.txt"

# a run small enough for a test: a few hundred steps of a small model
TINY = [
    "model.n_embd=4",
    "model.n_hidden=32",
    "train.max_steps=60",
    "train.batch_size=32",
    "train.eval_interval=20",
    "train.log_interval=10",
    "optim.warmup_steps=5",
]


def compose_config(overrides=(), config_name="config") -> Config:
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return OmegaConf.to_object(compose(config_name=config_name, overrides=list(overrides)))


def run_script(script: str, *args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, str(ROOT / script), *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{script} {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def write_tiny_words(folder: Path) -> Path:
    """folder/words.txt: 200 names from the bundled list, enough for a real split, small enough to train in seconds."""
    names = (ROOT / "data" / "names.txt").read_text().split()[:200]
    path = folder / "words.txt"
    path.write_text("\n".join(names) + "\n")
    return path


@pytest.fixture
def words_file(tmp_path) -> Path:
    return write_tiny_words(tmp_path)


@pytest.fixture
def tiny_cfg(words_file) -> Config:
    return compose_config([f"data.path={words_file}", *TINY])


EVERYTHING = {"images": 0, "histograms": 0, "tensors": 0, "scalars": 0}  # keep every event, not a sample


def events(run_dir: Path) -> EventAccumulator:
    return EventAccumulator(str(run_dir), size_guidance=EVERYTHING).Reload()


def hparams_of(run_dir: Path) -> tuple[dict, set[str]]:
    """The hyperparameters a run recorded for the HPARAMS tab, and the metric tags it names."""
    content = events(run_dir).PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"])
    values = {k: getattr(v, v.WhichOneof("kind")) for k, v in start.session_start_info.hparams.items()}
    return values, {m.name.tag for m in experiment.experiment.metric_infos}
