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


@pytest.mark.slow
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


PLAIN_SGD = OptimConfig(name="sgd", lr=0.1, momentum=0.0, weight_decay=0.0, fused=False)  # the lecture's


def trained_with(step_of, cfg=PLAIN_SGD, steps=4):
    """A small net after `steps` updates through step_of(optimizer)(), the learning rate changing between steps."""
    import torch

    from makemore.training.optim import build_optimizer, set_lr

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    opt = build_optimizer(cfg, model)
    step = step_of(opt)
    for i in range(steps):
        set_lr(opt, 0.1 / (i + 1))
        model.zero_grad(set_to_none=True)
        model(torch.randn(5, 4)).square().mean().backward()
        step()
    return [p.detach().clone() for p in model.parameters()], opt


def test_plain_sgds_unwrapped_step_is_torchs_update_bit_for_bit():
    """training/torch_private.py: the lecture's SGD stepped as p -= lr * grad gives torch.optim.SGD.step's weights."""
    import torch

    from makemore.training.torch_private import optimizer_step

    (ours, opt), (torchs, _) = trained_with(optimizer_step), trained_with(lambda o: o.step)
    assert optimizer_step(opt) != opt.step  # the unwrapped path was taken
    assert all(torch.equal(a, b) for a, b in zip(ours, torchs, strict=True))


@pytest.mark.parametrize(
    "cfg", [OptimConfig(name="sgd", momentum=0.9, fused=False), OptimConfig(name="sgd", lr=0.1), OptimConfig()]
)
def test_anything_but_plain_sgd_takes_the_public_step(cfg):
    from makemore.training.torch_private import optimizer_step

    _, opt = trained_with(lambda o: o.step, cfg, steps=1)
    assert optimizer_step(opt) == opt.step


def test_a_hook_or_a_torch_without_the_hook_dicts_takes_the_public_step(monkeypatch):
    """A step hook must run, so its optimizer steps through optimizer.step; and where torch's private hook
    dictionaries are not there, the public path is the fallback."""
    from torch.optim import optimizer as torch_optimizer

    from makemore.training.torch_private import optimizer_step

    _, opt = trained_with(lambda o: o.step, steps=1)
    calls = []
    handle = opt.register_step_post_hook(lambda *args: calls.append(1))
    step = optimizer_step(opt)
    assert step == opt.step
    step()
    assert calls == [1]
    handle.remove()
    handle = torch_optimizer.register_optimizer_step_pre_hook(lambda *args: None)  # every optimizer's
    assert optimizer_step(opt) == opt.step
    handle.remove()
    assert optimizer_step(opt) != opt.step
    monkeypatch.delattr(torch_optimizer, "_global_optimizer_pre_hooks")
    assert optimizer_step(opt) == opt.step


def test_private_torch_names_stand_in_one_module():
    """Only training/torch_private.py may read torch's or Hydra's private names (an underscore after torch. or
    hydra., or a private hook dictionary)."""
    import re

    from helpers import ROOT

    private = re.compile(r"\b(torch|hydra)(\.\w+)*\._[a-z]|hydra\._internal|_optimizer_step_p|_global_optimizer_p")
    users = sorted(
        str(p.relative_to(ROOT))
        for p in [*(ROOT / "makemore").rglob("*.py"), *ROOT.glob("*.py")]
        if private.search(p.read_text())
    )
    assert users == ["makemore/training/torch_private.py"], users
