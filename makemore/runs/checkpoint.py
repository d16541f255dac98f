"""Self-describing checkpoints: one file rebuilds the model, with no data file and no config.

A checkpoint is a plain dict that `torch.load(path, weights_only=True)` opens:
    model          the model's state dict
    optimizer      the optimizer's state dict
    step           optimizer steps taken
    best_val_loss  the best validation loss so far
    config         the resolved run config, a plain dict (dataclasses.asdict of Config)
    vocab          token strings, index = id; vocab[0] is the boundary token
    train_words    the training split's words (sample.py only_new=true filters against them), stored as one str,
                   the words joined by "\n" (a few bytes a word; a list of strs pickles at ~60 and takes a memo
                   entry each while saving); files written before hold a list. load_checkpoint gives a list either way
    format         CHECKPOINT_FORMAT, so a file from another version is recognised as such
and, so that train.resume can go on exactly where the run stopped (makemore/resume.py):
    rng            {"torch", "cuda", "mps", "batches"}: the random-number generators' states (uint8 tensors;
                   cuda and mps are None unless the run trains there; mps is missing in older files)
    loss_window    the minibatch losses (float32 tensor) since the last loss/train point
    train_seconds  training time so far, summed over the sessions of a resumed run
    best_step      the step of best_val_loss, so that train.patience counts on (not in RESUME_KEYS: a checkpoint
                   written before it resumes with the count starting again)
Sampling needs only KEYS; resuming needs RESUME_KEYS too; LATER_KEYS are written but not required.
makemore/training/checkpoints.py writes a run's best.pt and last.pt.
"""

import dataclasses
import io
import math
import os
import pickle
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import torch
from torch import nn

from makemore.config import Config, DataConfig, EmbeddingConfig, ModelConfig, OptimConfig, TrainConfig
from makemore.data.vocab import Vocab
from makemore.data.words import Words
from makemore.models import MODELS, build_model
from makemore.models.recurrent import Recurrent
from makemore.runs.layout import RunDir
from makemore.training.stops import diverged


CHECKPOINT_FORMAT = 1
KEYS = ("model", "optimizer", "step", "best_val_loss", "config", "vocab", "train_words", "format")
RESUME_KEYS = ("rng", "loss_window", "train_seconds")
LATER_KEYS = ("best_step",)  # added to format 1 later: the trainer writes them, no reader requires them


class CheckpointError(ValueError):
    """A file that is not a usable makemore checkpoint; the message names the file."""


def save_checkpoint(path: Path, **fields) -> None:
    """Write atomically: a temporary file in the same folder, flushed, then renamed over `path`.

    A process killed at any instant leaves either the old checkpoint or the new one, never half of one. The bytes are
    made in memory first, so a full disk is an OSError with its errno (torch's own writer would hide it).
    """
    missing = set(KEYS + RESUME_KEYS) - set(fields) - {"format"}
    assert not missing, f"save_checkpoint needs {sorted(missing)}"
    buffer = io.BytesIO()
    torch.save({**fields, "format": CHECKPOINT_FORMAT}, buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(buffer.getbuffer())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: str | Path, map_location="cpu") -> dict:
    """Open a checkpoint safely (weights_only: no code in the file can run) and check its keys."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path}: no such file")
    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive; anything else is no checkpoint, not a threat
        with path.open("rb") as f:
            truncated = f.read(4) == b"PK\x03\x04"  # a zip's first bytes without its end
        if truncated:
            raise CheckpointError(f"checkpoint {path}: not a readable PyTorch file (truncated or corrupt?)")
        raise CheckpointError(
            f"checkpoint {path}: not a checkpoint (not a file torch.save wrote); "
            "pass a run directory or the checkpoints/best.pt or last.pt that train.py wrote"
        )
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(
            f"checkpoint {path}: refused to load, it holds objects that only a full unpickle "
            f"could build (and could run code): {first}"
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as e:
        raise CheckpointError(f"checkpoint {path}: not a readable PyTorch file (truncated or corrupt?): {e}") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") is None:
        raise CheckpointError(f"checkpoint {path}: not a makemore checkpoint (no 'format' key)")
    if ckpt["format"] != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"checkpoint {path}: format {ckpt['format']!r}, this makemore reads format {CHECKPOINT_FORMAT}"
        )
    missing = [k for k in KEYS if k not in ckpt]
    if missing:
        raise CheckpointError(f"checkpoint {path}: incomplete, missing {', '.join(missing)}")
    check_contents(ckpt, path)
    if isinstance(ckpt["train_words"], str):  # joined by "\n" (CheckpointWriter); older files hold the list
        ckpt["train_words"] = ckpt["train_words"].split("\n") if ckpt["train_words"] else []
    read_single_cell(ckpt)
    return ckpt


def read_single_cell(ckpt: dict) -> None:
    """A recurrent model's checkpoint from before its cells could be stacked (makemore/models/recurrent.py) holds one
    cell as `cell.*`, and a config whose model.n_layers and model.dropout that model never read (the defaults, 2 and
    0.1): read it as what it is, one layer without dropout, its cell as `cells.0.*`."""
    model, config = ckpt["model"], ckpt.get("config")
    if not isinstance(model, dict) or not isinstance(config, dict) or not any(k.startswith("cell.") for k in model):
        return
    name = config["model"].get("name") if isinstance(config.get("model"), dict) else None
    family = MODELS.get(name) if isinstance(name, str) else None  # a tampered file may hold anything
    if family is None or not issubclass(family, Recurrent):
        return
    ckpt["model"] = {("cells.0." + k[len("cell.") :] if k.startswith("cell.") else k): v for k, v in model.items()}
    config["model"] = {**config["model"], "n_layers": 1, "dropout": 0.0}


def check_contents(ckpt: dict, path: Path) -> None:
    """Refuse what would load but sample garbage: non-finite weights, a vocabulary that isn't one token per id."""
    model = ckpt["model"] if isinstance(ckpt["model"], dict) else {}
    bad = [name for name, t in model.items() if isinstance(t, torch.Tensor) and t.is_floating_point()
           and not torch.isfinite(t).all()]  # fmt: skip
    if bad:
        raise CheckpointError(f"checkpoint {path}: weights {', '.join(bad[:3])} hold NaN or infinite values")
    vocab = ckpt["vocab"]
    if not (isinstance(vocab, (list, tuple)) and vocab and all(isinstance(t, str) and t for t in vocab)):
        raise CheckpointError(f"checkpoint {path}: vocab is not a list of token strings")
    repeated = sorted(t for t, n in Counter(vocab).items() if n > 1)
    if repeated:
        raise CheckpointError(f"checkpoint {path}: vocab holds {', '.join(map(repr, repeated))} more than once")
    longer = [t for t in vocab[1:] if len(t) != 1]
    if longer:
        raise CheckpointError(f"checkpoint {path}: vocab entry {longer[0]!r} is not one character (only vocab[0] is)")


def config_from_dict(d: dict) -> Config:
    """The inverse of dataclasses.asdict(Config): a checkpoint's config back as dataclasses."""
    return Config(
        seed=d["seed"],
        data=DataConfig(**d["data"]),
        embedding=EmbeddingConfig(**d["embedding"]),
        model=ModelConfig(**d["model"]),
        optim=OptimConfig(**d["optim"]),
        train=TrainConfig(**d["train"]),
    )


def config_to_dict(cfg: Config) -> dict:
    return dataclasses.asdict(cfg)


def model_from_checkpoint(ckpt: dict, source="checkpoint") -> tuple[nn.Module, Vocab, Config]:
    """Rebuild the trained model (in eval mode) from a loaded checkpoint."""
    try:
        cfg = config_from_dict(ckpt["config"])
        vocab = Vocab(tuple(ckpt["vocab"]))
        model = build_model(cfg, len(vocab))
        model.load_state_dict(ckpt["model"])
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"{source}: does not match this version of makemore: {first}") from None
    model.eval()
    return model, vocab, cfg
