"""The minibatch losses between two loss/train points: their mean is the point, their finiteness the NaN guard.

window = LossWindow(size=50, device=device)
window.add(loss)                  # every step: the loss tensor kept as it is, no kernel and no host sync
window.check(step, kept)          # at log points and saves: raises TrainingDiverged at the first bad step
point = window.mean_and_clear()   # at log points
"""

from pathlib import Path

import torch

from makemore.compute.distributed import SINGLE, Dist, all_sum
from makemore.training.stops import diverged


class LossWindow:
    def __init__(self, size: int, device: torch.device, world: Dist = SINGLE):
        self.values = torch.zeros(size, device=device)
        # the steps' losses since the last check, as they came: a list append per step costs no kernel launch,
        # and check() writes them into values with one stack
        self.pending: list[torch.Tensor] = []
        self.count = 0  # losses in values
        self.reduced = 0  # values[:reduced] are global-batch losses: under torchrun, the mean over the ranks
        self.world = world

    def add(self, loss: torch.Tensor) -> None:
        self.pending.append(loss.detach())

    def _gather(self) -> None:
        if self.pending:
            n = len(self.pending)
            self.values[self.count : self.count + n] = torch.stack(self.pending)
            self.count += n
            self.pending.clear()

    def check(self, step: int, kept: dict[Path, int]) -> None:
        """Raise naming the first step whose minibatch loss was not finite (one host sync).

        `step` is the number of steps taken, the last of them the window's newest loss; `kept` the good checkpoints.
        """
        self._gather()
        if self.world.enabled and self.count > self.reduced:  # the same steps on every rank: a collective is safe
            held = self.values[self.reduced : self.count]
            held[:] = all_sum(held.clone(), self.world) / self.world.world_size
        self.reduced = self.count
        bad = torch.nonzero(~torch.isfinite(self.values[: self.count]))
        if len(bad):
            first = int(bad[0])
            raise diverged("the training loss", self.values[first].item(), step - self.count + 1 + first, kept)

    def mean_and_clear(self) -> float:
        """The mean of the held losses (call check first: it gathers and reduces them), and an empty window."""
        mean = (self.values[: self.count].sum() / self.count).item()
        self.count = self.reduced = 0
        return mean

    def state(self) -> torch.Tensor:
        """The held losses, for a checkpoint (after check: gathered, and reduced over the ranks)."""
        return self.values[: self.count].cpu()

    def restore(self, saved: torch.Tensor) -> None:
        self.pending.clear()
        self.count = self.reduced = len(saved)  # saved after reducing
        self.values[: self.count] = saved.to(self.values.device)
