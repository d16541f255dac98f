"""The bag-of-words model: each position averages every embedding up to it, then an MLP."""

import torch
from torch import nn

from makemore.config import ModelConfig
from makemore.models.base import SequenceModel, lm_loss
from makemore.models.embedding import build_embedding, init_table


class BoW(SequenceModel):
    """Causal bag of words (makemore.py's BoW): attention with every weight equal, the step
    before a Transformer (Vaswani et al. 2017) in "Let's build GPT".

    idx (B, T) -> token + position embeddings (B, T, n_embd)
        -> x + causal mean of x (B, T, n_embd) -> x + MLP(x), MLP = Linear -> tanh -> Linear (n_hidden wide)
        -> Linear (B, T, vocab_size)

    Reads model.n_embd and model.n_hidden; PyTorch's default init, the table N(0, 1) drawn first.
    """

    def __init__(self, cfg: ModelConfig, vocab_size: int, block_size: int, embedding: str):
        super().__init__()
        self.block_size = block_size
        self.embedding = build_embedding(embedding, vocab_size, cfg.n_embd)
        init_table(self.embedding)
        self.position = nn.Embedding(block_size, cfg.n_embd)
        self.mlp = nn.Sequential(nn.Linear(cfg.n_embd, cfg.n_hidden), nn.Tanh(), nn.Linear(cfg.n_hidden, cfg.n_embd))
        self.head = nn.Linear(cfg.n_embd, vocab_size)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        T = idx.shape[1]
        pos = torch.arange(T, device=idx.device)
        x = self.embedding(idx) + self.position(pos)  # (B, T, n_embd)
        counts = torch.arange(1, T + 1, device=idx.device, dtype=x.dtype)[:, None]  # (T, 1) tokens up to t
        x = x + x.cumsum(dim=1) / counts  # (B, T, n_embd): position t averages positions 0..t
        x = x + self.mlp(x)
        logits = self.head(x)  # (B, T, vocab_size)
        return logits, lm_loss(logits, targets)
