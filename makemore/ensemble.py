"""Several trained runs as one model: the mean of their next-character distributions. sample.py, score.py and
evaluate.py take `run=[RUN_A,RUN_B]`, or a -m sweep's directory for all of its runs.

    trained = load_trained(["multirun/2026-11-29/03-15-00/0", "multirun/2026-11-29/03-15-00/1"], key="run")
    trained.model          # an Ensemble: logits, loss = model(idx, targets), as any family (makemore/models/base.py)

    P(next | history) = (1/K) sum_k P_k(next | history)
    logits = log of that = logsumexp_k(log_softmax(logits_k)) - log K

Independently trained models make different mistakes, so the mean of their distributions is better than a typical
member: its loss (negative log-likelihood) is never above the mean of the members' losses (log is concave: Jensen),
and on the lectures' names two Transformers, each trained for 20 minutes on one core, beat the better one by 0.016
(val 1.9059 against 1.9217 and 1.9239; 64 and 96 wide, experiment=transformer_pair: 1.9040 against 1.9286 and
1.9346; README: The model zoo). Models of two families make more different mistakes than two of one family: a
Transformer and an LSTM (experiment=zoo_pair) together gain more than two Transformers. The members must read the
same vocabulary and the same context (all window or all sequence models, one block_size), whatever their family;
each runs its own way: a Transformer keeps its key/value cache while sampling.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from makemore.checkpoint import CheckpointError, load_checkpoint, model_from_checkpoint
from makemore.data import Vocab
from makemore.models.base import Decoder, LanguageModel, lm_loss
from makemore.rundir import BEST, LAST, RunDir, RunNotFound, find_checkpoint


def mean_of_distributions(logits: list[torch.Tensor]) -> torch.Tensor:
    """log((1/K) sum_k softmax(logits_k)) over the last dimension: the logits of the mean distribution."""
    logps = torch.stack([F.log_softmax(x.float(), dim=-1) for x in logits])  # (K, ..., V)
    return torch.logsumexp(logps, dim=0) - math.log(len(logits))


class Ensemble(LanguageModel):
    """Trained models of one vocabulary and one context (of any families), predicting together: the mean of their
    distributions."""

    def __init__(self, members: list[nn.Module]):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.sequence, self.block_size = members[0].sequence, members[0].block_size

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        logits = mean_of_distributions([member(idx)[0] for member in self.members])
        return logits, lm_loss(logits, targets)

    @torch.no_grad()
    def next_logits(self, history: torch.Tensor) -> torch.Tensor:
        return mean_of_distributions([member.next_logits(history) for member in self.members])

    def decoder(self, history: torch.Tensor) -> "EnsembleDecoder":
        return EnsembleDecoder(self, history)


class EnsembleDecoder(Decoder):
    """Each member's own decoder (a Transformer's key/value cache), their next-character distributions averaged."""

    def __init__(self, model: Ensemble, history: torch.Tensor):
        super().__init__(model, history)
        self.decoders = [member.decoder(history) for member in model.members]

    def logits(self) -> torch.Tensor:
        return mean_of_distributions([d.logits() for d in self.decoders])

    def advance(self, keep: torch.Tensor, ids: torch.Tensor) -> None:
        super().advance(keep, ids)
        for d in self.decoders:
            d.advance(keep, ids)


@dataclass
class Trained:
    """What an entry point reads from `run=`: the model (one run's, or an Ensemble), its vocabulary, the checkpoint
    (an ensemble's first member's: its config and train_words are every member's) and where it came from."""

    model: nn.Module
    vocab: Vocab
    ckpt: dict
    source: str


def member_paths(run, prefer: tuple[str, ...], key: str) -> list[Path]:
    """The checkpoints `key=run` names: one for a run, a checkpoint or None (the newest run); one per run for a list
    of them, or for a -m sweep's directory (its numbered runs that have a checkpoint, failed ones left out)."""
    if isinstance(run, (list, tuple)):
        if not run:
            raise RunNotFound(f"{key}=[]: no run given; pass a run directory, a checkpoint, or a list of them")
        return [find_checkpoint(str(r), prefer=prefer, key=key) for r in run]
    if run is not None and Path(run).is_dir() and not RunDir(Path(run)).checkpoints.is_dir():
        runs = sorted((p for p in Path(run).iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name))
        trained = [p for p in runs if any((RunDir(p).checkpoints / name).is_file() for name in prefer)]
        if trained:
            return [find_checkpoint(p, prefer=prefer, key=key) for p in trained]
    return [find_checkpoint(run, prefer=prefer, key=key)]


def kind(model: nn.Module) -> str:
    return f"{'a sequence' if model.sequence else 'a window'} model of context {model.block_size}"


def load_trained(run, key: str = "run", prefer: tuple[str, ...] = (BEST, LAST), dropout_samples: int = 0) -> Trained:
    """One run's model, or an Ensemble of several that were trained on the same words (refused otherwise).
    dropout_samples > 0: each model predicts as the mean over that many dropout masks (makemore/dropout_mean.py)."""
    from makemore.dropout_mean import DropoutMean  # it builds on mean_of_distributions, here

    paths = member_paths(run, prefer, key)
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
