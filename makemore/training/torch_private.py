"""The one module of makemore that reads private torch names, what for, and what happens without them.

optimizer.step() wraps every optimizer's update in a profiler label, a walk over the step hooks and a switch into
no-grad mode. On the lectures' model (experiment=lecture_mlp: SGD without momentum or weight decay over five small
tensors) that wrapping is about a ninth of the whole training step (docs/results.md, Performance). So for plain SGD
the trainer takes the update itself, p -= lr * grad, as torch.optim.SGD's own loop does it (bit for bit), but only
where nothing would be skipped: no step hook registered on the optimizer or globally. Finding the hooks takes
torch's private hook dictionaries; where they are not there (another torch), or anything else is switched on, the
trainer gets optimizer.step itself: the public path. tests/test_optim.py checks both.
"""

from collections.abc import Callable

import torch

# torch.optim.Optimizer's step hooks: an optimizer's own, and every optimizer's (torch.optim.optimizer module-level)
OWN_HOOKS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks")
GLOBAL_HOOKS = ("_global_optimizer_pre_hooks", "_global_optimizer_post_hooks")


def optimizer_step(optimizer: torch.optim.Optimizer) -> Callable[[], None]:
    """What the trainer calls to step: plain SGD's update without torch's wrapping, or optimizer.step."""
    if not is_plain_sgd(optimizer) or hooks_may_run(optimizer):
        return optimizer.step
    groups = optimizer.param_groups

    def step() -> None:
        with torch.no_grad():
            for group in groups:
                lr = group["lr"]  # read at each step: the trainer writes the schedule's into the group
                for p in group["params"]:
                    if p.grad is not None:
                        p.add_(p.grad, alpha=-lr)

    return step


def is_plain_sgd(optimizer: torch.optim.Optimizer) -> bool:
    """torch.optim.SGD whose update is p -= lr * grad for every group: nothing else it supports is switched on."""
    off = ("momentum", "weight_decay", "maximize", "differentiable", "fused", "foreach")  # 0, False or None when off
    return type(optimizer) is torch.optim.SGD and all(
        not isinstance(group["lr"], torch.Tensor) and not any(group.get(k) for k in off)
        for group in optimizer.param_groups
    )


def hooks_may_run(optimizer: torch.optim.Optimizer) -> bool:
    """False only when torch's hook dictionaries can be read and every one is empty."""
    from torch.optim import optimizer as torch_optimizer

    try:
        hooks = [getattr(optimizer, name) for name in OWN_HOOKS]
        hooks += [getattr(torch_optimizer, name) for name in GLOBAL_HOOKS]
    except AttributeError:  # a torch without them: take the public path
        return True
    return any(len(h) for h in hooks)
