"""How likely a trained model finds given words: per character, per position, per word. score.py and evaluate.py.

    scores = score_words(model, vocab, ["emma", "xqzt"])    # WordScores: log-likelihoods, characters, positions
    rows, skipped = score_rows(model, vocab, ["emma", "zoë"]) # score.py's rows (COLUMNS); "zoë" skipped, said why
    for part in score_chunks(model, vocab, words, print):  # the same for any number of words, a chunk at a time
    scores.log_likelihood[0], scores.nll_per_char[0]        # nats; every character and the end token count
    unknown_characters("zoë", vocab)                        # "ë": characters the model never saw

A word's log-likelihood is log P(c1 .. cn, end | boundary), the sum over its n + 1 targets of the log-softmax the
model gives them: exactly the terms of the training loss, which is their mean over a split. The examples come from
examples.build_examples (the rows the trainer evaluates), so every family is scored the same way. Rows that repeat
(the same context and target: a window model sees "..emm" -> a in every "emma...") go through the model once.
"""

import heapq
import json
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

import torch
import torch.nn.functional as F
from torch import nn

from makemore.data.examples import build_examples
from makemore.data.vocab import Vocab
from makemore.data.words import DataError, Words
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
    return position_rows(*position_sums(scores, last))


def position_sums(scores: WordScores, last: int = 12) -> tuple[torch.Tensor, torch.Tensor]:
    """The NLL summed (float64) and the targets counted (int64) at the 1st, 2nd, ... letter (from `last` on
    together) and at the end token: (last + 1,) each, to add up over chunks of words."""
    slot = torch.where(scores.is_end, last, scores.target_position.clamp(max=last - 1))  # (sum of targets,)
    sums = torch.zeros(last + 1, dtype=torch.float64).index_add_(0, slot, scores.target_nll)
    return sums, torch.bincount(slot, minlength=last + 1)


def position_rows(sums: torch.Tensor, counts: torch.Tensor) -> list[tuple[str, int, float]]:
    """loss_by_position's rows from position_sums' (added up) numbers."""
    last = len(sums) - 1
    rows = [(f"{p + 1}+" if p == last - 1 else str(p + 1), int(counts[p]), (sums[p] / counts[p]).item())
            for p in range(last) if counts[p]]  # fmt: skip
    return [*rows, ("end", int(counts[last]), (sums[last] / counts[last]).item())]


SCORE_CHUNK = 4096  # words scored at a time: their examples and rows (~1 kB a word) exist for a chunk, not for all


def chunks(words: Iterable[str], size: int | None = None) -> Iterator[list[str]]:
    """The words as lists of `size` (default SCORE_CHUNK; the last may be shorter): a list, a Words, a generator."""
    it, size = iter(words), size or SCORE_CHUNK
    while chunk := list(islice(it, size)):
        yield chunk


@dataclass(frozen=True)
class Scored:
    """score.py's numbers for any number of words, held compactly: the words scored (Words, about a byte a
    character) and two numbers each, in the order given."""

    words: Words
    log_likelihood: torch.Tensor  # (W,) float64, nats
    targets: torch.Tensor  # (W,) int64: characters + the end token
    skipped: int = 0  # words given that the model could not score

    def rows(self, order: torch.Tensor | None = None) -> Iterator[dict]:
        """The rows (COLUMNS), made SCORE_CHUNK at a time, in `order` (word indices; None: as given)."""
        starts, text, lengths, size = self.words.starts(), self.words.text, self.words.lengths, SCORE_CHUNK
        order = torch.arange(len(self.targets)) if order is None else order
        for i in range(0, len(order), size):
            ids = order[i : i + size]
            ll, n = self.log_likelihood[ids], self.targets[ids]
            nll = -ll / n
            for j, ll_j, nll_j, ppl_j, n_j in zip(ids.tolist(), ll.tolist(), nll.tolist(), torch.exp(nll).tolist(),
                                                  n.tolist(), strict=True):  # fmt: skip
                word = text[starts[j] : starts[j] + lengths[j]]
                yield dict(word=word, log_likelihood=ll_j, nll_per_char=nll_j, perplexity=ppl_j, chars=n_j)


def score_chunks(model: nn.Module, vocab: Vocab, words: Iterable[str], skipped: Callable[[str], None]
                 ) -> Iterator[Scored]:  # fmt: skip
    """score_rows over any number of words, SCORE_CHUNK at a time, as Scored per chunk: memory holds a chunk's
    examples, never every word's rows. skipped(message) hears of each word the model can't score as it comes; a
    DataError at the end if it could score none."""
    known_chars, first_skipped, scored_any = set(vocab.itos[1:]), None, False
    for chunk in chunks(words):
        known, skips = [w for w in chunk if set(w) <= known_chars], 0
        if len(known) < len(chunk):
            for w in chunk:
                if unknown := unknown_characters(w, vocab):
                    message = f"{w!r}: characters the model never saw: {unknown!r}; not scored"
                    first_skipped, skips = first_skipped or message, skips + 1
                    skipped(message)
        if known:
            scores = score_words(model, vocab, known)
            yield Scored(Words.of(known), scores.log_likelihood, scores.targets, skips)
            scored_any = True
        elif skips:
            yield Scored(Words.of([]), torch.zeros(0, dtype=torch.float64), torch.zeros(0, dtype=torch.int64), skips)
    if not scored_any:
        raise DataError(f"no word could be scored: {first_skipped}; the model knows {''.join(vocab.itos[1:])!r}")


def score_all(model: nn.Module, vocab: Vocab, words: Iterable[str], skipped: Callable[[str], None]) -> Scored:
    """score_chunks' chunks as one Scored: what a sort needs (about 30 bytes a word)."""
    return joined(score_chunks(model, vocab, words, skipped))


def joined(parts: Iterable[Scored]) -> Scored:
    """Chunks' Scored as one."""
    texts, lengths, lls, targets, skips = [], array("I"), [], [], 0
    for part in parts:
        if len(part.words):
            texts.append(part.words.text)
            lengths.extend(part.words.lengths)
        lls.append(part.log_likelihood)
        targets.append(part.targets)
        skips += part.skipped
    return Scored(Words("\n".join(texts), lengths), torch.cat(lls), torch.cat(targets), skips)


RUN_WORDS = 2**16  # likeliest_first: words sorted in memory at a time (a few MB); a longer input is merged from disk


def likeliest_first(parts: Iterable[Scored], run_words: int = RUN_WORDS) -> tuple[Iterator[dict], dict]:
    """Every scored word's row, likeliest first (equal scores in the order given), in the memory of run_words words
    whatever the input: each run of that many is sorted and, when more follow, kept in a temporary file (a JSON line
    a row), and the runs are merged. Also the totals: words, skipped, targets, log_likelihood, longest (a word)."""
    runs, held, held_words = [], [], 0
    totals = dict(words=0, skipped=0, targets=0, log_likelihood=0.0, longest=0)
    for part in parts:
        totals["words"] += len(part.words)
        totals["skipped"] += part.skipped
        totals["targets"] += int(part.targets.sum())
        totals["log_likelihood"] += part.log_likelihood.sum().item()
        totals["longest"] = max(totals["longest"], part.words.longest if len(part.words) else 0)
        held.append(part)
        held_words += len(part.words)
        if held_words >= run_words:
            runs.append(spilled(sorted_run(joined(held), totals["words"] - held_words)))
            held, held_words = [], 0
    last = sorted_run(joined(held), totals["words"] - held_words) if held else iter(())
    if runs:  # more than one run: the last joins the others on disk, and they are merged
        runs.append(spilled(last))
        last = heapq.merge(*(map(json.loads, f) for f in runs), key=lambda entry: (entry[0], entry[1]))
    return (row for _, _, row in last), totals


def sorted_run(scores: Scored, offset: int) -> Iterator[tuple[float, int, dict]]:
    """(-log-likelihood, the word's place in the input, its row) for each word of one run, likeliest first."""
    order = torch.argsort(-scores.log_likelihood, stable=True)
    for index, row in zip((order + offset).tolist(), scores.rows(order), strict=True):
        yield -row["log_likelihood"], index, row


def spilled(run: Iterator[tuple[float, int, dict]]):
    """A sorted run written to a temporary file (gone when closed), read back from its start."""
    f = tempfile.TemporaryFile("w+", encoding="utf-8")
    for entry in run:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")
    f.seek(0)
    return f
