"""The loss over a whole split, the number every curve, checkpoint and metrics.json reports.

    val_loss = evaluate(model, examples)   # mean cross-entropy per predicted character, in eval mode
"""

import torch
from torch import nn

from makemore.device import accumulator_dtype
from makemore.distributed import SINGLE, Dist, all_sum
from makemore.examples import Examples

EVAL_CHUNK = 32_768  # example rows per forward pass when evaluating a whole split
IGNORE = -1  # a target that is not predicted (padding)


@torch.inference_mode()
def evaluate(model: nn.Module, examples: Examples, world: Dist = SINGLE) -> float:
    """Mean cross-entropy over every target of a split, in eval mode (BatchNorm uses its running stats).

    Each chunk's rows are gathered from the split's token stream as it is evaluated, and each chunk's mean is
    weighted by its number of targets, so the result is the mean over the split's predicted characters however
    the rows are cut. Under torchrun each rank evaluates its contiguous share of the rows and the sums are added
    up, so every rank gets the same number.
    """
    was_training = model.training
    model.eval()
    per = -(-len(examples) // world.world_size)  # ceil: this rank's share of the rows (the last may get fewer)
    first, end = world.rank * per, min(len(examples), (world.rank + 1) * per)
    dtype = accumulator_dtype(examples.device)
    total = torch.zeros(2, dtype=dtype, device=examples.device)  # (summed loss, targets)
    for i in range(first, end, EVAL_CHUNK):
        X, Y = examples.chunk(i, min(i + EVAL_CHUNK, end))
        _, loss = model(X, Y)
        targets = int((Y != IGNORE).sum())
        total[0] += loss.to(dtype) * targets
        total[1] += targets
    model.train(was_training)
    total = all_sum(total, world)
    return (total[0] / total[1]).item()
