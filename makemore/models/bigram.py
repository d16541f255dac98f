"""The bigram model: a (V, V) table of logits, row = the previous character."""

import torch

from makemore.config import ModelConfig
from makemore.models.base import WindowModel, lm_loss
from makemore.models.embedding import build_embedding, init_table


class Bigram(WindowModel):
    """Bigram language model (makemore lecture part 1): the embedding with n_embd = vocab_size IS
    the model. With embedding=onehot it is the lecture's one-layer net, logits = one_hot(x) @ W;
    with embedding=lookup the same table read by index, logits = W[x].

    idx (B, block_size) -> last id (B,) -> table row (B, vocab_size) = logits

    init=lecture draws W from N(0, 1) as the lecture does; init=scaled starts it at zero
    (uniform predictions, loss = log(vocab_size)), as makemore.py does.
    Reads no other model.* key.
    """

    def __init__(self, cfg: ModelConfig, vocab_size: int, block_size: int, embedding: str):
        super().__init__()
        self.block_size = block_size
        self.embedding = build_embedding(embedding, vocab_size, vocab_size)
        init_table(self.embedding, std=1.0 if cfg.init == "lecture" else 0.0)

    @classmethod
    def natural_block_size(cls, cfg: ModelConfig, longest_word: int) -> int:
        return 1  # only the previous character

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        logits = self.embedding(idx[:, -1])  # (B, vocab_size)
        return logits, lm_loss(logits, targets)
