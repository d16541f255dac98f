"""Dropout whose random mask costs a sixth of torch's on a CPU.

    layer = Dropout(0.2)          # nn.Dropout's interface: zero each element with probability p while training
    y = dropout(x, 0.2, training)  # the same, as a function (the Transformer's attention weights)

torch's CPU dropout draws one Mersenne Twister number per element (bernoulli_, ~10 ns an element): in
experiment=transformer's step that was a third of the time, more than every matmul together. Here an
element reads 16 random bits, four elements sharing one 64-bit draw from the same generator -- torch's
global one, so torch.manual_seed and the checkpoints' RNG state cover it as they cover nn.Dropout. p is
rounded to a multiple of 2^-16 (0.2 -> 0.199997) and the kept elements are scaled by 1 / (1 - that p),
so the expected output is x, as with nn.Dropout. On a GPU it is F.dropout: its generators are fast there.
"""

import torch
import torch.nn.functional as F
from torch import nn

LEVELS = 2**16  # the resolution of p: a mask element is a random int16 compared with a threshold


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    if not training or p == 0.0:
        return x
    drop = round(p * LEVELS)  # elements dropped per LEVELS
    if x.device.type != "cpu" or drop in (0, LEVELS):
        return F.dropout(x, p, training)
    n = x.numel()
    words = torch.empty((n + 3) // 4, dtype=torch.int64).random_(-(2**63), None)  # full 64-bit words
    bits = words.view(torch.int16)[:n].view(x.shape)  # uniform over the 65,536 int16 values
    keep = bits >= drop - LEVELS // 2  # P(keep) = 1 - p
    return x * keep.to(x.dtype).mul_(LEVELS / (LEVELS - drop))


class Dropout(nn.Module):
    def __init__(self, p: float):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
