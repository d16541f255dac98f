"""How likely a trained model finds given words: per character, per position, per word. score.py and evaluate.py.

    scores = score_words(model, vocab, ["emma", "xqzt"])    # WordScores: log-likelihoods, characters, positions
    rows, skipped = score_rows(model, vocab, ["emma", "zoë"]) # score.py's rows (COLUMNS); "zoë" skipped, said why
    scores.log_likelihood[0], scores.nll_per_char[0]        # nats; every character and the end token count
    unknown_characters("zoë", vocab)                        # "ë": characters the model never saw

A word's log-likelihood is log P(c1 .. cn, end | boundary), the sum over its n + 1 targets of the log-softmax the
model gives them: exactly the terms of the training loss, which is their mean over a split. The examples come from
examples.build_examples (the rows the trainer evaluates), so every family is scored the same way. Rows that repeat
(the same context and target: a window model sees "..emm" -> a in every "emma...") go through the model once.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from makemore.data.examples import build_examples
from makemore.data.vocab import Vocab
from makemore.data.words import DataError
from makemore.inference.evaluation import EVAL_CHUNK, IGNORE


def unknown_characters(word: str, vocab: Vocab) -> str:
    """The characters of `word` the model has no token for, in order of appearance, each once ("" if none)."""
    known = set(vocab.itos[1:])
    return "".join(dict.fromkeys(c for c in word if c not in known))


@dataclass(frozen=True)
class WordScores:
    words: list[str]
    log_likelihood: torch.Tensor  # (W,) float64, nats: log P(word, end)
    targets: torch.Tensor  # (W,) int64: len(word) + 1, the characters and the end token
    target_nll: torch.Tensor  # (sum of targets,) float64: -log P of each target, word after word
    target_position: torch.Tensor  # (sum of targets,) int64: 0 for a first letter, len(word) for the end token

    @property
    def nll_per_char(self) -> torch.Tensor:
        return -self.log_likelihood / self.targets  # (W,)

    @property
    def perplexity(self) -> torch.Tensor:
        return torch.exp(self.nll_per_char)  # (W,): the model's "number of choices" per character

    @property
    def is_end(self) -> torch.Tensor:
        """(sum of targets,) True where the target is a word's end token."""
        return self.target_position == torch.repeat_interleave(self.targets - 1, self.targets)


def dense_row_ids(rows: torch.Tensor, low: int = -1) -> tuple[torch.Tensor, torch.Tensor]:
    """(one index of each distinct row, inverse): rows[index][inverse] == rows. Values must be >= low.

    torch.unique(dim=0) sorts rows as rows (seconds for a million); this packs a few columns at a time into one
    int64 and ranks those instead, column group after column group: the same answer in a hundredth of the time.
    """
    n, width = rows.shape
    shifted = rows - low  # >= 0
    bits = max(1, int(shifted.max()).bit_length()) if n else 1
    per_group = max(1, (62 - max(1, n.bit_length())) // bits)  # ids (< n) x a group's code stay below 2**62
    ids = torch.zeros(n, dtype=torch.int64, device=rows.device)
    for start in range(0, width, per_group):
        group = shifted[:, start : start + per_group]
        code = (group << (bits * torch.arange(group.shape[1], device=rows.device))).sum(1)  # (n,)
        _, ids = torch.unique(ids * (1 << (bits * group.shape[1])) + code, return_inverse=True)
    index = torch.empty(int(ids.max()) + 1 if n else 0, dtype=torch.int64, device=rows.device)
    index.scatter_(0, ids, torch.arange(n, device=rows.device))  # any row of each id
    return index, ids


@torch.inference_mode()
def target_nll(model: nn.Module, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """-log P of every target (Y != -1) of build_examples' rows, in their row-major order, as float64.

    Identical (row, targets) pairs are evaluated once: the model is in eval mode, so a row's logits are a function
    of the row alone.
    """
    was_training = model.training
    model.eval()
    n = len(X)
    pairs = torch.cat([X, Y.reshape(n, -1)], dim=1)  # (N, inputs + targets)
    index, inverse = dense_row_ids(pairs, low=IGNORE)  # (U,), (N,)
    unique = pairs[index]
    Xu, Yu = unique[:, : X.shape[1]], unique[:, X.shape[1] :].reshape(-1, *Y.shape[1:])
    nll = torch.empty(Yu.shape, dtype=torch.float32, device=X.device)  # (U,) or (U, T)
    for i in range(0, len(Xu), EVAL_CHUNK):
        logits, _ = model(Xu[i : i + EVAL_CHUNK])  # (c, V) or (c, T, V)
        y = Yu[i : i + EVAL_CHUNK]
        flat = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), y.reshape(-1), ignore_index=IGNORE,
                               reduction="none")  # fmt: skip
        nll[i : i + EVAL_CHUNK] = flat.reshape(y.shape)
    model.train(was_training)
    per_row, keep = nll[inverse], Y != IGNORE  # (N,) or (N, T)
    return per_row[keep].double()  # row-major: the order build_examples lays the targets out in


def score_words(model: nn.Module, vocab: Vocab, words: list[str]) -> WordScores:
    """Every word's log-likelihood under the model (all characters must be in vocab: see unknown_characters)."""
    device = next(model.parameters()).device
    targets = torch.tensor([len(w) + 1 for w in words], dtype=torch.int64)  # (W,)
    X, Y = build_examples(words, vocab, model.block_size, model.sequence)
    nll = target_nll(model, X.to(device), Y.to(device)).cpu()  # (sum of targets,)
    ends = (Y[Y != IGNORE] == 0).nonzero().squeeze(1)  # the end tokens: the last target of each word, in order
    assert torch.equal(ends, torch.cumsum(targets, 0) - 1), "build_examples no longer lays targets out word by word"
    word_of_target = torch.repeat_interleave(torch.arange(len(words)), targets)
    first = torch.cumsum(targets, 0) - targets
    position = torch.arange(len(nll)) - first[word_of_target]
    log_likelihood = -torch.zeros(len(words), dtype=torch.float64).index_add_(0, word_of_target, nll)
    return WordScores(list(words), log_likelihood, targets, nll, position)


# chars: the predictions a word's score sums, its characters and its end token (len(word) + 1)
COLUMNS = ("word", "log_likelihood", "nll_per_char", "perplexity", "chars")


def score_rows(model: nn.Module, vocab: Vocab, words: list[str]) -> tuple[list[dict], list[str]]:
    """One row (COLUMNS) per word the model can score, in the order given, and one message per word it can't (a
    character it never saw); a DataError if it can score none of them."""
    unknown = [unknown_characters(w, vocab) for w in words]
    skipped = [f"{w!r}: characters the model never saw: {u!r}; not scored" for w, u in zip(words, unknown) if u]
    known = [w for w, u in zip(words, unknown, strict=True) if not u]
    if not known:
        raise DataError(f"no word could be scored: {skipped[0]}; the model knows {''.join(vocab.itos[1:])!r}")
    scores = score_words(model, vocab, known)
    rows = [
        dict(word=w, log_likelihood=ll, nll_per_char=nll, perplexity=ppl, chars=n)
        for w, ll, nll, ppl, n in zip(known, scores.log_likelihood.tolist(), scores.nll_per_char.tolist(),
                                      scores.perplexity.tolist(), scores.targets.tolist(), strict=True)
    ]  # fmt: skip
    return rows, skipped


def loss_by_position(scores: WordScores, last: int = 12) -> list[tuple[str, int, float]]:
    """(label, targets, mean NLL) for the 1st, 2nd, ... letter (positions from `last` on together, as "12+"), then
    the end token: where in a word the model is unsure."""
    rows = []
    letters = ~scores.is_end
    pos = scores.target_position.clamp(max=last - 1)
    for p in range(last):
        mask = letters & (pos == p)
        if mask.any():
            label = f"{p + 1}+" if p == last - 1 else str(p + 1)
            rows.append((label, int(mask.sum()), scores.target_nll[mask].mean().item()))
    end = scores.is_end
    rows.append(("end", int(end.sum()), scores.target_nll[end].mean().item()))
    return rows
