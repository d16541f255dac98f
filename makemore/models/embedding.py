"""Two ways to turn token ids into vectors, and why they are one function.

An embedding is a learned lookup table C of shape (vocab_size, n_embd): token i becomes
row C[i]. Multiplying the one-hot row vector of i by C picks out that same row, so

    C[x] == one_hot(x, vocab_size).float() @ C

for every x. `LookupEmbedding` indexes (nn.Embedding); `OneHotEmbedding` builds the one-hot
matrix and multiplies (nn.Linear without bias). Same table, same initial random numbers,
same outputs; the lookup never materialises the (..., vocab_size) one-hot tensor, which is
why it is the faster and leaner of the two.
"""

import torch
import torch.nn.functional as F
from torch import nn


class LookupEmbedding(nn.Module):
    """C[x] with nn.Embedding."""

    def __init__(self, vocab_size: int, n_embd: int):
        super().__init__()
        self.vocab_size, self.n_embd = vocab_size, n_embd
        # init_table draws the weights; on torch's default device, so that a model can be sized on "meta". An
        # uninitialised table, not nn.utils.skip_init: that draws N(0, 1) on "meta", which imports dynamo
        # (1.4 s of every sample.py start)
        here = torch.get_default_device()
        self.lookup = nn.Embedding.from_pretrained(torch.empty(vocab_size, n_embd, device=here), freeze=False)

    @property
    def table(self) -> torch.Tensor:
        return self.lookup.weight  # (vocab_size, n_embd)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        # nn.Embedding's own op, without a second module call per step
        return F.embedding(idx, self.lookup.weight)  # (..., n_embd)


class OneHotEmbedding(nn.Module):
    """one_hot(x) @ C with nn.Linear(vocab_size, n_embd, bias=False), whose weight is C transposed."""

    def __init__(self, vocab_size: int, n_embd: int):
        super().__init__()
        self.vocab_size, self.n_embd = vocab_size, n_embd
        here = torch.get_default_device()
        self.proj = nn.utils.skip_init(nn.Linear, vocab_size, n_embd, bias=False, device=here)  # (n_embd, vocab_size)
        # ids compared against 0..vocab_size-1 make the one-hot rows in one op; F.one_hot also
        # checks the ids' range on every call, which costs more than the matmul at these sizes
        self.register_buffer("ids", torch.arange(vocab_size), persistent=False)

    @property
    def table(self) -> torch.Tensor:
        return self.proj.weight.t()  # (vocab_size, n_embd), a view: writes go to the Linear's weight

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        one_hot = (idx[..., None] == self.ids).to(self.proj.weight.dtype)  # (..., vocab_size)
        return self.proj(one_hot)  # (..., n_embd)


EMBEDDINGS = {"lookup": LookupEmbedding, "onehot": OneHotEmbedding}


def build_embedding(name: str, vocab_size: int, n_embd: int) -> LookupEmbedding | OneHotEmbedding:
    return EMBEDDINGS[name](vocab_size, n_embd)


@torch.no_grad()
def init_table(embedding: LookupEmbedding | OneHotEmbedding, std: float = 1.0) -> None:
    """Draw the table as N(0, std^2) in (vocab_size, n_embd) order, whichever the module.

    Both modules consume exactly the same random numbers in the same order, so two models
    built with the same seed start from identical weights, embedding included.
    """
    table = torch.randn(embedding.vocab_size, embedding.n_embd) * std
    embedding.table.copy_(table)
