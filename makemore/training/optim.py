"""Optimizers and learning-rate schedules.

The schedule is a pure function of the step (`lr_at`), so a run's learning rate at step s
is known without replaying the steps before it. With optim.schedule_over=time the cosine's
progress is instead the fraction of train.max_time spent, which the trainer measures
(`time_fraction`): a pure function of the clock, so such a run is not bit-exact on resume.
"""

import math

import torch
from torch import nn

from makemore.config import OptimConfig


def build_optimizer(cfg: OptimConfig, model: nn.Module) -> torch.optim.Optimizer:
    # fused: one kernel updates every parameter; torch's CPU default is a Python loop over them
    impl = {"fused": True} if cfg.fused else {"foreach": False}
    if cfg.name == "sgd":
        return torch.optim.SGD(
            model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay, **impl
        )
    # weight decay on matrices only (embedding table and Linear weights); never on biases or norm gains
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), **impl)


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def lr_at(step: int, cfg: OptimConfig, max_steps: int, time_fraction: float | None = None) -> float:
    """The learning rate for optimizer step `step` (0-based) of a `max_steps`-step run, or, given `time_fraction`
    (the part of the time budget spent), of a run whose cosine is laid over its time budget."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    if cfg.schedule == "constant":
        return cfg.lr
    if cfg.schedule == "step":
        return cfg.lr * cfg.gamma ** sum(step >= m for m in cfg.milestones)
    # cosine from lr at the end of warm-up down to min_lr at the last step
    span = max(1, max_steps - 1 - cfg.warmup_steps)
    progress = min(1.0, (step - cfg.warmup_steps) / span if time_fraction is None else time_fraction)
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * progress))
