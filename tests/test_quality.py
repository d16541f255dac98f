"""The sample-quality numbers (inference/quality.py) on hand-worked examples, and on the board at each evaluation."""

import dataclasses
import math
from collections import Counter

import pytest
import torch

from helpers import events
from makemore.inference.quality import Reference, bigrams, js_divergence, length_distance, quality
from makemore.training.trainer import prepare


def test_hand_worked_numbers():
    ref = Reference.of(["ab", "ab", "abc"])
    q = quality(["ab", "xy", "xy", "abcd"], ref)
    assert q["new"] == 3 / 4 and q["distinct"] == 3 / 4
    # lengths: samples {2: 3/4, 4: 1/4}, training {2: 2/3, 3: 1/3}; CDFs differ by 1/12 at 2, 3/12 at 3, 0 at 4
    assert q["length_distance"] == pytest.approx(1 / 12 + 3 / 12)
    assert bigrams(["ab"]) == Counter({("", "a"): 1, ("a", "b"): 1, ("b", ""): 1})
    assert js_divergence(Counter(a=1), Counter(a=5)) == 0
    assert js_divergence(Counter(a=1), Counter(b=1)) == 1  # nothing in common: one bit
    p, q2 = Counter(a=3, b=1), Counter(a=1, b=1)
    m = {k: (p[k] / 4 + q2[k] / 2) / 2 for k in "ab"}
    kl = lambda x, n: sum(x[k] / n * math.log2(x[k] / n / m[k]) for k in "ab")  # noqa: E731
    assert js_divergence(p, q2) == pytest.approx((kl(p, 4) + kl(q2, 2)) / 2)
    assert length_distance(Counter({3: 1}), Counter({3: 2})) == 0


def test_training_writes_quality_at_each_evaluation_and_is_the_same_without_it(tiny_cfg, tmp_path):
    weights = {}
    for samples in (50, 0):
        cfg = dataclasses.replace(tiny_cfg, train=dataclasses.replace(tiny_cfg.train, quality_samples=samples,
                                                                      diagnostics=False, max_steps=40))  # fmt: skip
        trainer = prepare(cfg, tmp_path / str(samples))
        trainer.run(progress_bar=False)
        weights[samples] = [p.detach().clone() for p in trainer.model.parameters()]
    tags = events(tmp_path / "50").Tags()["scalars"]
    for name in ("new", "distinct", "length_distance", "bigram_js"):
        points = events(tmp_path / "50").Scalars(f"quality/{name}")
        assert [p.step for p in points] == [20, 40] and f"quality/{name}" in tags
    assert "quality/new" not in events(tmp_path / "0").Tags()["scalars"]
    assert all(torch.equal(a, b) for a, b in zip(weights[50], weights[0], strict=True))
