"""The lectures' 80/10/10 split, and the Corpus a run trains on: a word file read once, its vocabulary and splits.

    corpus = load_corpus(DataConfig(path="data/names.txt"))   # the words, their vocabulary and the split

or piece by piece: words.read_words, Vocab.from_words, split_words. (The examples a model learns from, and their
minibatches, are made from the split's words by makemore/data/examples.py.)
"""

import logging
import random
from dataclasses import dataclass

from makemore.config import DataConfig
from makemore.data.clean import prepare_words
from makemore.data.vocab import Vocab
from makemore.data.words import DataError, Words, read_words

log = logging.getLogger(__name__)


def split_words(words: list[str] | Words, seed: int, fractions=(0.8, 0.1)) -> tuple:
    """Shuffle with random.Random(seed) and cut train/val/test, exactly as the lectures do (Words for Words: their
    strs exist only while they are shuffled)."""
    compact = isinstance(words, Words)
    words = list(words)
    random.Random(seed).shuffle(words)
    n1 = int(fractions[0] * len(words))
    n2 = int((fractions[0] + fractions[1]) * len(words))
    train, val, test = words[:n1], words[n1:n2], words[n2:]
    count = len(words)
    if compact:
        del words  # the strs live on only in the three parts, until each is joined
        train, val, test = Words.of(train), Words.of(val), Words.of(test)
    if not (len(train) and len(val) and len(test)):
        raise DataError(
            f"{count} words are too few for a train/val/test split of 80/10/10: "
            "each part needs at least one word (6 words or more)"
        )
    return train, val, test


@dataclass(frozen=True)
class Corpus:
    """A word file read once: its vocabulary and its train/val/test words."""

    path: str
    vocab: Vocab
    splits: dict[str, Words]  # "train" | "val" | "test" -> words, in the split's shuffled order

    def __post_init__(self):  # lists of str (tests, notebooks) are held as Words too
        self.splits.update({k: Words.of(v) for k, v in self.splits.items() if not isinstance(v, Words)})

    @property
    def train_words(self) -> Words:
        return self.splits["train"]

    @property
    def longest_word(self) -> int:
        return max(split.longest for split in self.splits.values())


PARAMS_PER_CHAR = 5  # past this many parameters per training character a model learns its words by heart


def few_words_warning(corpus: Corpus, params: int) -> str | None:
    """A warning line when the training words are few for a model of `params` parameters, else None. (The default
    recipe on the bundled names has 0.7 parameters per character; on 300 words, 70.)"""
    chars = corpus.train_words.characters + len(corpus.train_words)  # + len: the end-of-word token is learned too
    if params <= PARAMS_PER_CHAR * chars:
        return None
    return (
        f"{corpus.path}: {len(corpus.train_words)} training words ({chars} characters) are few for "
        f"{params} parameters: expect it to learn them by heart (val rising, samples repeating training words); "
        f"try experiment=small_words"
    )


def load_corpus(cfg: DataConfig) -> Corpus:
    """Read, check (a table's column, odd characters: data/clean.py) and split cfg.path; logs one line saying what
    it found."""
    words = prepare_words(read_words(cfg.path), cfg, where=f"data.path {cfg.path}")
    vocab = Vocab.from_words(words)
    try:
        train, val, test = split_words(words, cfg.split_seed)
    except DataError as e:
        raise DataError(f"data.path {cfg.path}: {e}") from None
    distinct = words.distinct()
    log.info(
        f"{cfg.path}: {len(words)} words ({distinct} distinct, {len(words) - distinct} duplicates kept), "
        f"vocabulary of {len(vocab)} tokens, split {len(train)}/{len(val)}/{len(test)}"
    )
    return Corpus(cfg.path, vocab, {"train": train, "val": val, "test": test})
