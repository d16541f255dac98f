"""What a command's `run=` means, as one model: a run directory or checkpoint, several runs predicting together
(`run=[A,B]`, or a -m sweep's directory: an ensemble.Ensemble), each maybe a dropout_mean.DropoutMean.

    trained = load_trained("outputs/2026-11-28/10-00-00", dropout_samples=0)
    trained.model, trained.vocab, trained.ckpt, trained.source

Runs trained on other words, or with another context, are refused in one line.
"""

from dataclasses import dataclass
from pathlib import Path

from torch import nn

from makemore.data.vocab import Vocab
from makemore.inference.dropout_mean import DropoutMean
from makemore.inference.ensemble import Ensemble
from makemore.runs.checkpoint import CheckpointError, load_checkpoint, model_from_checkpoint
from makemore.runs.layout import BEST, LAST, LATEST, RunDir, RunNotFound, find_checkpoint, unreadable_run


@dataclass
class Trained:
    """What an entry point reads from `run=`: the model (one run's, or an Ensemble), its vocabulary, the checkpoint
    (an ensemble's first member's: its config and train_words are every member's) and where it came from."""

    model: nn.Module
    vocab: Vocab
    ckpt: dict
    source: str


def member_paths(run, prefer: tuple[str, ...], key: str) -> list[Path]:
    """The checkpoints `key=run` names: one for a run, a checkpoint, None or latest (the newest run); one per run for
    a list of them, or for a -m sweep's directory (its numbered runs that have a checkpoint, failed ones left out)."""
    if isinstance(run, (list, tuple)):
        if not run:
            raise RunNotFound(f"{key}=[]: no run given; pass a run directory, a checkpoint, or a list of them")
        return [find_checkpoint(str(r), prefer=prefer, key=key) for r in run]
    if run is not None and run != LATEST and Path(run).is_dir() and not RunDir(Path(run)).checkpoints.is_dir():
        runs = sorted((p for p in Path(run).iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name))
        trained = [p for p in runs if any((RunDir(p).checkpoints / name).is_file() for name in prefer)]
        if trained:
            return [find_checkpoint(p, prefer=prefer, key=key) for p in trained]
    return [find_checkpoint(run, prefer=prefer, key=key)]


def kind(model: nn.Module) -> str:
    return f"{'a sequence' if model.sequence else 'a window'} model of context {model.block_size}"


def load_trained(run, key: str = "run", prefer: tuple[str, ...] = (BEST, LAST), dropout_samples: int = 0) -> Trained:
    """One run's model, or an Ensemble of several that were trained on the same words (refused otherwise).
    dropout_samples > 0: each model predicts as the mean over that many dropout masks
    (makemore/inference/dropout_mean.py)."""
    try:
        paths = member_paths(run, prefer, key)
    except OSError as e:  # a run directory this user may not list
        raise unreadable_run(key, run, e) from None
    loaded = []
    for path in paths:
        ckpt = load_checkpoint(path)
        model, vocab, _ = model_from_checkpoint(ckpt, source=path)
        if dropout_samples:
            model = DropoutMean(model, dropout_samples, name=str(path)).eval()
        loaded.append((path, ckpt, model, vocab))
    if len(loaded) == 1:
        path, ckpt, model, vocab = loaded[0]
        return Trained(model, vocab, ckpt, str(path))
    first_path, first, first_model, vocab = loaded[0]
    for path, ckpt, model, other in loaded[1:]:
        if other.itos != vocab.itos or ckpt["train_words"] != first["train_words"]:
            raise CheckpointError(
                f"{key}: {path} was trained on other words than {first_path}; an ensemble's runs must share "
                "their words (data.path and data.split_seed)"
            )
        if (model.sequence, model.block_size) != (first_model.sequence, first_model.block_size):
            raise CheckpointError(
                f"{key}: {path} is {kind(model)}, {first_path} {kind(first_model)}; an ensemble's runs must read "
                "the same context (the same data.block_size, and all window or all sequence models)"
            )
    model = Ensemble([m for _, _, m, _ in loaded]).eval()
    return Trained(model, vocab, first, " + ".join(str(p) for p, *_ in loaded))
