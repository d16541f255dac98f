"""Pieces the window models share: one weight init and one hidden block."""

import math

import torch
from torch import nn

from makemore.models.embedding import init_table

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


class PositionBatchNorm(nn.BatchNorm1d):
    """BatchNorm1d over (B, T, C) inputs: its statistics are over the batch and the positions alike."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.reshape(-1, x.shape[-1])).view_as(x)


def tanh_block(fan_in: int, n_hidden: int, norm: str, dropout: float, positions: bool = False) -> list[nn.Module]:
    """Linear -> norm -> tanh -> dropout, as a list of layers (the Linear first).

    norm is none | batchnorm | layernorm; positions=True means inputs are (B, T, C) and batchnorm
    takes its statistics over batch and positions together. Layers are absent, not identities,
    when off, so the state_dict keys are those of the layers that exist.
    """
    # a bias before a norm layer is cancelled by its mean subtraction
    layers = [nn.Linear(fan_in, n_hidden, bias=norm == "none")]
    if norm == "batchnorm":
        layers.append(PositionBatchNorm(n_hidden) if positions else nn.BatchNorm1d(n_hidden))
    elif norm == "layernorm":
        layers.append(nn.LayerNorm(n_hidden))
    layers.append(nn.Tanh())
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    return layers
