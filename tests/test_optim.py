import pytest

from makemore.config import ConfigError, OptimConfig
from makemore.optim import lr_at


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
