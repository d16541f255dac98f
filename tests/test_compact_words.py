"""Words held compactly (makemore/data/words.py Words): the same words, splits, checkpoints, quality numbers and memory
estimates as the lists of str they replace."""

import dataclasses
import random
from collections import Counter

import pytest
import torch

import makemore.inference.quality
from makemore.config import Config
from makemore.data.split import Corpus, split_words
from makemore.data.vocab import Vocab
from makemore.data.words import MAX_WORD_LEN, DataError, Words, load_words, read_words
from makemore.inference.quality import Reference, WordSet, bigrams
from makemore.models import MODELS, block_size_for, build_model
from makemore.runs.checkpoint import load_checkpoint
from makemore.runs.layout import RunDir
from makemore.training import memory
from makemore.training.checkpoints import CheckpointWriter

WORDS = ["emma", "olivia", "", "ava", "x" * 30, "z\u00e9", "emma"]


def per_word_bigrams(words):  # the definition: each word between boundaries
    counts = Counter()
    for w in words:
        chars = ["", *w, ""]
        counts.update(zip(chars, chars[1:]))
    return counts


def test_words_iterate_compare_and_count_across_chunks(monkeypatch):
    monkeypatch.setattr("makemore.data.words.CHUNK", 7)  # many chunks of a few words
    words = Words.of(WORDS)
    assert list(words) == WORDS and words == WORDS and words == Words.of(WORDS) and words != WORDS[:-1]
    assert len(words) == 7 and words.characters == sum(map(len, WORDS)) and words.longest == 30
    assert list(Words.of([])) == [] and list(Words.of([""])) == [""] and Words.of([]) != [""]
    assert words.distinct() == 6
    with pytest.raises(ValueError):
        Words.of(["a\nb"])


def test_read_words_in_chunks_is_load_words_and_names_the_line(tmp_path, monkeypatch):
    path = tmp_path / "w.txt"
    lines = [f" w{i}\r" if i % 3 else "" for i in range(500)]
    path.write_text("\n".join(lines) + "\n")
    whole = load_words(path)
    monkeypatch.setattr("makemore.data.words.CHUNK", 16)
    assert read_words(path) == whole == [w.strip() for w in lines if w.strip()]
    path.write_text("\n".join(lines[:400] + ["x" * (MAX_WORD_LEN + 1)] + lines[400:]))
    with pytest.raises(DataError, match="line 401 is"):
        read_words(path)


def test_split_of_words_is_the_split_of_the_list():
    words = [f"w{i % 37}" for i in range(1000)]
    for got, expected in zip(split_words(Words.of(words), 42), split_words(words, 42), strict=True):
        assert isinstance(got, Words) and got == expected


@pytest.mark.parametrize("chunk", [5, 7, 10**6])  # bigrams counts a chunk of characters at a time: pairs across
def test_bigrams_and_membership_are_exact(chunk, monkeypatch):  # the chunks' edges are counted once
    monkeypatch.setattr(makemore.inference.quality, "BIGRAM_CHUNK", chunk)
    rng = random.Random(0)
    words = ["".join(rng.choice("ab\u00e9") for _ in range(rng.randint(0, 4))) for _ in range(300)]
    assert bigrams(words) == per_word_bigrams(words) and bigrams(Words.of(words)) == per_word_bigrams(words)
    wide = [chr(0x4E00 + i) + "a" for i in range(300)]  # more than 256 characters: int32 codes
    assert bigrams(wide) == per_word_bigrams(wide)
    members = WordSet(Words.of(words))
    assert all(w in members for w in words) and "abab\u00e9" not in members and "c" not in members
    ref = Reference.of(Words.of(words))
    assert ref.lengths == Counter(map(len, words))


def test_checkpoint_stores_train_words_joined_and_loads_the_list(tmp_path):
    cfg = Config()
    cfg.model.name, cfg.data.block_size = "bigram", 1
    vocab = Vocab.from_words(["anna", "bob"])
    model = build_model(cfg, len(vocab))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    rng = {"torch": torch.get_rng_state(), "batches": torch.Generator().get_state(), "cuda": None, "mps": None}
    extra = dict(best_val_loss=1.0, rng=rng, loss_window=torch.zeros(0), train_seconds=0.0)
    for train_words in (Words.of(["anna", "bob"]), ["anna", "bob"], []):
        writer = CheckpointWriter(RunDir(tmp_path), model, optimizer, dataclasses.asdict(cfg), vocab, train_words)
        path = writer.save("last.pt", 1, **extra)
        stored = torch.load(path, weights_only=True)["train_words"]
        assert isinstance(stored, str) and load_checkpoint(path)["train_words"] == list(train_words)
    old = torch.load(path, weights_only=True) | {"train_words": ["anna", "bob"]}  # before: a list, and no digest
    del old["digest"]
    torch.save(old, path)
    assert load_checkpoint(path)["train_words"] == ["anna", "bob"]


@pytest.mark.parametrize("family", list(MODELS))
def test_the_real_model_estimate_is_the_meta_one(family, monkeypatch):
    words = Words.of([f"{'abcdefg'[i % 7] * (1 + i % 9)}" for i in range(200)])
    corpus = Corpus("w", Vocab.from_words(words), dict(zip(("train", "val", "test"), split_words(words, 1))))
    cfg = Config()
    cfg.model.name = family
    cfg.data.block_size = block_size_for(cfg, corpus.longest_word)
    real = memory.estimate(cfg, corpus)
    monkeypatch.setattr(memory, "REAL_BUILD", 0)  # every model on the meta device
    assert memory.estimate(cfg, corpus) == real
    state = torch.get_rng_state()
    monkeypatch.setattr(memory, "REAL_BUILD", 4)
    memory.estimate(cfg, corpus)
    assert torch.equal(torch.get_rng_state(), state)  # the real build's draws are given back


def test_too_few_words_as_words_is_the_same_refusal():
    with pytest.raises(DataError, match="^5 words are too few"):
        split_words(Words.of(["a", "b", "c", "d", "e"]), 42)
