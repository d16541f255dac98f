"""Batched sampling: every name of a chunk grows together, one forward pass per character.

    model, vocab, cfg = model_from_checkpoint(load_checkpoint(find_checkpoint(None, prefer=(BEST, LAST), key="run")))
    names = list(generate(model, vocab, n=20, generator=g))   # lazily, CHUNK names at a time
    names = sample_batch(model, vocab, n=8, generator=g)      # a few names at once
    names = list(generate(model, vocab, 20, g, top_p=0.9, unique=True))   # nucleus sampling, no name twice

The sampler asks the model only for the next token's logits given the name so far
(model.next_logits), whatever its family. The arguments are checked once, by check_options,
before the first name is made.
"""

import math
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn

from makemore.data.vocab import Vocab

CHUNK = 8192  # names generated together; bounds memory whatever num_samples is
CHUNK_CELLS = CHUNK * 32  # names x characters of one chunk at most: fewer names at once for a long max_len
MAX_ROUNDS = 100  # only_new / unique: chunks drawn before giving up on finding enough new names
MAX_FRUITLESS = 5  # only_new / unique: chunks in a row without a single new name before giving up


class SamplingError(ValueError):
    """A sampling request that can't be met; the message says what would work."""


def encode_prefix(prefix: str, vocab: Vocab) -> list[int]:
    unknown = sorted(set(prefix) - set(vocab.itos[1:]))
    if unknown:
        raise SamplingError(
            f"prefix={prefix!r} has characters the model never saw: {''.join(unknown)!r}; "
            f"it knows {''.join(vocab.itos[1:])!r}"
        )
    return vocab.encode(prefix)


def draw(logits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One id per row from softmax(logits), by inverting the cumulative distribution.

    One uniform number per row, where torch.multinomial draws one per vocabulary entry: the same
    distribution at a fraction of the random numbers. Entries at -inf have zero width and are never hit.
    """
    weights = torch.exp(logits - logits.max(dim=1, keepdim=True).values)  # (rows, vocab_size), unnormalised
    cdf = torch.cumsum(weights, dim=1)  # (rows, vocab_size)
    u = torch.rand(len(cdf), 1, generator=generator, device=cdf.device) * cdf[:, -1:]  # (rows, 1) in [0, total)
    return torch.searchsorted(cdf, u, right=True).squeeze(1).clamp_(max=cdf.shape[1] - 1)  # (rows,)


def sample_batch(model: nn.Module, vocab: Vocab, n: int, generator: torch.Generator, **options) -> list[str]:
    """n names at once (see _chunk for the options); a name ends at the boundary token or at max_len characters."""
    check_options(vocab, n, **options)
    return _chunk(model, vocab, n, generator, **options)


@torch.inference_mode()
def _chunk(
    model: nn.Module,
    vocab: Vocab,
    n: int,
    generator: torch.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float = 1.0,
    prefix: str = "",
    max_len: int = 32,
) -> list[str]:
    device = next(model.parameters()).device
    prefix_ids = vocab.encode(prefix)
    # each row: the boundary, then the name so far, cropped to the model's context (it reads no more)
    history = torch.tensor([[0, *prefix_ids]], device=device).expand(n, -1)  # (n, t)
    decoder = model.decoder(history)
    steps = max_len - len(prefix_ids)
    drawn = []  # per step, (rows, ids): what the names still growing drew; memory grows with the names
    rows = torch.arange(n, device=device)  # the names still growing; only they go through the model
    for t in range(steps):
        logits = decoder.logits().float()  # (len(rows), vocab_size)
        if t == 0 and not prefix_ids:
            # an empty name is drawn again: the same as drawing from the rest, renormalised
            logits[:, 0] = -torch.inf
        # the max subtracted before dividing: a tiny temperature then sends the rest to -inf (greedy), never inf - inf
        logits = (logits - logits.max(dim=1, keepdim=True).values) / temperature
        if top_k is not None and top_k < logits.shape[1]:
            kth = torch.topk(logits, top_k, dim=1).values[:, -1:]  # (n, 1)
            logits = logits.masked_fill(logits < kth, -torch.inf)
        if top_p < 1:
            logits = nucleus(logits, top_p)
        nxt = draw(logits, generator)  # (len(rows),)
        drawn.append((rows, nxt))
        growing = nxt != 0  # a boundary ends the name
        if not growing.any():
            break
        rows = rows[growing]
        decoder.advance(growing, nxt[growing])
    out = torch.zeros(n, len(drawn), dtype=torch.long, device=device)  # (n, longest name + 1), 0 after a name ends
    for t, (rows, nxt) in enumerate(drawn):
        out[rows, t] = nxt
    names = []
    for row in out.tolist():
        end = row.index(0) if 0 in row else len(row)
        names.append(prefix + vocab.decode(row[:end]))
    return names


def nucleus(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """Holtzman et al. 2019: keep the likeliest characters whose probabilities first add up to top_p (at least one),
    the rest at -inf. logits (rows, V), max already subtracted."""
    probs = torch.softmax(logits, dim=1)
    sorted_probs, order = torch.sort(probs, dim=1, descending=True)  # (rows, V)
    before = torch.cumsum(sorted_probs, dim=1) - sorted_probs  # the mass of the likelier characters
    drop_sorted = before >= top_p  # the first character always stays: nothing comes before it
    drop = torch.zeros_like(drop_sorted).scatter_(1, order, drop_sorted)
    return logits.masked_fill(drop, -torch.inf)


def check_options(
    vocab: Vocab,
    n: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float = 1.0,
    prefix: str = "",
    max_len: int = 32,
) -> None:
    """Every sampling argument, before anything is generated: a SamplingError names the first one that's wrong."""
    if not n >= 1:
        raise SamplingError(f"num_samples={n}: expected an integer >= 1")
    if not (temperature > 0 and math.isfinite(temperature)):
        raise SamplingError(f"temperature={temperature}: expected a finite number > 0 (1 samples the model as trained)")
    if top_k is not None and not 1 <= top_k <= len(vocab):
        raise SamplingError(f"top_k={top_k}: expected null or 1..{len(vocab)} (the model has {len(vocab)} tokens)")
    if not 0 < top_p <= 1:
        raise SamplingError(f"top_p={top_p}: expected a number in (0, 1] (1 keeps every character)")
    if not max_len >= 1:
        raise SamplingError(f"max_len={max_len}: expected an integer >= 1")
    encode_prefix(prefix, vocab)
    if len(prefix) >= max_len:
        raise SamplingError(
            f"prefix={prefix!r} has {len(prefix)} characters: max_len={max_len} leaves no room to add one"
        )


def what_they_are(data_path: str | None) -> str:
    """What sample.py calls a run's words: names when its list is named so (data/names.txt, old_names.txt), else
    words (a list of Pokémon or French words makes no names)."""
    return "names" if data_path and "name" in Path(str(data_path)).stem.lower() else "words"


def generate(
    model: nn.Module,
    vocab: Vocab,
    n: int,
    generator: torch.Generator,
    exclude: set[str] | None = None,
    unique: bool = False,
    **options,
) -> Iterator[str]:
    """Exactly n names, CHUNK at a time, lazily: memory stays bounded whatever n is. Names in `exclude` are drawn
    again, and with unique=True so is a name already given. A request the model can't meet (it only makes so many
    different names) ends in a SamplingError after MAX_FRUITLESS chunks in a row without a name to give.

    The arguments are checked now, before the first name is asked for.
    """
    check_options(vocab, n, **options)
    return _generate(model, vocab, n, generator, exclude, unique, options)


def _generate(model, vocab, n, generator, exclude, unique, options) -> Iterator[str]:
    chunk = max(1, min(CHUNK, CHUNK_CELLS // options.get("max_len", 32)))  # bounded memory whatever max_len is
    picky = exclude is not None or unique  # some drawn names are not given: draw whole chunks, and know when to stop
    given = set()
    left, rounds, fruitless, drawn = n, 0, 0, 0
    while left > 0:
        if picky and (rounds == MAX_ROUNDS or fruitless == MAX_FRUITLESS):
            wanted = " ".join(w for w, on in (("new", exclude is not None), ("unique", unique)) if on)
            raise SamplingError(
                f"{'only_new' if exclude is not None else 'unique'}: found {n - left} of {n} {wanted} names in "
                f"{drawn:,} draws (the model makes few {'new ' * (exclude is not None)}names); ask for fewer, "
                "raise temperature or drop prefix, top_k and top_p"
            )
        rounds += 1
        size = chunk if picky else min(chunk, left)
        batch = _chunk(model, vocab, size, generator, **options)
        drawn += size
        found = left
        for name in batch:
            if (exclude is not None and name in exclude) or (unique and name in given):
                continue
            if unique:
                given.add(name)
            yield name
            left -= 1
            if left == 0:
                return
        fruitless = fruitless + 1 if left == found else 0
