"""The likeliest names rather than random ones: greedy decoding and beam search (sample.py mode=greedy|likeliest).

    name, log_likelihood = greedy(model, vocab, prefix="ka")
    for name, log_likelihood in likeliest(model, vocab, n=20, beam_width=100, prefix="ka"): ...

Log-likelihoods are the model's own, log P(c1 .. cn, end | boundary) in nats, the number score.py prints: an empty
name is never proposed, but its probability is not taken out of the others'. A name must end (the end token)
within max_len characters, and have min_len at least: a name's log-likelihood only falls as it grows, so without a
floor the likeliest names are the shortest (s, ha, ca). sample.py's default floor is the length of the shortest
twentieth of the training words (short_length: 4 on the bundled names).

Beam search keeps the beam_width likeliest unfinished names at each length and sets aside every name that ends on
the way; it stops once no unfinished name is as likely as the n-th name set aside (a longer name is never likelier
than its own beginning). The greedy name is set aside too, so the first name of the list is at least as likely as
greedy's: beam search alone can drop greedy's path for beginnings that later go nowhere.
"""

import torch
import torch.nn.functional as F
from torch import nn

from makemore.data.vocab import Vocab
from makemore.inference.sampling import SamplingError, encode_prefix


def _log_probs(model: nn.Module, history: torch.Tensor) -> torch.Tensor:
    return F.log_softmax(model.next_logits(history).float(), dim=1).double()  # (n, V)


def _start(model: nn.Module, vocab: Vocab, prefix: str) -> tuple[torch.Tensor, float]:
    """The history "boundary, prefix" as a (1, t) row, and the prefix's own log-likelihood."""
    device = next(model.parameters()).device
    ids = [0, *encode_prefix(prefix, vocab)]
    history = torch.tensor([ids], device=device)
    score = sum(_log_probs(model, history[:, :t])[0, ids[t]].item() for t in range(1, len(ids)))
    return history, score


@torch.inference_mode()
def greedy(model: nn.Module, vocab: Vocab, prefix: str = "", max_len: int = 32) -> tuple[str, float] | None:
    """The name made by always taking the likeliest next character, and its log-likelihood; None if it doesn't
    end within max_len characters."""
    history, score = _start(model, vocab, prefix)
    for t in range(max_len - len(prefix) + 1):
        logp = _log_probs(model, history)[0]  # (V,)
        choice = logp.clone()
        if history.shape[1] == 1:
            choice[0] = -torch.inf  # an empty name is no name
        nxt = int(choice.argmax())
        score += logp[nxt].item()
        if nxt == 0:
            return prefix + vocab.decode(history[0, len(prefix) + 1 :].tolist()), score
        if t == max_len - len(prefix):
            return None  # max_len characters, and the end is still not the likeliest next token
        history = torch.cat([history, history.new_tensor([[nxt]])], dim=1)
    return None


@torch.inference_mode()
def likeliest(
    model: nn.Module,
    vocab: Vocab,
    n: int,
    beam_width: int = 100,
    prefix: str = "",
    max_len: int = 32,
    exclude: set[str] | frozenset[str] = frozenset(),
    min_len: int = 1,
) -> list[tuple[str, float]]:
    """The n likeliest names beam search finds (see the module docstring), likeliest first, with log-likelihoods.
    exclude: names never set aside (sample.py's only_new: the training words), so n others are found instead;
    min_len: the fewest characters a name set aside has."""
    if beam_width < 1:
        raise SamplingError(f"beam_width={beam_width}: expected an integer >= 1 (names kept growing at each length)")
    if not 1 <= min_len <= max_len:
        raise SamplingError(f"min_len={min_len}: expected an integer from 1 to max_len={max_len}")
    history, start = _start(model, vocab, prefix)
    scores = torch.tensor([start], dtype=torch.float64, device=history.device)  # (beam,)
    done: dict[str, float] = {}
    found = greedy(model, vocab, prefix, max_len)
    if found is not None and found[0] not in exclude and len(found[0]) >= min_len:
        done[found[0]] = found[1]
    for length in range(len(prefix), max_len + 1):
        total = scores[:, None] + _log_probs(model, history)  # (beam, V): each name so far, then each next token
        ends = total[:, 0].tolist() if length >= max(min_len, 1) else []  # an empty name is no name
        for row, score in enumerate(ends):
            name = prefix + vocab.decode(history[row, len(prefix) + 1 :].tolist())
            if name in exclude:
                continue
            done[name] = max(score, done.get(name, -torch.inf))  # greedy's too: float noise apart, the same number
        nth = sorted(done.values(), reverse=True)[n - 1] if len(done) >= n else -torch.inf
        grow = total[:, 1:].flatten()  # (beam * (V - 1),)
        if length == max_len or not grow.max() > nth:  # nothing growing can beat the n-th name any more
            break
        best = torch.topk(grow, min(beam_width, len(grow)))
        keep = best.values > nth
        parents, ids = best.indices[keep] // (total.shape[1] - 1), best.indices[keep] % (total.shape[1] - 1) + 1
        history = torch.cat([history[parents], ids[:, None]], dim=1)  # (beam, t + 1)
        scores = best.values[keep]
    ranked = sorted(done.items(), key=lambda item: -item[1])[:n]
    if len(ranked) < n:
        raise SamplingError(
            f"mode=likeliest: found {len(ranked)} of num_samples={n} names ending within max_len={max_len} "
            f"characters{f' with min_len={min_len} or more' if min_len > 1 else ''}"
            f"{' and not among the training words' if exclude else ''}; ask for fewer, or raise "
            f"beam_width={beam_width} or max_len{' (or lower min_len)' if min_len > 1 else ''}"
        )
    return ranked


SHORT_SHARE = 0.05  # short_length: the share of the training words shorter than sample.py's default min_len


def short_length(words) -> int:
    """The length of the shortest twentieth of the words (their 5th percentile): mode=likeliest's default min_len,
    a floor that real words clear."""
    lengths = sorted(map(len, words))
    return max(1, lengths[int(SHORT_SHARE * len(lengths))]) if lengths else 1
