"""Scoring words (makemore/inference/scoring.py) for every family: a word's log-likelihood is the sum of its characters'
log-softmax, computed here one position at a time through next_logits, and the mean over a split is the loss the
trainer reports."""

import math

import pytest
import torch
import torch.nn.functional as F

from helpers import SCORED_VOCAB, SCORED_WORDS, family
from makemore.data.examples import Examples
from makemore.inference.evaluation import evaluate
from makemore.inference.scoring import dense_row_ids, loss_by_position, score_words, unknown_characters
from makemore.models import MODELS


def by_hand(model, word: str) -> list[float]:
    """-log P of each of the word's characters and its end token, one next_logits call per position."""
    ids = [0, *SCORED_VOCAB.encode(word), 0]
    return [-F.log_softmax(model.next_logits(torch.tensor([ids[:t]])), 1)[0, ids[t]].item() for t in range(1, len(ids))]


@pytest.mark.parametrize("name", list(MODELS))
def test_scores_are_the_sum_of_each_characters_log_probability(name):
    model = family(name)
    scores = score_words(model, SCORED_VOCAB, SCORED_WORDS)
    for i, word in enumerate(SCORED_WORDS):
        nll = by_hand(model, word)
        assert scores.targets[i] == len(word) + 1
        assert scores.log_likelihood[i].item() == pytest.approx(-sum(nll), abs=1e-5)
        assert scores.nll_per_char[i].item() == pytest.approx(sum(nll) / len(nll), abs=1e-5)
        assert scores.perplexity[i].item() == pytest.approx(math.exp(sum(nll) / len(nll)), rel=1e-5)
    assert scores.log_likelihood[0] == scores.log_likelihood[4]  # emma twice: evaluated once, the same number
    # the mean over every target is the trainer's loss (summed in another order: 1e-6)
    examples = Examples.build(SCORED_WORDS, SCORED_VOCAB, model.block_size, model.sequence)
    assert scores.target_nll.mean().item() == pytest.approx(evaluate(model, examples), abs=1e-6)


def test_positions_count_letters_then_the_end_token():
    scores = score_words(family("mlp"), SCORED_VOCAB, ["em", "ema"])
    assert scores.target_position.tolist() == [0, 1, 2, 0, 1, 2, 3]
    assert scores.is_end.tolist() == [False, False, True, False, False, False, True]
    rows = loss_by_position(scores, last=2)
    assert [(label, n) for label, n, _ in rows] == [("1", 2), ("2+", 3), ("end", 2)]
    nll = scores.target_nll
    assert rows[1][2] == pytest.approx(((nll[1] + nll[4] + nll[5]) / 3).item())
    assert rows[2][2] == pytest.approx(((nll[2] + nll[6]) / 2).item())


def test_dense_row_ids_agree_with_torch_unique():
    g = torch.Generator().manual_seed(0)
    for width, high in ((6, 27), (40, 5), (3, 2**20)):  # narrow, wide (several column groups), a big vocabulary
        rows = torch.randint(-1, high, (5000, width), generator=g)
        rows[2500:] = rows[:2500]  # every row twice
        index, inverse = dense_row_ids(rows)
        assert torch.equal(rows[index][inverse], rows)
        assert len(index) == len(torch.unique(rows, dim=0))


def test_unknown_characters_are_named_once_in_order():
    assert unknown_characters("zoëë-x", SCORED_VOCAB) == "zë-x"
    assert unknown_characters("emma", SCORED_VOCAB) == ""
