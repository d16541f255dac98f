"""The contract every model follows; the loop, evaluation, checkpoints, sampler and diagnostics
rely on it and never look past it (they never ask which family or embedding they drive).

Construction, one signature for every family (makemore.models.build_model is the one caller):

    model = Family(cfg: ModelConfig, vocab_size: int, block_size: int, embedding: str)
    model.block_size   # context length: the most tokens it looks at (the sampler reads it)
    model.embedding    # the token table module (LookupEmbedding | OneHotEmbedding); diagnostics
                       # reads model.embedding.table, (vocab_size, n_embd). Drawn first (init_table),
                       # so embedding=lookup and embedding=onehot start from identical weights.

Two kinds, told apart by the class attribute `sequence`:

    sequence = False, window models (bigram, mlp, hierarchical): one prediction per context
        logits, loss = model(idx (B, block_size) int64, targets (B,) or None)   # logits (B, V)
    sequence = True, sequence models (rnn, gru, lstm, bow, transformer): one prediction per position
        logits, loss = model(idx (B, T) int64 with T <= block_size, targets (B, T) or None)  # (B, T, V)
        position t predicts token t + 1, and never sees a token after t (causal);
        targets == -1 are ignored (the padding after a word's end)

    loss is the mean cross-entropy over the targets that are not -1 (`lm_loss`).

Sampling, one call for both kinds:

    logits = model.next_logits(history (n, t) int64)   # (n, V): the token after each row
    decoder = model.decoder(history)                   # the same, incrementally, for a batch of growing names:
    logits = decoder.logits(); decoder.advance(keep, ids)   # keep: the rows that go on; ids: their new tokens
    every row is ONE boundary token 0 then the characters so far (t >= 1). Window models see it
    left-padded with 0 to block_size (their training contexts start with block_size boundaries),
    sequence models see its last block_size ids; both crop to the last block_size ids. A family
    whose next token can cost less than a whole forward pass over the history (the Transformer's
    key/value cache, the recurrent cells' states) returns its own Decoder from model.decoder; the others
    get the plain one.

The context length used when data.block_size is not given:

    Family.natural_block_size(cfg: ModelConfig, longest_word: int) -> int

Nonlinearities are nn.Module instances (nn.Tanh, nn.GELU, nn.Sigmoid, ...), never functional
calls: diagnostics hooks every one of them to histogram its input and output.
"""

import torch
import torch.nn.functional as F
from torch import nn


def lm_loss(logits: torch.Tensor, targets: torch.Tensor | None, reduction: str = "mean") -> torch.Tensor | None:
    """Mean cross-entropy over the targets that are not -1; logits (..., V), targets (...). reduction="none":
    each target's own loss, flat, 0 where the target is -1 (what evaluation sums)."""
    if targets is None:
        return None
    if logits.dim() == 2:  # a window model's (B, V): already flat
        return F.cross_entropy(logits, targets, ignore_index=-1, reduction=reduction)
    flat = logits.reshape(-1, logits.shape[-1])
    return F.cross_entropy(flat, targets.reshape(-1), ignore_index=-1, reduction=reduction)


class Decoder:
    """Next-token logits for a batch of growing histories, the plain way: next_logits over the history."""

    def __init__(self, model: nn.Module, history: torch.Tensor):
        self.model, self.history = model, history[:, -model.block_size :]  # (n, t): no model reads further back

    def logits(self) -> torch.Tensor:
        return self.model.next_logits(self.history)  # (n, V)

    def advance(self, keep: torch.Tensor, ids: torch.Tensor) -> None:
        """Drop the rows where keep is False; append ids (one per kept row) to the others."""
        self.history = torch.cat([self.history[keep], ids[:, None]], dim=1)[:, -self.model.block_size :]


class CarryingDecoder(Decoder):
    """A Decoder that carries what the model computed for the history so far (the Transformer's keys and values, the
    recurrent cells' states), so that each new character costs one position instead of a pass over the whole name.
    While a name fits in block_size positions that is exactly next_logits; past it, the window slides and every
    position would be read anew, so everything carried is computed again from the window.

    A family implements fill (from self.history, the window) and step (one new id per kept row, from what it carries
    for those rows); each returns the next logits (n, V)."""

    def __init__(self, model: nn.Module, history: torch.Tensor):
        super().__init__(model, history)
        with torch.no_grad():
            self._logits = self.fill()

    def fill(self) -> torch.Tensor:
        raise NotImplementedError

    def step(self, keep: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def logits(self) -> torch.Tensor:
        return self._logits  # (n, V)

    @torch.no_grad()
    def advance(self, keep: torch.Tensor, ids: torch.Tensor) -> None:
        full = self.history.shape[1] == self.model.block_size
        super().advance(keep, ids)
        self._logits = self.fill() if full else self.step(keep, ids)


class LanguageModel(nn.Module):
    """What every family shares: the plain Decoder, unless it has a faster one."""

    def decoder(self, history: torch.Tensor) -> Decoder:
        return Decoder(self, history)


class WindowModel(LanguageModel):
    """A model that reads exactly block_size ids and predicts the one after them."""

    sequence = False
    block_size: int

    @torch.no_grad()
    def next_logits(self, history: torch.Tensor) -> torch.Tensor:
        n, t = history.shape
        if t < self.block_size:  # "0 e m" -> "0 0 0 e m": the boundaries every training context starts with
            history = torch.cat([history.new_zeros(n, self.block_size - t), history], dim=1)
        logits, _ = self(history[:, -self.block_size :])  # (n, V)
        return logits


class SequenceModel(LanguageModel):
    """A model that reads up to block_size ids and predicts the next one at every position."""

    sequence = True
    block_size: int

    @torch.no_grad()
    def next_logits(self, history: torch.Tensor) -> torch.Tensor:
        logits, _ = self(history[:, -self.block_size :])  # (n, t, V)
        return logits[:, -1]  # (n, V)

    @classmethod
    def natural_block_size(cls, cfg, longest_word: int) -> int:
        return longest_word + 1  # the leading boundary and every character: the whole word in one row
