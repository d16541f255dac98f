"""Several trained runs as one model: the mean of their next-character distributions. sample.py, score.py and
evaluate.py take `run=[RUN_A,RUN_B]`, or a -m sweep's directory for all of its runs (inference/loading.py).

    trained = load_trained(["multirun/2026-11-29/03-15-00/0", "multirun/2026-11-29/03-15-00/1"], key="run")
    trained.model          # an Ensemble: logits, loss = model(idx, targets), as any family (makemore/models/base.py)

    P(next | history) = (1/K) sum_k P_k(next | history)
    logits = log of that = logsumexp_k(log_softmax(logits_k)) - log K

Independently trained models make different mistakes, so the mean of their distributions is better than a typical
member: its loss (negative log-likelihood) is never above the mean of the members' losses (log is concave: Jensen),
and on the lectures' names two Transformers trained side by side beat the better one (experiment=transformer_pair).
Models of two families make more different mistakes than two of one family: a Transformer and an LSTM
(experiment=zoo_pair) together gain more than two Transformers. The figures: docs/results.md. The members must read the
same vocabulary and the same context (all window or all sequence models, one block_size), whatever their family;
each runs its own way: a Transformer keeps its key/value cache while sampling.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from makemore.models.base import Decoder, LanguageModel, lm_loss


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
