import random

import pytest
import torch

from conftest import ROOT, SHARED_NAMES
from makemore.data import DataError, Vocab, build_contexts, load_words, split_words


def reference_contexts(words, vocab, block_size):
    """The lecture's loop, one character at a time."""
    stoi = vocab.stoi
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + vocab.boundary:
            ix = stoi[ch]
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
