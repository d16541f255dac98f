"""Monte Carlo dropout (makemore/inference/dropout_mean.py): one model's distributions averaged over K dropout masks."""

import math

import pytest
import torch
import torch.nn.functional as F

from helpers import batch, build, family
from makemore.config import ConfigError
from makemore.data.vocab import Vocab
from makemore.inference.dropout_mean import DropoutMean
from makemore.inference.ensemble import Ensemble
from makemore.inference.sampling import generate


def by_hand(model, idx, samples: int, seed: int) -> torch.Tensor:
    """The mean of `samples` distributions of the model in training mode (BatchNorm on its running statistics)."""
    model.train()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm1d):
            m.eval()
    torch.manual_seed(seed)
    with torch.no_grad():
        passes = torch.stack([F.log_softmax(model(idx)[0], dim=-1) for _ in range(samples)])
    model.eval()
    return torch.logsumexp(passes, dim=0) - math.log(samples)


@pytest.mark.parametrize(
    "name, kw", [("mlp", dict(norm="batchnorm")), ("hierarchical", {}), ("lstm", dict(n_layers=2)), ("transformer", {})]
)
def test_the_prediction_is_the_mean_of_k_passes_with_dropout_on(name, kw):
    model = build(name, dropout=0.3, **kw).eval()
    idx, targets = batch(model)
    norms = {k: v.clone() for k, v in model.state_dict().items() if "running" in k}
    generator_before = torch.get_rng_state()
    mean = DropoutMean(model, samples=5, seed=3).eval()
    with torch.no_grad():
        logits, loss = mean(idx, targets)
        off, _ = model(idx)
    assert torch.get_rng_state().equal(generator_before) and not model.training  # both as they were
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in norms.items())  # BatchNorm's statistics untouched
    assert torch.allclose(logits, by_hand(model, idx, 5, seed=3), atol=1e-6)
    assert loss == pytest.approx(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                                 ignore_index=-1).item())  # fmt: skip
    assert torch.equal(mean(idx)[0], logits)  # the same masks for the same input: a score is a number
    assert not torch.allclose(logits, F.log_softmax(off, -1), atol=1e-3)  # not the dropout-off answer


def test_sampling_and_ensembles_take_it_too():
    model = build("transformer", dropout=0.2).eval()
    mean = DropoutMean(model, samples=3).eval()
    history = torch.tensor([[0, 1, 2], [0, 3, 3]])
    expected = by_hand(model, history[:, -model.block_size :], 3, seed=0)[:, -1]
    assert torch.allclose(mean.next_logits(history), expected, atol=1e-6)
    vocab = Vocab.from_words(["abcdef"])  # test_zoo's 7 tokens
    names = list(generate(mean, vocab, 20, torch.Generator().manual_seed(0), max_len=8))
    assert len(names) == 20 and all(1 <= len(n) <= 8 for n in names)
    pair = Ensemble([mean, DropoutMean(build("lstm", dropout=0.2, seed=1).eval(), samples=3)]).eval()
    assert pair.next_logits(history).shape == (2, 7)


def test_a_model_without_dropout_is_refused():
    with pytest.raises(ConfigError, match=r"dropout_samples=4 is invalid: RUN has no dropout \(model.dropout=0\)"):
        DropoutMean(family("transformer"), samples=4, name="RUN")  # test_zoo's tiny models have none
