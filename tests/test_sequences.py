"""build_sequences: the rows sequence models train on, checked against build_contexts."""

import pytest
import torch

from makemore.data.examples import build_contexts, build_sequences
from makemore.data.vocab import Vocab

WORDS = ["emma", "ab", "mamabebe", "a"]
VOCAB = Vocab.from_words(WORDS)  # . a b e m


def test_hand_worked_example():
    # "emma" with block_size=3: the stream is ". e m m a ."; the first row covers e m m, two more rows a and .
    X, Y = build_sequences(["emma"], VOCAB, 3)
    e, m, a = VOCAB.encode("ema")
    assert torch.equal(X, torch.tensor([[0, e, m], [e, m, m], [m, m, a]]))
    assert torch.equal(Y, torch.tensor([[e, m, m], [-1, -1, a], [-1, -1, 0]]))
    # a short word fits one row: inputs padded with 0, targets with -1
    X, Y = build_sequences(["ab"], VOCAB, 5)
    assert torch.equal(X, torch.tensor([[0, a, VOCAB.encode("b")[0], 0, 0]]))
    assert torch.equal(Y, torch.tensor([[a, VOCAB.encode("b")[0], 0, -1, -1]]))
    assert X.dtype == Y.dtype == torch.int64


@pytest.mark.parametrize("block_size", [1, 2, 3, 5, 9, 12])
def test_every_target_once_with_the_window_models_context(block_size):
    """Read row by row, the targets are build_contexts' targets in order, and each target's inputs
    (left-padded with 0) are build_contexts' context for it: the same examples, grouped in rows."""
    X, Y = build_sequences(WORDS, VOCAB, block_size)
    Xc, Yc = build_contexts(WORDS, VOCAB, block_size)
    assert X.shape == Y.shape and X.shape[1] == block_size
    rows, cols = torch.nonzero(Y != -1, as_tuple=True)  # row-major: word by word, target by target
    assert len(rows) == len(Yc) == sum(len(w) + 1 for w in WORDS)
    assert torch.equal(Y[rows, cols], Yc)
    padded = torch.cat([torch.zeros_like(X), X], dim=1)  # (N, 2 * block_size)
    contexts = torch.stack([padded[r, c + 1 : c + 1 + block_size] for r, c in zip(rows.tolist(), cols.tolist())])
    assert torch.equal(contexts, Xc)


def test_no_words_no_rows():
    X, Y = build_sequences([], VOCAB, 4)
    assert X.shape == Y.shape == (0, 4)
