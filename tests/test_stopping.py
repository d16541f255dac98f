"""Stopping on a time budget (train.max_time, with the schedule over it) and on early stopping (train.patience)."""

import json
import signal

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from helpers import TINY, compose_config, meddle
from makemore.config import ConfigError, OptimConfig
from makemore.runs.checkpoint import load_checkpoint
from makemore.training import trainer
from makemore.training.bar import ProgressBar
from makemore.training.optim import lr_at
from makemore.training.stops import TrainingInterrupted, evaluations_since
from makemore.training.trainer import train


@pytest.mark.slow
def test_max_time_stops_early_exits_normally_and_leaves_a_complete_run(tmp_path, words_file):
    run_dir = tmp_path / "run"
    budget = 0.05  # minutes: 3 s of a run that would take minutes
    overrides = [f"data.path={words_file}", *TINY, "train.max_steps=1000000", "train.eval_interval=500"]
    timed = [f"train.max_time={budget}", "optim.schedule_over=time"]
    returned = train(compose_config([*overrides, *timed]), run_dir, progress=False)  # no exception: a normal end
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics == returned
    assert 0 < metrics["steps"] < 1_000_000
    assert budget * 60 <= metrics["train_seconds"] < budget * 60 + 2  # stopped at the first log point past it
    for name in ("best.pt", "last.pt"):
        assert load_checkpoint(run_dir / "checkpoints" / name)["step"] <= metrics["steps"]
    assert load_checkpoint(run_dir / "checkpoints" / "last.pt")["step"] == metrics["steps"]  # evaluated and saved
    acc = EventAccumulator(str(run_dir)).Reload()
    assert acc.Scalars("loss/val")[-1].step == metrics["steps"]
    lrs = [e.value for e in acc.Scalars("lr")]
    cfg = OptimConfig()
    assert lrs[-1] < 0.1 * cfg.lr  # the cosine laid over the 3 s has decayed most of the way to min_lr
    after_warmup = [lr for e, lr in zip(acc.Scalars("lr"), lrs) if e.step > 5]
    assert after_warmup == sorted(after_warmup, reverse=True)


def test_the_cosine_over_time_reaches_min_lr_at_the_budget():
    cfg = OptimConfig(warmup_steps=0)
    assert lr_at(10, cfg, 100, time_fraction=0.0) == cfg.lr
    assert lr_at(10, cfg, 100, time_fraction=0.5) == pytest.approx((cfg.lr + cfg.min_lr) / 2)
    assert lr_at(10, cfg, 100, time_fraction=1.0) == lr_at(10, cfg, 100, time_fraction=1.7) == cfg.min_lr


def test_schedule_over_time_needs_a_time_budget():
    with pytest.raises(Exception, match="optim.schedule_over='time' is invalid: expected steps when train.max_time"):
        compose_config(["optim.schedule_over=time"])


class ScriptedVal:
    """Stands in for evaluate(): the validation losses of a run whose val stops improving, in order; then 9.0."""

    def __init__(self, values):
        self.values = list(values)

    def __call__(self, *args):
        return self.values.pop(0) if self.values else 9.0


def test_evaluations_since_the_best():
    assert evaluations_since(best_step=40, step=40, eval_interval=20) == 0
    assert evaluations_since(best_step=40, step=80, eval_interval=20) == 2


@pytest.mark.slow
def test_patience_stops_after_that_many_evaluations_without_a_new_best(tmp_path, words_file, monkeypatch):
    # evaluations every 20 steps: the best at step 40, none better at 60 and 80: patience 2 stops after step 80
    monkeypatch.setattr(trainer, "evaluate", ScriptedVal([3.0, 2.5, 2.6, 2.7]))
    cfg = compose_config([f"data.path={words_file}", *TINY, "train.max_steps=400", "train.patience=2"])
    metrics = train(cfg, tmp_path, progress=False)
    assert metrics["steps"] == 80 and metrics["best_val_loss"] == 2.5
    best, last = (load_checkpoint(tmp_path / "checkpoints" / n) for n in ("best.pt", "last.pt"))
    assert (best["step"], best["best_step"], best["best_val_loss"]) == (40, 40, 2.5)  # the result is the best
    assert last["step"] == 80


@pytest.mark.slow
def test_patience_counts_on_across_a_resume(tmp_path, words_file, monkeypatch):
    overrides = [f"data.path={words_file}", *TINY, "train.max_steps=400", "train.patience=2"]
    monkeypatch.setattr(trainer, "evaluate", ScriptedVal([3.0, 2.5, 2.6]))
    meddle(monkeypatch, signals={64: signal.SIGINT})  # after the evaluation of step 60: one without a new best
    with pytest.raises(TrainingInterrupted):
        train(compose_config(overrides), tmp_path, progress=False)
    monkeypatch.undo()
    monkeypatch.setattr(trainer, "evaluate", ScriptedVal([2.7]))  # step 80: the second without a new best
    metrics = train(compose_config([*overrides, f"train.resume={tmp_path}"]), tmp_path, progress=False)
    assert metrics["steps"] == 80 and metrics["best_val_loss"] == 2.5


@pytest.mark.parametrize(
    "override, message",
    [("train.max_time=0", "train.max_time=0"), ("train.patience=0", "train.patience=0")],
)
def test_budgets_are_checked(override, message):
    with pytest.raises(Exception) as err:
        compose_config([override])
    assert message in str(err.value) or isinstance(err.value.__cause__, ConfigError)


def test_best_mlp_means_the_best_in_ten_minutes():
    cfg = compose_config(["experiment=best_mlp"])
    assert (cfg.train.max_time, cfg.train.max_steps) == (10, 40000)  # the budget, and the steps as a cap


class FakeClock:
    def __init__(self, seconds_before: float):
        self.seconds_before, self.now = seconds_before, seconds_before

    def seconds(self) -> float:
        return self.now


def test_under_a_time_budget_the_bar_counts_the_budget_not_the_step_cap():
    clock = FakeClock(seconds_before=60.0)  # a resumed run: a minute spent in the session before
    bar = ProgressBar(200_000, initial=900, enabled=True, clock=clock, max_time=20)  # drawn on stderr (captured)
    assert (bar.bar.total, bar.bar.n) == (1200, 60)  # seconds of the 20 minutes, not steps of 200,000
    clock.now = 300.5
    bar.show(4000, loss=2.5)
    assert bar.bar.n == 300.5 and bar.shown == {"step": "4000/200000", "loss": "2.5000"}
    clock.now = 1300.0  # the step that crossed the budget: the bar stops at its end
    bar.show(9000)
    assert bar.bar.n == 1200
    steps = ProgressBar(200_000, initial=900, enabled=True, clock=clock)  # no budget: steps, as before
    steps.show(1000)
    assert (steps.bar.total, steps.bar.n) == (200_000, 1000)
    bar.close(), steps.close()
