"""The loss over a whole split, the number every curve, checkpoint and metrics.json reports.

val_loss = evaluate(model, examples)   # mean cross-entropy per predicted character, in eval mode
"""

import torch
from torch import nn

from makemore.compute.device import accumulator_dtype
from makemore.compute.distributed import SINGLE, Dist, all_sum
from makemore.data.examples import Examples
from makemore.models.base import lm_loss

EVAL_CHUNK = 32_768  # example rows per forward pass when evaluating a whole split on a GPU
# on a CPU, positions (rows x their predictions) per forward pass: few enough that a chunk's activations stay in
# the caches between the matmuls and the elementwise layers. 2048 MLP rows ran 2.8x faster than 32,768 (100 GFLOP/s
# against 36, 82% of torch.mm's rate on one thread; benchmarks/scale.py)
CPU_EVAL_POSITIONS = 2048
IGNORE = -1  # a target that is not predicted (padding)


def chunk_rows(examples: Examples) -> int:
    """Rows per forward pass: EVAL_CHUNK on a GPU; on a CPU, CPU_EVAL_POSITIONS predictions' worth."""
    if examples.device.type != "cpu":
        return EVAL_CHUNK
    return max(64, CPU_EVAL_POSITIONS // (examples.block_size if examples.sequence else 1))


@torch.inference_mode()
def evaluate(model: nn.Module, examples: Examples, world: Dist = SINGLE) -> float:
    """Mean cross-entropy over every target of a split, in eval mode (BatchNorm uses its running stats).

    Each chunk's rows are gathered from the split's token stream as it is evaluated (inference mode: no autograd),
    and every target's own loss is added up in float64, so the result is the mean over the split's predicted
    characters whatever the chunk size. Under torchrun each rank evaluates its contiguous share of the rows and
    the sums are added up, so every rank gets the same number.
    """
    was_training = model.training
    model.eval()
    per = -(-len(examples) // world.world_size)  # ceil: this rank's share of the rows (the last may get fewer)
    first, end = world.rank * per, min(len(examples), (world.rank + 1) * per)
    dtype = accumulator_dtype(examples.device)
    total = torch.zeros(2, dtype=dtype, device=examples.device)  # (summed loss, targets)
    rows = chunk_rows(examples)
    for i in range(first, end, rows):
        X, Y = examples.chunk(i, min(i + rows, end), trim=True)
        logits, _ = model(X)
        total[0] += lm_loss(logits, Y, reduction="none").sum(dtype=dtype)
        total[1] += (Y != IGNORE).sum()
    model.train(was_training)
    total = all_sum(total, world)
    return (total[0] / total[1]).item()
