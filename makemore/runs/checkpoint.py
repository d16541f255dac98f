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
    digest         "sha256:<hex>" over every other field (makemore/runs/integrity.py): a file changed on disk since
                   it was saved is refused at load; a file written before digests existed loads without the check
Every loader (sample.py, score.py, evaluate.py, train.resume, train.init_from) opens files through load_checkpoint,
which checks the digest and every field against the model the file's own config and vocab build.
Sampling needs only KEYS; resuming needs RESUME_KEYS too; LATER_KEYS are written but not required.
makemore/training/checkpoints.py writes a run's best.pt and last.pt.
"""

import dataclasses
import io
import os
import pickle
import zipfile
from pathlib import Path

import torch
from torch import nn

from makemore.config import Config, DataConfig, EmbeddingConfig, ModelConfig, OptimConfig, TrainConfig
from makemore.data.vocab import Vocab
from makemore.models import MODELS, build_model
from makemore.models.recurrent import Recurrent
from makemore.runs.integrity import DIGEST, CheckpointError, check_digest, check_fields, digest_of, first_line
from makemore.runs.layout import write_atomically

CHECKPOINT_FORMAT = 1
SECTIONS = {"seed", "data", "embedding", "model", "optim", "train"}  # the keys of a config dict
KEYS = ("model", "optimizer", "step", "best_val_loss", "config", "vocab", "train_words", "format")
RESUME_KEYS = ("rng", "loss_window", "train_seconds")
LATER_KEYS = ("best_step", "digest")  # added to format 1 later: the trainer writes them, no reader requires them


def save_checkpoint(path: Path, **fields) -> None:
    """Write atomically: a temporary file in the same folder, flushed, then renamed over `path`.

    A process killed at any instant leaves either the old checkpoint or the new one, never half of one. The bytes are
    made in memory first, so a full disk is an OSError with its errno (torch's own writer would hide it).
    """
    missing = set(KEYS + RESUME_KEYS) - set(fields) - {"format"}
    assert not missing, f"save_checkpoint needs {sorted(missing)}"
    payload = {**fields, "format": CHECKPOINT_FORMAT}
    payload[DIGEST] = digest_of(payload)  # checked at every load (makemore/runs/integrity.py)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    write_atomically(path, buffer.getvalue())


def load_checkpoint(path: str | Path, map_location="cpu") -> dict:
    """Open a checkpoint safely (weights_only: no code in the file can run) and check its keys."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path}: no such file")
    if not os.access(path, os.R_OK):  # sample.py would blame stdout, evaluate.py raise: name the file instead
        raise CheckpointError(f"checkpoint {path}: permission denied; it can't be read as this user")
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
    except PermissionError as e:
        raise CheckpointError(f"checkpoint {path}: {e.strerror.lower()}; it can't be read as this user") from None
    except Exception as e:  # a damaged archive fails in many ways (RuntimeError, EOFError, BadZipFile, KeyError, ...)
        raise CheckpointError(
            f"checkpoint {path}: not a readable PyTorch file (truncated or corrupt?): {first_line(e)}"
        ) from None
    if not isinstance(ckpt, dict) or ckpt.get("format") is None:
        raise CheckpointError(f"checkpoint {path}: not a makemore checkpoint (no 'format' key)")
    if ckpt["format"] != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"checkpoint {path}: format {ckpt['format']!r}, this makemore reads format {CHECKPOINT_FORMAT}"
        )
    missing = [k for k in KEYS if k not in ckpt]
    if missing:
        raise CheckpointError(f"checkpoint {path}: incomplete, missing {', '.join(missing)}")
    check_digest(ckpt, path)
    ckpt.pop(DIGEST, None)  # it vouches for the file; what load_checkpoint returns is read, not the bytes stored
    read_single_cell(ckpt)
    try:
        cfg = config_from_dict(ckpt["config"])
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise CheckpointError(
            f"checkpoint {path}: config is not a run config this makemore reads: {first_line(e)}"
        ) from None
    check_fields(ckpt, path, cfg)
    if isinstance(ckpt["train_words"], str):  # joined by "\n" (CheckpointWriter); older files hold the list
        ckpt["train_words"] = ckpt["train_words"].split("\n") if ckpt["train_words"] else []
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


def config_from_dict(d: dict) -> Config:
    """The inverse of dataclasses.asdict(Config): a checkpoint's config back as dataclasses (a key this makemore does
    not know is refused, a key it added since takes its default)."""
    if not isinstance(d, dict) or set(d) != SECTIONS:
        found = sorted(d) if isinstance(d, dict) else type(d).__name__
        raise ValueError(f"expected a dict of {', '.join(sorted(SECTIONS))}, found {found}")
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
