"""The hierarchical MLP: the context fused two neighbours at a time."""

import torch
from torch import nn

from makemore.config import ConfigError, ModelConfig
from makemore.models.base import WindowModel, lm_loss
from makemore.models.blocks import init_linears, tanh_block
from makemore.models.embedding import build_embedding


class Hierarchical(WindowModel):
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
            self.levels.append(nn.Sequential(*tanh_block(fan_in, cfg.n_hidden, cfg.norm, cfg.dropout, positions=True)))
            fan_in = 2 * cfg.n_hidden
        self.head = nn.Linear(cfg.n_hidden, vocab_size)
        init_linears(self.embedding, [*(level[0] for level in self.levels), self.head], self.head, cfg.init)

    @classmethod
    def natural_block_size(cls, cfg: ModelConfig, longest_word: int) -> int:
        return 2**cfg.n_layers  # each level halves the positions, down to one

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        B = idx.shape[0]
        x = self.embedding(idx)  # (B, T, n_embd)
        for level in self.levels:
            x = level(x.reshape(B, x.shape[1] // 2, -1))  # (B, T/2, n_hidden): neighbours side by side, fused
        logits = self.head(x.view(B, -1))  # (B, vocab_size)
        return logits, lm_loss(logits, targets)
