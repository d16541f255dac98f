import pytest

from makemore.config import ConfigError, OptimConfig
from makemore.training.optim import lr_at


def test_lecture_step_schedule():
    cfg = OptimConfig(name="sgd", lr=0.1, schedule="step", warmup_steps=0, milestones=[100_000], gamma=0.1)
    assert lr_at(0, cfg, 200_000) == 0.1
    assert lr_at(99_999, cfg, 200_000) == 0.1
    assert lr_at(100_000, cfg, 200_000) == pytest.approx(0.01)
    assert lr_at(199_999, cfg, 200_000) == pytest.approx(0.01)


def test_cosine_with_warmup():
    cfg = OptimConfig(lr=1e-2, schedule="cosine", warmup_steps=10, min_lr=1e-4)
    assert lr_at(0, cfg, 110) == pytest.approx(1e-3)  # warm-up is linear from lr/warmup
    assert lr_at(9, cfg, 110) == pytest.approx(1e-2)
    assert lr_at(10, cfg, 110) == pytest.approx(1e-2)  # cosine starts at the peak ...
    assert lr_at(109, cfg, 110) == pytest.approx(1e-4)  # ... and ends at min_lr on the last step
    lrs = [lr_at(s, cfg, 110) for s in range(10, 110)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))


def test_constant():
    cfg = OptimConfig(lr=0.05, schedule="constant", warmup_steps=0)
    assert {lr_at(s, cfg, 1000) for s in range(1000)} == {0.05}


@pytest.mark.parametrize("field, value", [("lr", 0.0), ("schedule", "linear"), ("name", "adam"), ("min_lr", 1.0)])
def test_bad_values_name_the_key(field, value):
    with pytest.raises(ConfigError, match=f"optim.{field}="):
        OptimConfig(**{field: value})


@pytest.mark.parametrize("name", ["sgd", "adamw"])
def test_fused_optimizer_makes_the_same_updates(name):
    import torch

    from makemore.config import Config, DataConfig, ModelConfig
    from makemore.models import build_model
    from makemore.training.optim import build_optimizer

    models = []
    for fused in (True, False):
        torch.manual_seed(0)
        small = ModelConfig(n_embd=4, n_hidden=16, dropout=0.0)
        model = build_model(Config(data=DataConfig(block_size=3), model=small), 27)
        cfg = OptimConfig(name=name, lr=0.05, momentum=0.9 if name == "sgd" else 0.0, fused=fused)
        opt = build_optimizer(cfg, model)
        g = torch.Generator().manual_seed(1)
        for _ in range(5):
            idx, y = torch.randint(0, 27, (32, 3), generator=g), torch.randint(0, 27, (32,), generator=g)
            opt.zero_grad()
            model(idx, y)[1].backward()
            opt.step()
        models.append(model)
    for pa, pb in zip(models[0].parameters(), models[1].parameters(), strict=True):
        assert torch.allclose(pa, pb, atol=1e-6)


PLAIN_SGD = OptimConfig(name="sgd", lr=0.1, weight_decay=0.0, fused=False)  # the lecture's: sgd_step's one foreach


@pytest.mark.parametrize(
    "cfg",
    [PLAIN_SGD, OptimConfig(name="sgd", lr=0.1, fused=False), OptimConfig(name="sgd", momentum=0.9, fused=False)]
    + [OptimConfig(), OptimConfig(fused=False)],
)
def test_plain_step_is_the_same_update(cfg):
    """plain_step skips torch's profiler label and hook walk only: three steps give bit-identical weights."""
    import torch

    from makemore.training.optim import build_optimizer, plain_step

    def trained(step_of):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
        opt = build_optimizer(cfg, model)
        step = step_of(opt)
        for i in range(3):
            torch.manual_seed(i)
            model(torch.randn(5, 4)).square().mean().backward()
            step()
        return [p.detach() for p in model.parameters()]

    for a, b in zip(trained(lambda opt: opt.step), trained(plain_step), strict=True):
        assert torch.equal(a, b)


def test_plain_sgd_is_one_foreach_with_torchs_update_and_state():
    """The lecture's SGD through sgd_step: bit-identical weights to torch.optim.SGD.step at a changing learning
    rate, a parameter without a gradient left alone, and the same (empty) optimizer state_dict."""
    import torch

    from makemore.training.optim import build_optimizer, is_plain_sgd, plain_step

    def trained(step_of):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
        unused = torch.nn.Parameter(torch.ones(2))
        model.register_parameter("unused", unused)  # never in the graph: its grad stays None
        opt = build_optimizer(PLAIN_SGD, model)
        step = step_of(opt)
        for i in range(4):
            for group in opt.param_groups:
                group["lr"] = 0.1 / (i + 1)  # what the trainer's set_lr writes
            torch.manual_seed(i)
            model.zero_grad(set_to_none=True)
            model(torch.randn(5, 4)).square().mean().backward()
            step()
        return [p.detach().clone() for p in model.parameters()], opt.state_dict()

    (ours, ours_state), (torchs, torchs_state) = trained(plain_step), trained(lambda opt: opt.step)
    for a, b in zip(ours, torchs, strict=True):
        assert torch.equal(a, b)
    assert torch.equal(ours[0], torch.ones(2))  # the Sequential's own parameter comes first
    assert ours_state == torchs_state and ours_state["state"] == {}
    model = torch.nn.Linear(2, 2)
    assert is_plain_sgd(build_optimizer(PLAIN_SGD, model))
    assert not is_plain_sgd(build_optimizer(OptimConfig(name="sgd", momentum=0.9, weight_decay=0.0), model))
    assert not is_plain_sgd(build_optimizer(OptimConfig(name="sgd", lr=0.1), model))  # weight decay 0.01: torch's
    assert not is_plain_sgd(build_optimizer(OptimConfig(name="sgd", weight_decay=0.0, fused=True), model))
    assert not is_plain_sgd(build_optimizer(OptimConfig(weight_decay=0.0), model))  # AdamW


def test_plain_step_keeps_the_hooks_when_there_are_some():
    import torch

    from makemore.training.optim import build_optimizer, plain_step

    model = torch.nn.Linear(2, 2)
    opt = build_optimizer(OptimConfig(), model)
    assert plain_step(opt) != opt.step  # no hooks: the unwrapped step
    calls = []
    opt.register_step_post_hook(lambda *args: calls.append(1))
    model(torch.ones(1, 2)).sum().backward()
    plain_step(opt)()
    assert calls == [1]


def test_loss_window_mean_and_nan_guard():
    """The losses kept as tensors give the mean of a copied buffer, and name the first bad step."""
    import torch

    from makemore.training.loss_window import LossWindow
    from makemore.training.stops import TrainingDiverged

    window = LossWindow(4, torch.device("cpu"))
    losses = torch.tensor([2.5, 2.25, 2.0, 1.75])
    for x in losses:
        window.add(x.clone().requires_grad_())
    window.check(4, {})
    assert torch.equal(window.state(), losses)
    assert window.mean_and_clear() == (losses.sum() / 4).item()
    for x in (1.0, float("nan"), 3.0):
        window.add(torch.tensor(x))
    with pytest.raises(TrainingDiverged, match="became nan at step 9"):
        window.check(10, {})


def test_the_steps_backward_gives_loss_backwards_gradients():
    """trainer.backward: the engine call loss.backward() ends in, without its Python: the same gradients, bit for bit,
    and they accumulate into existing ones as loss.backward()'s do."""
    import torch

    from makemore.config import Config, DataConfig, ModelConfig
    from makemore.models import build_model
    from makemore.training.trainer import backward

    torch.manual_seed(0)
    small = ModelConfig(n_embd=4, n_hidden=16, dropout=0.0)  # no dropout: both runs see the same network
    model = build_model(Config(data=DataConfig(block_size=3), model=small), 27)
    idx, y = torch.randint(0, 27, (32, 3)), torch.randint(0, 27, (32,))
    grads = []
    for run in (lambda loss: loss.backward(), backward):
        model.zero_grad(set_to_none=True)
        for _ in range(2):  # the second adds to the first
            run(model(idx, y)[1])
        grads.append([p.grad.clone() for p in model.parameters()])
    for a, b in zip(*grads, strict=True):
        assert torch.equal(a, b)


def test_the_optimizer_leaves_torch_dynamo_unimported_and_makes_torchs_updates():
    """build_optimizer + plain_step, constructing, stepping, saving and loading AdamW, never import torch._dynamo
    (1.3 s and ~75 MB that torch's wrappers import to mark these methods untraceable), and the updates are
    torch's own optimizer.step's, bit for bit, also after a state_dict round trip. In a fresh process: this one's
    tests may have imported torch._dynamo already."""
    import subprocess
    import sys

    script = """
import sys, torch
from makemore.config import OptimConfig
from makemore.training.optim import build_optimizer, plain_step
def trained(ours):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    opt = build_optimizer(OptimConfig(fused=False), model)
    step = plain_step(opt) if ours else opt.step
    for i in range(6):
        if i == 3:
            opt.load_state_dict(opt.state_dict())
        model.zero_grad(set_to_none=True)
        model(torch.randn(5, 4)).square().mean().backward()
        step()
    return [p.detach().clone() for p in model.parameters()]
ours = trained(True)
assert "torch._dynamo" not in sys.modules, "imported"
assert all(torch.equal(a, b) for a, b in zip(ours, trained(False), strict=True))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
