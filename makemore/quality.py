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
from dataclasses import dataclass

import torch
from torch import nn

from makemore.data import Vocab
from makemore.sampling import sample_batch

BOUNDARY = ""  # the boundary in bigram keys: no character is empty, so it can't clash with one


def bigrams(words) -> Counter:
    counts = Counter()
    for w in words:
        chars = [BOUNDARY, *w, BOUNDARY]
        counts.update(zip(chars, chars[1:]))
    return counts


@dataclass(frozen=True)
class Reference:
    """What the names are compared with: the training words' set, lengths and bigram counts, computed once."""

    words: frozenset
    lengths: Counter
    bigrams: Counter

    @classmethod
    def of(cls, words: list[str]) -> "Reference":
        return cls(frozenset(words), Counter(map(len, words)), bigrams(words))


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

    def __init__(self, model: nn.Module, vocab: Vocab, train_words: list[str], samples: int, seed: int):
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
