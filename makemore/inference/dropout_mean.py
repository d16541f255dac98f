"""One trained model predicting as the mean over many dropout masks (Monte Carlo dropout). evaluate.py, score.py and
sample.py take `dropout_samples=K`.

    model = DropoutMean(trained_model, samples=32)   # logits, loss = model(idx, targets), as any family

    P(next | history) = (1/K) sum_k P(next | history; dropout mask k)

A model trained with dropout is usually run with dropout off (each unit's output scaled as during training): a cheap
stand-in for the mean over every mask dropout drew from, which is what training fitted (Gal & Ghahramani 2016,
Dropout as a Bayesian Approximation). Averaging K masks' distributions computes that mean instead, at K forward
passes per prediction. It is one model's weights, nothing else trained, and on the lectures' names it lowers
experiment=best_transformer's val loss well below dropout off at K=64 (docs/results.md). A small K is worse than
dropout off: one mask alone is a thinned, noisier net.

Only dropout is switched on: BatchNorm keeps its running statistics. The masks come from torch's global generator,
seeded here by `seed` for each call, so the same input gets the same answer.
"""

from contextlib import contextmanager

import torch
from torch import nn

from makemore.config import ConfigError
from makemore.inference.ensemble import mean_of_distributions
from makemore.models.base import LanguageModel, lm_loss
from makemore.models.dropout import Dropout

BATCHNORMS = (nn.modules.batchnorm._BatchNorm,)


def has_dropout(model: nn.Module) -> bool:
    """Any dropout layer with p > 0 (nn.Dropout, or makemore's, which the Transformer's attention weights use too)."""
    return any(isinstance(m, (nn.Dropout, Dropout)) and m.p > 0 for m in model.modules())


@contextmanager
def dropout_on(model: nn.Module, seed: int):
    """The model in training mode but for BatchNorm (running statistics, never updated), the global generator at
    `seed`; afterwards both as they were."""
    modes = [(m, m.training) for m in model.modules()]
    model.train()
    for m in model.modules():
        if isinstance(m, BATCHNORMS):
            m.eval()
    try:
        with torch.random.fork_rng(devices=[]):  # the CPU generator (dropout masks on a CPU) comes back as it was
            torch.manual_seed(seed)
            yield
    finally:
        for m, training in modes:
            m.training = training


class DropoutMean(LanguageModel):
    """A trained model whose prediction is the mean of its distributions under `samples` dropout masks."""

    def __init__(self, model: nn.Module, samples: int, seed: int = 0, name: str = "the model"):
        super().__init__()
        if not has_dropout(model):
            raise ConfigError(
                f"config key dropout_samples={samples} is invalid: {name} has no dropout (model.dropout=0), so every "
                "mask gives the same distribution; expected 0 for it"
            )
        self.model, self.samples, self.seed = model, samples, seed
        self.sequence, self.block_size = model.sequence, model.block_size

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        with dropout_on(self.model, self.seed):
            logits = mean_of_distributions([self.model(idx)[0] for _ in range(self.samples)])
        return logits, lm_loss(logits, targets)

    @torch.no_grad()
    def next_logits(self, history: torch.Tensor) -> torch.Tensor:
        with dropout_on(self.model, self.seed):
            return mean_of_distributions([self.model.next_logits(history) for _ in range(self.samples)])
