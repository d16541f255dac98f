"""The Transformer language model: GPT-2's decoder (pre-LayerNorm blocks), at makemore's scale.

idx (B, T) -> token + position embeddings (B, T, n_embd) -> dropout
    -> n_layers x [x + attn(LN(x)), x + MLP(LN(x))]      attn: n_head causal heads; MLP: 4x wide, GELU
    -> LN -> Linear (B, T, vocab_size)

Reads model.n_embd, model.n_head, model.n_layers and model.dropout (on the attention weights,
each residual branch and the embeddings; makemore/models/dropout.py, whose masks cost a CPU a sixth
of nn.Dropout's). Init as GPT-2/nanoGPT: N(0, 0.02) everywhere, the
projections into the residual stream scaled by 1/sqrt(2 n_layers), the table drawn first.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from makemore.config import ModelConfig
from makemore.models.base import CarryingDecoder, SequenceModel, lm_loss
from makemore.models.dropout import Dropout
from makemore.models.embedding import build_embedding, init_table

INIT_STD = 0.02  # GPT-2's weight scale


class CausalSelfAttention(nn.Module):
    """n_head heads of scaled dot-product attention, each position attending to itself and before."""

    def __init__(self, n_embd: int, n_head: int, dropout: float):
        super().__init__()
        self.n_head, self.dropout = n_head, dropout
        self.qkv = nn.Linear(n_embd, 3 * n_embd)  # queries, keys and values of every head in one matmul
        self.proj = nn.Linear(n_embd, n_embd)
        self.attn_dropout, self.resid_dropout = Dropout(dropout), Dropout(dropout)

    def forward(self, x: torch.Tensor, cache: dict | None = None) -> torch.Tensor:
        """cache (sampling only): the keys and values of the positions before x, extended here in place."""
        B, T, C = x.shape
        q, k, v = (
            t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, n_head, T, head size)
            for t in self.qkv(x).split(C, dim=2)
        )
        causal = True
        if cache is not None and "k" in cache:  # one new position attends to every cached one and itself
            assert T == 1, "a filled cache takes one position at a time"
            k, v, causal = torch.cat([cache["k"], k], dim=2), torch.cat([cache["v"], v], dim=2), False
        if cache is not None:
            cache["k"], cache["v"] = k, v
        if self.training and self.dropout > 0 and cache is None:  # SDPA with dropout_p, through our cheaper dropout
            att = (q @ k.transpose(-2, -1)) / math.sqrt(k.shape[-1])  # (B, n_head, T, T)
            later = torch.ones(T, T, dtype=torch.bool, device=x.device).triu_(1)  # a position's future
            att = self.attn_dropout(F.softmax(att.masked_fill(later, float("-inf")), dim=-1))
            y = att @ v
        else:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)  # (B, n_head, T, head size)
        y = y.transpose(1, 2).reshape(B, T, C)  # the heads side by side again
        return self.resid_dropout(self.proj(y))


class Block(nn.Module):
    """x + attention(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, n_embd: int, n_head: int, dropout: float):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(n_embd, 4 * n_embd),
            nn.GELU(),  # exact (erf): GPT-2 used a tanh approximation of it, which costs a CPU 2x the exact one
            nn.Linear(4 * n_embd, n_embd),
            Dropout(dropout),
        )

    def forward(self, x: torch.Tensor, cache: dict | None = None) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.mlp(self.ln_2(x))


class Transformer(SequenceModel):
    """Transformer language model: Vaswani et al. 2017, Attention Is All You Need, as GPT-2
    (Radford et al. 2019) arranges it; makemore.py's Transformer, with dropout."""

    def __init__(self, cfg: ModelConfig, vocab_size: int, block_size: int, embedding: str):
        super().__init__()
        self.block_size = block_size
        self.embedding = build_embedding(embedding, vocab_size, cfg.n_embd)
        init_table(self.embedding, std=INIT_STD)
        self.position = nn.Embedding(block_size, cfg.n_embd)
        self.drop = Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg.n_embd, cfg.n_head, cfg.dropout) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self.head = nn.Linear(cfg.n_embd, vocab_size, bias=False)
        self._init_weights(cfg.n_layers)

    @torch.no_grad()
    def _init_weights(self, n_layers: int) -> None:
        residual = {id(b.attn.proj) for b in self.blocks} | {id(b.mlp[2]) for b in self.blocks}
        for module in [self.position, *self.blocks.modules(), self.head]:  # not the table: init_table drew it
            if isinstance(module, (nn.Linear, nn.Embedding)):
                # each residual branch adds to x, so n_layers of them would grow its variance
                std = INIT_STD / math.sqrt(2 * n_layers) if id(module) in residual else INIT_STD
                module.weight.normal_(0.0, std)
            if isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.zero_()

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None, caches: list[dict] | None = None):
        """caches (sampling only, see KVDecoder): one per block; idx then holds the positions after the cached ones."""
        start = caches[0]["k"].shape[2] if caches and "k" in caches[0] else 0
        pos = torch.arange(start, start + idx.shape[1], device=idx.device)
        x = self.drop(self.embedding(idx) + self.position(pos))  # (B, T, n_embd)
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i])
        logits = self.head(self.ln_f(x))  # (B, T, vocab_size)
        return logits, lm_loss(logits, targets)

    def decoder(self, history: torch.Tensor) -> "KVDecoder":
        return KVDecoder(self, history)


class KVDecoder(CarryingDecoder):
    """Sampling with a key/value cache: each new character runs one position through the blocks, attending
    to the cached keys and values of the characters before it, instead of the whole name again (past block_size
    the window slides and every position moves, so the caches are filled anew from the window).
    """

    def fill(self) -> torch.Tensor:
        self.caches = [{} for _ in self.model.blocks]
        logits, _ = self.model(self.history, caches=self.caches)  # (n, t, V)
        return logits[:, -1]

    def step(self, keep: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        for cache in self.caches:
            cache["k"], cache["v"] = cache["k"][keep], cache["v"][keep]
        logits, _ = self.model(ids[:, None], caches=self.caches)  # (n, 1, V)
        return logits[:, -1]
