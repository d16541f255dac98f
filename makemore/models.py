"""Language models over block-size contexts, all with one interface:

    logits, loss = model(idx, targets=None)   # idx: (B, block_size) int64 -> logits (B, vocab_size)

so the training loop, evaluation and sampling never ask which model or embedding they drive.
New families register in MODELS with the same constructor signature.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from makemore.config import ConfigError, ModelConfig
from makemore.embedding import build_embedding, init_table

TANH_GAIN = 5 / 3  # keeps tanh activations near unit variance (lecture part 3; torch.nn.init.calculate_gain)


class MLP(nn.Module):
    """MLP language model after Bengio et al. 2003, A Neural Probabilistic Language Model.

    idx (B, T) -> embed (B, T, n_embd) -> concat (B, T*n_embd)
        -> n_layers x [Linear -> norm -> tanh -> dropout] (B, n_hidden) -> Linear (B, vocab_size)
    """

    def __init__(self, cfg: ModelConfig, vocab_size: int, block_size: int, embedding: str):
        super().__init__()
        self.block_size = block_size
        self.embedding = build_embedding(embedding, vocab_size, cfg.n_embd)
        layers = []
        fan_in = block_size * cfg.n_embd
        for _ in range(cfg.n_layers):
            # a bias before a norm layer is cancelled by its mean subtraction
            layers.append(nn.Linear(fan_in, cfg.n_hidden, bias=cfg.norm == "none"))
            if cfg.norm == "batchnorm":
                layers.append(nn.BatchNorm1d(cfg.n_hidden))
            elif cfg.norm == "layernorm":
                layers.append(nn.LayerNorm(cfg.n_hidden))
            layers.append(nn.Tanh())
            if cfg.dropout > 0:
                layers.append(nn.Dropout(cfg.dropout))
            fan_in = cfg.n_hidden
        self.hidden = nn.Sequential(*layers)
        self.head = nn.Linear(cfg.n_hidden, vocab_size)
        self._init_weights(cfg.init)

    @torch.no_grad()
    def _init_weights(self, init: str) -> None:
        # one draw order for every variant, embedding first, so equal seeds give equal weights
        init_table(self.embedding)
        for module in [*self.hidden, self.head]:
            if not isinstance(module, nn.Linear):
                continue
            if init == "lecture":  # lecture part 2: torch.randn for every weight and bias
                module.weight.normal_()
                if module.bias is not None:
                    module.bias.normal_()
                continue
            fan_in = module.in_features
            # the output layer starts small so the first predictions are near-uniform
            # (initial loss ~ log(vocab_size) rather than "confidently wrong")
            std = 0.1 / math.sqrt(fan_in) if module is self.head else TANH_GAIN / math.sqrt(fan_in)
            module.weight.normal_(0.0, std)
            if module.bias is not None:
                module.bias.zero_()

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        B = idx.shape[0]
        x = self.embedding(idx).view(B, -1)  # (B, block_size * n_embd)
        x = self.hidden(x)  # (B, n_hidden)
        logits = self.head(x)  # (B, vocab_size)
        loss = None if targets is None else F.cross_entropy(logits, targets)
        return logits, loss


MODELS = {"mlp": MLP}


def build_model(cfg: ModelConfig, vocab_size: int, block_size: int, embedding: str) -> nn.Module:
    if cfg.name not in MODELS:
        raise ConfigError(f"config key model.name={cfg.name!r} is invalid: expected one of {', '.join(MODELS)}")
    return MODELS[cfg.name](cfg, vocab_size, block_size, embedding)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
