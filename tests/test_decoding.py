"""Decoding the likeliest names (inference/decoding.py), nucleus sampling and unique names (inference/sampling.py)."""

import itertools
import math

import pytest
import torch

from helpers import ROOT, SCORED_VOCAB, family
from makemore.inference.decoding import greedy, likeliest, short_length
from makemore.inference.sampling import SamplingError, generate, nucleus
from makemore.inference.scoring import score_words
from makemore.models import MODELS


def all_names(model, max_len: int) -> dict[str, float]:
    """Every name of up to max_len characters with its log-likelihood: the brute-force answer."""
    names = ["".join(p) for n in range(1, max_len + 1) for p in itertools.product(SCORED_VOCAB.itos[1:], repeat=n)]
    scores = score_words(model, SCORED_VOCAB, names)
    return dict(zip(names, scores.log_likelihood.tolist(), strict=True))


@pytest.mark.parametrize("name", list(MODELS))
def test_the_beams_best_name_is_at_least_as_likely_as_greedys(name):
    for seed in range(3):
        model = family(name, seed)
        found = greedy(model, SCORED_VOCAB, max_len=12)
        best = likeliest(model, SCORED_VOCAB, n=5, beam_width=3, max_len=12)
        assert len({n for n, _ in best}) == 5 and [s for _, s in best] == sorted((s for _, s in best), reverse=True)
        if found is not None:
            assert best[0][1] >= found[1]
        listed = score_words(model, SCORED_VOCAB, [n for n, _ in best]).log_likelihood.tolist()
        assert [s for _, s in best] == pytest.approx(listed, abs=1e-5)  # score.py's numbers


def test_a_wide_beam_finds_the_exact_likeliest_names():
    model = family("mlp", seed=1)
    truth = sorted(all_names(model, 3).items(), key=lambda kv: -kv[1])[:10]
    found = likeliest(model, SCORED_VOCAB, n=10, beam_width=len(SCORED_VOCAB) ** 2, max_len=3)
    assert [n for n, _ in found] == [n for n, _ in truth]
    assert [s for _, s in found] == pytest.approx([s for _, s in truth], abs=1e-5)


def test_a_minimum_length_gives_the_likeliest_names_that_long():
    model = family("mlp", seed=1)
    truth = sorted(((n, s) for n, s in all_names(model, 4).items() if len(n) >= 3), key=lambda kv: -kv[1])[:10]
    found = likeliest(model, SCORED_VOCAB, n=10, beam_width=len(SCORED_VOCAB) ** 3, max_len=4, min_len=3)
    assert [n for n, _ in found] == [n for n, _ in truth]  # the exact answer among names of 3 and 4 characters
    with pytest.raises(SamplingError, match="min_len=5: expected an integer from 1 to max_len=4"):
        likeliest(model, SCORED_VOCAB, n=3, max_len=4, min_len=5)


def test_the_default_minimum_is_the_shortest_twentieth_of_the_words():
    names = (ROOT / "data" / "names.txt").read_text().split()
    assert short_length(names) == 4 and short_length(["ab"] * 5 + ["abcdef"] * 95) == 6
    assert short_length(["ab"] * 6 + ["abcdef"] * 94) == 2 and short_length([]) == 1


def test_prefix_and_refusals():
    model = family("gru")
    found = likeliest(model, SCORED_VOCAB, n=3, prefix="em", max_len=8)
    assert len(found) == 3 and all(n.startswith("em") for n, _ in found)  # "em" itself is a name too
    with pytest.raises(SamplingError, match=r"beam_width=0: expected an integer >= 1"):
        likeliest(model, SCORED_VOCAB, n=3, beam_width=0)
    with pytest.raises(SamplingError, match=r"found \d+ of num_samples=1000 names ending within max_len=1"):
        likeliest(model, SCORED_VOCAB, n=1000, max_len=1)  # there are only len(SCORED_VOCAB) - 1 one-letter names


@pytest.mark.parametrize("name", ["mlp", "transformer"])
def test_excluded_names_give_way_to_the_next_likeliest(name):
    model = family(name, seed=2)
    ranked = likeliest(model, SCORED_VOCAB, n=15, beam_width=50, max_len=8)
    gone = {n for n, _ in ranked[:5]} | {"zzzz"}  # sample.py only_new=true: the training words
    assert likeliest(model, SCORED_VOCAB, n=10, beam_width=50, max_len=8, exclude=gone) == ranked[5:]
    with pytest.raises(SamplingError, match=r"found \d+ of num_samples=20 names .* and not among the training words"):
        likeliest(model, SCORED_VOCAB, n=20, max_len=1, exclude={n for n, _ in ranked})


def test_nucleus_keeps_the_smallest_set_that_reaches_top_p():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05], [0.05, 0.15, 0.3, 0.5]]))
    for top_p, kept in ((0.5, 1), (0.6, 2), (0.8, 2), (0.81, 3), (1.0, 4), (1e-9, 1)):
        out = nucleus(logits, top_p)
        assert torch.isfinite(out).sum(1).tolist() == [kept, kept]
        assert torch.equal(out[0, :kept], logits[0, :kept])
        assert torch.equal(out[1].flip(0)[:kept], logits[1].flip(0)[:kept])


def test_top_p_draws_only_from_the_nucleus_and_is_refused_outside_0_1():
    model = family("mlp")
    names = list(generate(model, SCORED_VOCAB, 300, torch.Generator().manual_seed(0), top_p=1e-9, max_len=10))
    assert len(set(names)) == 1  # the nucleus of one: greedy, with the empty name excluded at the start
    for bad in (0, -0.1, 1.5, math.nan):
        with pytest.raises(SamplingError, match=rf"top_p={bad}: expected a number in \(0, 1\]"):
            generate(model, SCORED_VOCAB, 5, torch.Generator(), top_p=bad)


def test_unique_never_repeats_and_an_unmeetable_request_ends_with_a_message():
    model = family("bigram")
    names = list(generate(model, SCORED_VOCAB, 200, torch.Generator().manual_seed(0), unique=True, max_len=6))
    assert len(set(names)) == 200
    with pytest.raises(SamplingError, match=r"unique: found \d+ of 100 unique names in [\d,]+ draws"):
        list(generate(model, SCORED_VOCAB, 100, torch.Generator().manual_seed(0), unique=True, max_len=1))  # 10 exist
