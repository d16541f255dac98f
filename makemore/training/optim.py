"""Optimizers and learning-rate schedules.

The schedule is a pure function of the step (`lr_at`), so a run's learning rate at step s
is known without replaying the steps before it. With optim.schedule_over=time the cosine's
progress is instead the fraction of train.max_time spent, which the trainer measures
(`time_fraction`): a pure function of the clock, so such a run is not bit-exact on resume.
"""

import inspect
import math
import sys
from collections.abc import Callable

import torch
from torch import nn

from makemore.config import OptimConfig

# torch.optim.Optimizer's methods that torch wraps in torch._disable_dynamo: the wrapper imports torch._dynamo at
# the method's first call (1.3-1.9 s and ~75 MB with sympy, in a run that compiles nothing) to tell torch.compile
# not to trace it. The optimizer is never called inside a compiled region here (train.compile compiles the model).
DYNAMO_DISABLED = ("add_param_group", "state_dict", "load_state_dict", "zero_grad")


def leave_dynamo_unimported() -> None:
    """Give each of these methods its undecorated self as the "disabled" function torch caches at the first call,
    so that the call does not import torch._dynamo. Once torch._dynamo is imported (train.compile, or anyone
    else) there is nothing to save, and torch's wrappers are left as they are."""
    if "torch._dynamo" in sys.modules:
        return
    for name in DYNAMO_DISABLED:
        fn = getattr(getattr(torch.optim.Optimizer, name), "__wrapped__", None)
        if fn is not None and not hasattr(fn, "__dynamo_disable"):
            setattr(fn, "__dynamo_disable", fn)  # the attribute torch._disable_dynamo caches its wrapper in


def build_optimizer(cfg: OptimConfig, model: nn.Module) -> torch.optim.Optimizer:
    leave_dynamo_unimported()
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


def plain_step(optimizer: torch.optim.Optimizer) -> Callable[[], None]:
    """optimizer.step without the wrappers torch puts around every optimizer class's step: a profiler label and a
    walk over step hooks (~12 µs a call, 5% of the lecture model's whole step), and the switch into no-grad mode,
    made here with torch.no_grad() (torch's own imports torch._dynamo at the first step, for a graph break that only
    torch.compile sees). The update is the same function. Plain SGD (no momentum, no weight decay: the lecture's) is
    one torch._foreach_add_ (`sgd_step`). Where a step hook is registered (we register none), the optimizer is
    differentiable or the wrapper is not there, the usual optimizer.step."""
    from torch.optim import optimizer as torch_optimizer

    hooks = (
        optimizer._optimizer_step_pre_hooks or optimizer._optimizer_step_post_hooks
        or torch_optimizer._global_optimizer_pre_hooks or torch_optimizer._global_optimizer_post_hooks
    )  # fmt: skip
    unwrapped = getattr(type(optimizer).step, "__wrapped__", None)
    if hooks or unwrapped is None:
        return optimizer.step
    if is_plain_sgd(optimizer):
        return sgd_step(optimizer)
    if optimizer.defaults.get("differentiable"):
        return unwrapped.__get__(optimizer)
    update = inspect.unwrap(unwrapped).__get__(optimizer)  # the class's own step, under no decorator

    def step() -> None:
        with torch.no_grad():
            update()

    return step


def is_plain_sgd(optimizer: torch.optim.Optimizer) -> bool:
    """torch.optim.SGD whose update is p -= lr * grad for every group: nothing else it supports is switched on."""
    off = ("momentum", "weight_decay", "maximize", "differentiable", "fused")  # 0, False or None when off
    return type(optimizer) is torch.optim.SGD and all(
        not isinstance(group["lr"], torch.Tensor) and not any(group.get(k) for k in off)
        for group in optimizer.param_groups
    )


def sgd_step(optimizer: torch.optim.SGD) -> Callable[[], None]:
    """Plain SGD's step as one torch._foreach_add_ per group: torch.optim.SGD's own update (`param.add_(grad,
    alpha=-lr)` for each parameter with a gradient, bit for bit; its foreach path calls the same op), without the
    ~60 Python-level calls around it (_init_group, the per-parameter loop). Plain SGD keeps no state, so the
    optimizer's state_dict is what torch's step leaves. The learning rate is read from the group at each step."""
    groups = optimizer.param_groups

    def step() -> None:
        with torch.no_grad():
            for group in groups:
                params = [p for p in group["params"] if p.grad is not None]
                torch._foreach_add_(params, [p.grad for p in params], alpha=-group["lr"])

    return step


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
