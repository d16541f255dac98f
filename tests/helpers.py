"""What the tests share, in one place: the real configs composed with small overrides, tiny word lists and models,
the entry points run as a person runs them, and TensorBoard's events read back. Fixtures are in conftest.py."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from makemore.cli.configs import CONFIGS, ROOT, compose_config
from makemore.config import Config, DataConfig, EmbeddingConfig, ModelConfig
from makemore.data.vocab import Vocab
from makemore.models import MODELS, build_model
from makemore.training import trainer

__all__ = ["CONFIGS", "ROOT", "compose_config"]  # re-exported: the tests take them from here

SHARED_NAMES = ROOT.parent / "shared" / "data" / "names.txt"  # the lectures' list, where a checkout has ../shared

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


def run_script(script: str, *args: str, cwd: Path = ROOT, check: bool = True, prefix: list[str] = (),
               **kw) -> subprocess.CompletedProcess:  # fmt: skip
    """script's process with args, as a person runs it; prefix: a command that runs it (as_another_user()), kw:
    subprocess.run's (input=..., env=...)."""
    proc = subprocess.run(
        [*prefix, sys.executable, str(ROOT / script), *args], cwd=cwd, capture_output=True, text=True, timeout=300,
        **kw,
    )  # fmt: skip
    if check and proc.returncode != 0:
        raise AssertionError(f"{script} {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def as_another_user() -> list[str]:
    """A command prefix under which file permissions hold, as for a user who doesn't own the files: as root, setpriv
    drops the two capabilities that override them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH); for anyone else, none."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv: file permissions can't be made to hold")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def write_tiny_words(folder: Path) -> Path:
    """folder/words.txt: 200 names from the bundled list, enough for a real split, small enough to train in seconds."""
    names = (ROOT / "data" / "names.txt").read_text().split()[:200]
    path = folder / "words.txt"
    path.write_text("\n".join(names) + "\n")
    return path


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


# every family at a tiny size, for the contract tests (test_zoo.py) and the ones built on them
ZOO = {
    "bigram": dict(init="lecture"),
    "mlp": dict(n_embd=4, n_hidden=8, dropout=0.0),
    "hierarchical": dict(n_embd=4, n_hidden=8, n_layers=2, dropout=0.0),
    "rnn": dict(n_embd=4, n_hidden=8, n_layers=1, dropout=0.0),  # makemore.py's: one cell
    "gru": dict(n_embd=4, n_hidden=8, n_layers=1, dropout=0.0),
    "lstm": dict(n_embd=4, n_hidden=8, n_layers=1, dropout=0.0),
    "bow": dict(n_embd=4, n_hidden=8),
    "transformer": dict(n_embd=8, n_head=2, n_layers=2, dropout=0.0),
}
V = 7  # vocabulary size of the tiny models
LONGEST = 5  # longest word, for natural_block_size


def build(name, embedding="lookup", seed=0, **kw):
    """A ZOO model of family `name` over V ids, seeded."""
    cfg = ModelConfig(name=name, **{**ZOO[name], **kw})
    block_size = MODELS[name].natural_block_size(cfg, LONGEST)
    torch.manual_seed(seed)
    run = Config(data=DataConfig(block_size=block_size), embedding=EmbeddingConfig(embedding), model=cfg)
    return build_model(run, V)


def batch(model, B=6, seed=1):
    """Random ids and targets of the model's kind; sequence targets have some -1 (ignored)."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, V, (B, model.block_size), generator=g)
    if not model.sequence:
        return idx, torch.randint(0, V, (B,), generator=g)
    targets = torch.randint(0, V, (B, model.block_size), generator=g)
    targets[:, -2:] = -1  # as after a word's end
    return idx, targets


# a few real words, and a ZOO model of any family over their vocabulary, in eval mode: for scoring and decoding
SCORED_WORDS = ["emma", "ava", "a", "olivia", "emma", "isabella", "mia", "bo"]
SCORED_VOCAB = Vocab.from_words(SCORED_WORDS)


def family(name: str, seed: int = 0):
    cfg = ModelConfig(name=name, **ZOO[name])
    block = MODELS[name].natural_block_size(cfg, max(map(len, SCORED_WORDS)))
    torch.manual_seed(seed)
    return build_model(Config(data=DataConfig(block_size=block), embedding=EmbeddingConfig("lookup"), model=cfg),
                       len(SCORED_VOCAB)).eval()  # fmt: skip


def meddle(monkeypatch, signals=None, lrs=None):
    """While optimizer step s (0-based) is taken: deliver signals[s] to this process, use lrs[s] as its lr."""
    real, signals, lrs = trainer.lr_at, signals or {}, lrs or {}

    def lr_at(s, *args):
        if s in signals:
            os.kill(os.getpid(), signals[s])
        return lrs.get(s, real(s, *args))

    monkeypatch.setattr(trainer, "lr_at", lr_at)
