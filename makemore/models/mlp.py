"""The MLP language model: a window of block_size characters, concatenated, through tanh layers."""

import torch
from torch import nn

from makemore.config import ModelConfig
from makemore.models.base import WindowModel, lm_loss
from makemore.models.blocks import init_linears, tanh_block
from makemore.models.embedding import build_embedding


class MLP(WindowModel):
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
            layers += tanh_block(fan_in, cfg.n_hidden, cfg.norm, cfg.dropout)
            fan_in = cfg.n_hidden
        self.hidden = nn.Sequential(*layers)  # one flat Sequential: keys hidden.0.weight, hidden.1.weight, ...
        self.head = nn.Linear(cfg.n_hidden, vocab_size)
        linears = [m for m in self.hidden if isinstance(m, nn.Linear)]
        init_linears(self.embedding, [*linears, self.head], self.head, cfg.init)

    @classmethod
    def natural_block_size(cls, cfg: ModelConfig, longest_word: int) -> int:
        return 5  # the default recipe's context: longer ones buy little for names

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        B = idx.shape[0]
        x = self.embedding(idx).view(B, -1)  # (B, block_size * n_embd)
        x = self.hidden(x)  # (B, n_hidden)
        logits = self.head(x)  # (B, vocab_size)
        return logits, lm_loss(logits, targets)
