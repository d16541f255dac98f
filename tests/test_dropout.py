"""makemore/models/dropout.py: nn.Dropout's distribution from a sixth of the random draws, and the Transformer's
training-mode attention, which applies it, equal to scaled_dot_product_attention when nothing is dropped."""

import pytest
import torch
from torch import nn

from makemore.config import Config, DataConfig, ModelConfig
from makemore.models import build_model
from makemore.models.dropout import LEVELS, Dropout, dropout


def test_drops_each_element_with_probability_p_and_keeps_the_mean():
    torch.manual_seed(0)
    x = torch.ones(400, 1000)
    y = dropout(x, 0.2, training=True)
    kept = y != 0
    p = round(0.2 * LEVELS) / LEVELS
    assert kept.float().mean().item() == pytest.approx(1 - p, abs=3e-3)  # 400,000 draws: sd 6e-4
    assert torch.equal(y[kept], torch.full_like(y[kept], 1 / (1 - p)))  # inverted: E[y] = x
    assert y.mean().item() == pytest.approx(1.0, abs=4e-3)
    # no element's position is favoured: each of the four int16 lanes of a 64-bit draw drops at rate p
    lanes = kept.view(-1, 4).float().mean(0)
    assert torch.allclose(lanes, torch.full((4,), 1 - p), atol=5e-3)


def test_reproducible_from_the_global_seed_and_the_identity_when_not_training():
    x = torch.randn(3, 7, 5)
    torch.manual_seed(1)
    a = Dropout(0.3).train()(x)
    torch.manual_seed(1)
    b = Dropout(0.3).train()(x)
    assert torch.equal(a, b) and not torch.equal(a, x)
    assert Dropout(0.3).eval()(x) is x and dropout(x, 0.0, training=True) is x
    assert torch.equal(dropout(x, 1.0, training=True), torch.zeros_like(x))  # nn.Dropout's p=1: everything


def test_gradient_flows_through_the_kept_elements_only():
    x = torch.randn(50, 40, requires_grad=True)
    torch.manual_seed(2)
    y = dropout(x, 0.5, training=True)
    y.sum().backward()
    assert torch.equal(x.grad, (y != 0).float() * 2.0)


def test_an_invalid_p_is_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        Dropout(1.5)


def test_training_attention_is_sdpa_when_nothing_is_dropped():
    """With dropout on, training runs attention written out (softmax, then the mask): with the masks' p set to 0
    it gives what scaled_dot_product_attention gives in eval mode, gradients included."""
    cfg = Config(model=ModelConfig(name="transformer", n_embd=16, n_head=4, n_layers=2, dropout=0.3),
                 data=DataConfig(block_size=9))  # fmt: skip
    torch.manual_seed(0)
    model = build_model(cfg, 27)
    for m in model.modules():
        if isinstance(m, Dropout):
            m.p = 0.0  # nothing dropped; CausalSelfAttention.dropout stays 0.3, so training takes the written path
    assert not any(isinstance(m, nn.Dropout) for m in model.modules())
    idx = torch.randint(0, 27, (5, 9), generator=torch.Generator().manual_seed(1))
    targets = torch.randint(0, 27, (5, 9), generator=torch.Generator().manual_seed(2))
    grads = []
    for training in (True, False):
        model.train(training).zero_grad()
        logits, loss = model(idx, targets)
        loss.backward()
        grads.append((logits.detach(), [p.grad.clone() for p in model.parameters()]))
    (a, ga), (b, gb) = grads
    assert torch.allclose(a, b, atol=1e-6)
    assert all(torch.allclose(x, y, atol=1e-6) for x, y in zip(ga, gb, strict=True))
