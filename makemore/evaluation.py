"""The loss over a whole split, the number every curve, checkpoint and metrics.json reports.

    val_loss = evaluate(model, X, Y)   # mean cross-entropy per predicted character, in eval mode
"""

import torch
from torch import nn

from makemore.device import accumulator_dtype
from makemore.distributed import SINGLE, Dist, all_sum, share

EVAL_CHUNK = 32_768  # example rows per forward pass when evaluating a whole split
IGNORE = -1  # a target that is not predicted (padding)


@torch.inference_mode()
def evaluate(model: nn.Module, X: torch.Tensor, Y: torch.Tensor, world: Dist = SINGLE) -> float:
    """Mean cross-entropy over every target of a split, in eval mode (BatchNorm uses its running stats).

    Each chunk's mean is weighted by its number of targets, so the result is the mean over the
    split's predicted characters however the rows are cut. Under torchrun each rank evaluates its
    share of the split and the sums are added up, so every rank gets the same number.
    """
    was_training = model.training
    model.eval()
    X, Y = share(X, world), share(Y, world)
    dtype = accumulator_dtype(X.device)
    total = torch.zeros(2, dtype=dtype, device=X.device)  # (summed loss, targets)
    for i in range(0, len(X), EVAL_CHUNK):
        _, loss = model(X[i : i + EVAL_CHUNK], Y[i : i + EVAL_CHUNK])
        targets = int((Y[i : i + EVAL_CHUNK] != IGNORE).sum())
        total[0] += loss.to(dtype) * targets
        total[1] += targets
    model.train(was_training)
    total = all_sum(total, world)
    return (total[0] / total[1]).item()
