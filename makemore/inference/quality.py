"""Are the samples any good? Numbers that put the names a model makes next to its training words.

    reference = Reference.of(train_words)
    quality(names, reference)   # {"new": 0.71, "distinct": 0.98, "length_distance": 0.21, "bigram_js": 0.012}

    new               share of the names that are not training words (a model that learned its words by heart: 0)
    distinct          share of the names that are different from each other (distinct names / names)
    length_distance   earth mover's distance between the names' length distribution and the training words', in
                      characters: how far the lengths would have to move, on average, to match
    bigram_js         Jensen-Shannon divergence, in bits (0 = the same, 1 = nothing in common), between the
                      character-bigram distributions (the boundary included: first and last letters count)

A loss says how well the model predicts held-out words; these say whether what it makes looks like the words it
learned from. The trainer writes them to TensorBoard at each evaluation (QualityProbe, tags quality/<name>, from
train.quality_samples names); `sample.py stats=true` prints them for the names it printed.
"""

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn

from makemore.data.examples import token_stream
from makemore.data.vocab import Vocab
from makemore.data.words import Words
from makemore.inference.sampling import sample_batch

# pairs counted at a time: ~1 MB of int64 temporaries, reused from one chunk to the next (pairs of all the words at
# once, or chunks of several MB, were left resident by the allocator: 75 MB and 50 MB at 1M words)
BIGRAM_CHUNK = 2**16
DENSE_PAIRS = 2**20  # pairs (alphabet size squared) up to which bigrams() counts into a table of them all: 8 MB
BOUNDARY = ""  # the boundary in bigram keys: no character is empty, so it can't clash with one


def bigrams(words: Iterable[str] | Words) -> Counter:
    """Counts of (a, b) character pairs, each word between boundaries. Counted on the words' token stream,
    "0 w1 0 w2 .. 0" (makemore/data/examples.py, a byte a character), BIGRAM_CHUNK pairs at a time: a single boundary
    closes a word and opens the next, so the pairs are exactly each word's own. A table of every pair while that
    is small (DENSE_PAIRS); over a large alphabet (30,000 CJK characters: 900 million pairs, 7 GB) only the pairs
    that occur, each chunk's counted with torch.unique."""
    words = words if isinstance(words, Words) else Words.of(words)
    if not len(words):
        return Counter()
    vocab = Vocab.from_words(words)
    ids, n = token_stream(words, vocab), len(vocab)  # (L,)
    dense = n * n <= DENSE_PAIRS
    counts = torch.zeros(n * n if dense else 0, dtype=torch.int64)  # (pairs,)
    found = Counter()  # pair code -> count, when not dense
    for start in range(0, len(ids) - 1, BIGRAM_CHUNK):
        part = ids[start : start + BIGRAM_CHUNK + 1].long()
        codes = part[:-1] * n + part[1:]  # (chunk,)
        if dense:
            counts += torch.bincount(codes, minlength=n * n)
        else:
            found.update(dict(zip(*(t.tolist() for t in torch.unique(codes, return_counts=True)))))
    if dense:
        found = {i: c for i, c in enumerate(counts.tolist()) if c}
    keys = [BOUNDARY, *vocab.itos[1:]]
    return Counter({(keys[i // n], keys[i % n]): c for i, c in found.items()})


class WordSet:
    """Exact membership in many words, at ~24 bytes a word: their hashes sorted, each match checked against the
    word itself (a frozenset of a million words costs ~90 MB: its table and a str object per word)."""

    def __init__(self, words: Words):
        self.words, self.starts = words, words.starts()
        self.hashes, self.order = torch.sort(words.hashes())

    def __contains__(self, word: str) -> bool:
        h = hash(word)
        i = int(torch.searchsorted(self.hashes, torch.tensor([h]))[0])
        while i < len(self.hashes) and int(self.hashes[i]) == h:
            j = int(self.order[i])
            start = self.starts[j]
            if self.words.text[start : start + self.words.lengths[j]] == word:
                return True
            i += 1
        return False


@dataclass(frozen=True)
class Reference:
    """What the names are compared with: the training words' set, lengths and bigram counts, computed once."""

    words: WordSet
    lengths: Counter
    bigrams: Counter

    @classmethod
    def of(cls, words: Iterable[str] | Words) -> "Reference":
        words = words if isinstance(words, Words) else Words.of(words)
        return cls(WordSet(words), Counter(words.lengths), bigrams(words))


def length_distance(a: Counter, b: Counter) -> float:
    """Earth mover's distance between two length histograms: the area between their cumulative distributions."""
    na, nb = sum(a.values()), sum(b.values())
    distance, ca, cb = 0.0, 0.0, 0.0
    for length in range(min(a | b), max(a | b)):
        ca, cb = ca + a[length] / na, cb + b[length] / nb
        distance += abs(ca - cb)
    return distance


def js_divergence(p: Counter, q: Counter) -> float:
    """Jensen-Shannon divergence of two count tables, in bits: symmetric, finite where one has a zero."""
    sp, sq = sum(p.values()), sum(q.values())
    total = 0.0
    for key in p.keys() | q.keys():
        pk, qk = p[key] / sp, q[key] / sq
        m = (pk + qk) / 2
        total += (pk * math.log2(pk / m) if pk else 0.0) + (qk * math.log2(qk / m) if qk else 0.0)
    return total / 2


def quality(names: list[str], reference: Reference) -> dict[str, float]:
    """The four numbers of the module docstring for `names` against `reference`."""
    if not names:
        raise ValueError("quality: no names to measure")
    return {
        "new": sum(n not in reference.words for n in names) / len(names),
        "distinct": len(set(names)) / len(names),
        "length_distance": length_distance(Counter(map(len, names)), reference.lengths),
        "bigram_js": js_divergence(bigrams(names), reference.bigrams),
    }


class QualityProbe:
    """At each evaluation: `samples` names from the model in eval mode, from a generator of its own seeded the
    same way every time (the numbers move only because the model did), measured against the training words.
    It draws no number from torch's global generator, so training is the same with it or without it."""

    def __init__(self, model: nn.Module, vocab: Vocab, train_words: Words | list[str], samples: int, seed: int):
        self.model, self.vocab, self.samples, self.seed = model, vocab, samples, seed
        self.reference = Reference.of(train_words)

    def measure(self) -> dict[str, float]:
        was_training = self.model.training
        self.model.eval()
        try:
            device = next(self.model.parameters()).device
            generator = torch.Generator(device=device).manual_seed(self.seed)
            names = sample_batch(self.model, self.vocab, self.samples, generator)
        finally:
            self.model.train(was_training)
        return quality(names, self.reference)
