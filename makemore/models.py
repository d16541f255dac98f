"""Language models over block-size contexts, all with one interface:

    logits, loss = model(idx, targets=None)   # idx: (B, block_size) int64 -> logits (B, vocab_size)

so the training loop, evaluation and sampling never ask which model or embedding they drive.
New families register in MODELS with the same constructor signature.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from makemore.config import Config, ConfigError, ModelConfig
from makemore.embedding import build_embedding, init_table

TANH_GAIN = 5 / 3  # keeps tanh activations near unit variance (lecture part 3; torch.nn.init.calculate_gain)


@torch.no_grad()
def init_linears(embedding: nn.Module, linears: list[nn.Linear], head: nn.Linear, init: str) -> None:
    """One draw order for every variant, embedding first, so equal seeds give equal weights."""
    init_table(embedding)
    for module in linears:
        if init == "lecture":  # lecture part 2: torch.randn for every weight and bias
            module.weight.normal_()
            if module.bias is not None:
                module.bias.normal_()
            continue
        fan_in = module.in_features
        # the output layer starts small so the first predictions are near-uniform
        # (initial loss ~ log(vocab_size) rather than "confidently wrong")
        std = 0.1 / math.sqrt(fan_in) if module is head else TANH_GAIN / math.sqrt(fan_in)
        module.weight.normal_(0.0, std)
        if module.bias is not None:
            module.bias.zero_()


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
        linears = [m for m in self.hidden if isinstance(m, nn.Linear)]
        init_linears(self.embedding, [*linears, self.head], self.head, cfg.init)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        B = idx.shape[0]
        x = self.embedding(idx).view(B, -1)  # (B, block_size * n_embd)
        x = self.hidden(x)  # (B, n_hidden)
        logits = self.head(x)  # (B, vocab_size)
        loss = None if targets is None else F.cross_entropy(logits, targets)
        return logits, loss


class PositionBatchNorm(nn.BatchNorm1d):
    """BatchNorm1d over (B, T, C) inputs: its statistics are over the batch and the positions alike."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.reshape(-1, x.shape[-1])).view_as(x)


class Hierarchical(nn.Module):
    """Hierarchical MLP ("makemore part 5", after WaveNet, van den Oord et al. 2016): the context is
    fused two neighbours at a time, so each layer sees twice the span of the one before.

    idx (B, T) -> embed (B, T, n_embd)
        -> n_layers x [pair neighbours (B, T/2, 2C) -> Linear -> norm -> tanh -> dropout] (B, T/2, n_hidden)
        -> (B, n_hidden) -> Linear (B, vocab_size)          with T = block_size = 2 ** n_layers
    """

    def __init__(self, cfg: ModelConfig, vocab_size: int, block_size: int, embedding: str):
        super().__init__()
        if block_size != 2**cfg.n_layers:
            raise ConfigError(
                f"config key data.block_size={block_size} is invalid for model.name=hierarchical with "
                f"model.n_layers={cfg.n_layers}: each layer fuses pairs, so expected 2 ** n_layers = {2**cfg.n_layers}"
            )
        self.block_size = block_size
        self.embedding = build_embedding(embedding, vocab_size, cfg.n_embd)
        self.levels = nn.ModuleList()
        fan_in = 2 * cfg.n_embd
        for _ in range(cfg.n_layers):
            layers = [nn.Linear(fan_in, cfg.n_hidden, bias=cfg.norm == "none")]
            if cfg.norm == "batchnorm":
                layers.append(PositionBatchNorm(cfg.n_hidden))
            elif cfg.norm == "layernorm":
                layers.append(nn.LayerNorm(cfg.n_hidden))
            layers.append(nn.Tanh())
            if cfg.dropout > 0:
                layers.append(nn.Dropout(cfg.dropout))
            self.levels.append(nn.Sequential(*layers))
            fan_in = 2 * cfg.n_hidden
        self.head = nn.Linear(cfg.n_hidden, vocab_size)
        init_linears(self.embedding, [*(level[0] for level in self.levels), self.head], self.head, cfg.init)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        B = idx.shape[0]
        x = self.embedding(idx)  # (B, T, n_embd)
        for level in self.levels:
            x = level(x.reshape(B, x.shape[1] // 2, -1))  # (B, T/2, n_hidden): neighbours side by side, fused
        logits = self.head(x.view(B, -1))  # (B, vocab_size)
        loss = None if targets is None else F.cross_entropy(logits, targets)
        return logits, loss


MODELS = {"mlp": MLP, "hierarchical": Hierarchical}


def build_model(cfg: Config, vocab_size: int) -> nn.Module:
    """The run config's model, for a vocabulary of vocab_size tokens: the one way to build one."""
    name = cfg.model.name
    if name not in MODELS:
        raise ConfigError(f"config key model.name={name!r} is invalid: expected one of {', '.join(MODELS)}")
    return MODELS[name](cfg.model, vocab_size, cfg.data.block_size, cfg.embedding.name)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
