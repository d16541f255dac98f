import logging
import random
from pathlib import Path

import pytest
import torch

from helpers import ROOT, SHARED_NAMES, compose_config
from makemore.data.examples import build_contexts
from makemore.data.split import load_corpus, split_words
from makemore.data.vocab import Vocab
from makemore.data.words import MAX_WORD_LEN, DataError, load_words


def reference_contexts(words, vocab, block_size):
    """The lecture's loop, one character at a time."""
    stoi = vocab.stoi
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ix in [stoi[ch] for ch in w] + [0]:
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X, dtype=torch.long).view(-1, block_size), torch.tensor(Y, dtype=torch.long)


def test_vocab_is_boundary_then_sorted_characters():
    vocab = Vocab.from_words(["emma", "bob"])
    assert vocab.itos == (".", "a", "b", "e", "m", "o")
    assert vocab.encode("emma") == [3, 4, 4, 1]
    assert vocab.decode([2, 5, 2]) == "bob"


def test_boundary_stays_distinct_when_words_hold_a_dot():
    vocab = Vocab.from_words(["j.r.", "ann"])
    assert vocab.itos[0] != "." and "." in vocab.itos[1:]
    assert len(set(vocab.itos)) == len(vocab)


def test_emma_gives_the_seed_notes_five_contexts():
    vocab = Vocab.from_words(["emma"])  # . a e m -> 0 1 2 3
    X, Y = build_contexts(["emma"], vocab, block_size=3)
    # ... -> e, ..e -> m, .em -> m, emm -> a, mma -> .
    assert torch.equal(X, torch.tensor([[0, 0, 0], [0, 0, 2], [0, 2, 3], [2, 3, 3], [3, 3, 1]]))
    assert torch.equal(Y, torch.tensor([2, 3, 3, 1, 0]))
    shown = ["".join(vocab.itos[i] for i in x) + " -> " + vocab.itos[y] for x, y in zip(X.tolist(), Y.tolist())]
    assert shown == ["... -> e", "..e -> m", ".em -> m", "emm -> a", "mma -> ."]


@pytest.mark.parametrize("block_size", [1, 2, 3, 8])
def test_vectorised_contexts_match_the_lecture_loop(block_size):
    words = (ROOT / "data" / "names.txt").read_text().split()[:500] + ["a", "zz", "ñandú"]
    vocab = Vocab.from_words(words)
    X, Y = build_contexts(words, vocab, block_size)
    Xr, Yr = reference_contexts(words, vocab, block_size)
    assert X.dtype == torch.long and X.shape == (sum(len(w) + 1 for w in words), block_size)
    assert torch.equal(X, Xr) and torch.equal(Y, Yr)


def test_split_is_random_shuffle_with_the_seed_then_80_10_10():
    words = [f"w{i}" for i in range(1000)]
    train, val, test = split_words(words, seed=42)
    expected = list(words)
    random.seed(42)  # the lectures' way
    random.shuffle(expected)
    assert train == expected[:800] and val == expected[800:900] and test == expected[900:]
    assert words == [f"w{i}" for i in range(1000)]  # the caller's list is not shuffled in place


@pytest.mark.skipif(not SHARED_NAMES.exists(), reason="needs ../shared/data/names.txt")
def test_lecture_split_sizes_on_the_lecture_names():
    words = load_words(SHARED_NAMES)
    assert len(words) == 32033 and len(set(words)) == 29494  # duplicates kept
    vocab = Vocab.from_words(words)
    sizes = [len(build_contexts(part, vocab, 3)[0]) for part in split_words(words, seed=42)]
    assert sizes == [182625, 22655, 22866]  # Xtr, Xdev, Xte as printed in the lecture


def test_too_few_words_for_a_split():
    with pytest.raises(DataError, match="too few"):
        split_words(["a", "b", "c"], seed=42)


def test_load_words_strips_normalises_and_keeps_duplicates(tmp_path):
    path = tmp_path / "w.txt"
    path.write_bytes("\ufeffanna\r\n  bob \r\n\r\nanna\nJose\u0301\n".encode())  # BOM, CRLF, e + combining accent
    assert load_words(path) == ["anna", "bob", "anna", "Jos\u00e9"]


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such file"),
        (b"", "no words"),
        (b"\n \n\t\n", "no words"),
        (b"caf\xe9\n", "not UTF-8"),
        (b"a\x00b", "binary"),
    ],
)
def test_load_words_rejects_bad_files_naming_them(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError, match=message) as err:
        load_words(path)
    assert str(path) in str(err.value)


def test_load_words_rejects_a_directory(tmp_path):
    with pytest.raises(DataError, match="directory"):
        load_words(tmp_path)


def test_load_words_names_an_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "locked.txt"
    path.write_text("anna\n")

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)  # chmod 000 can't stop root, who runs CI here
    with pytest.raises(DataError, match="cannot be read \\(Permission denied\\)") as err:
        load_words(path)
    assert str(path) in str(err.value)


def test_load_words_rejects_one_enormous_line(tmp_path):
    path = tmp_path / "one_line.txt"
    path.write_text("anna\nbob\n" + "x" * (MAX_WORD_LEN + 1) + "\ncarl\n")
    with pytest.raises(DataError, match=f"line 3 is {MAX_WORD_LEN + 1:,} characters long") as err:
        load_words(path)
    assert str(path) in str(err.value)
    path.write_text("anna\n" + "x" * MAX_WORD_LEN + "\n")  # at the limit: still a word
    assert len(load_words(path)[1]) == MAX_WORD_LEN


def test_any_character_is_a_character(tmp_path):
    path = tmp_path / "w.txt"
    path.write_text("O'Brien\nAnne-Marie\nmary jo\nZo\u00eb\n\u00c5sa\nj.r.\n")
    words = load_words(path)
    assert words == ["O'Brien", "Anne-Marie", "mary jo", "Zo\u00eb", "\u00c5sa", "j.r."]
    vocab = Vocab.from_words(words)
    assert {"'", "-", " ", "\u00eb", "\u00c5", "O", "."} <= set(vocab.itos[1:])
    assert vocab.itos[0] not in vocab.itos[1:] and len(set(vocab.itos)) == len(vocab)
    assert all(vocab.decode(vocab.encode(w)) == w for w in words)
    X, Y = build_contexts(words, vocab, 3)
    assert torch.equal(X, reference_contexts(words, vocab, 3)[0]) and (Y == 0).sum() == len(words)


@pytest.mark.parametrize("n, ok", [(5, False), (6, True)])
def test_the_smallest_split(n, ok):
    words = [f"w{i}" for i in range(n)]
    if ok:
        assert [len(p) for p in split_words(words, seed=42)] == [4, 1, 1]
    else:
        with pytest.raises(DataError, match="6 words or more"):
            split_words(words, seed=42)


def test_duplicates_are_kept_and_counted(tmp_path, caplog):
    path = tmp_path / "w.txt"
    path.write_text("anna\nbob\nanna\ncarl\ndave\nanna\neve\nfred\n")
    cfg = compose_config([f"data.path={path}"])
    with caplog.at_level(logging.INFO, logger="makemore.data.split"):
        corpus = load_corpus(cfg.data)
    assert "8 words (6 distinct, 2 duplicates kept)" in caplog.text
    contexts = sum(len(build_contexts(split, corpus.vocab, 3)[1]) for split in corpus.splits.values())
    assert contexts == sum(len(w) + 1 for w in load_words(path))  # every "anna" is trained on
