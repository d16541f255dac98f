"""The progress bar a run shows: tqdm's, on rank 0 only, moved at loss/train points and evaluations.

bar = ProgressBar(total=max_steps, initial=step, enabled=True)
bar.show(step, loss=2.31)          # the count, and the numbers shown after it (each once it exists)
bar.show(step, val=2.40)
bar.close()

Under a time budget (train.max_time) the run ends when the budget is spent, long before its step cap (200,000
steps in 20 minutes would show a 5-hour ETA), so the bar counts the budget's seconds instead, the step after it:

bar = ProgressBar(total=max_steps, initial=step, enabled=True, clock=clock, max_time=20)   # clock: stops.Clock
"""

import sys

from tqdm.auto import tqdm  # a widget in Jupyter, text in a terminal

# the bar over a time budget: seconds spent of it, and the time left at the rate the clock runs (1 s a second)
BUDGET_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s of max_time [{elapsed}<{remaining}{postfix}]"


class ProgressBar:
    def __init__(self, total: int, initial: int, enabled: bool, clock=None, max_time: float | None = None):
        watched = sys.stderr.isatty() or "ipykernel" in sys.modules  # a terminal, or a notebook's widget
        every = 0.1 if watched else 30  # seconds between redraws; to a file, a line per 30 s
        self.clock, self.max_steps = (clock if max_time else None), total  # a clock: the bar counts seconds
        self.shown = {}  # loss and val (and under a budget the step), as they will be shown
        if self.clock is not None:
            budget = max_time * 60
            spent = min(self.clock.seconds_before, budget)  # a resumed run's sessions before this one
            self.bar = tqdm(total=budget, initial=spent, desc="train", unit="s", disable=not enabled,
                            dynamic_ncols=True, mininterval=every, bar_format=BUDGET_FORMAT)  # fmt: skip
            self.shown["step"] = f"{initial}/{total}"
        else:
            self.bar = tqdm(total=total, initial=initial, desc="train", unit="step", disable=not enabled,
                            dynamic_ncols=True, mininterval=every)  # fmt: skip

    def show(self, step: int, **values: float) -> None:
        if self.clock is not None:
            self.bar.update(min(self.clock.seconds(), self.bar.total) - self.bar.n)
            self.shown["step"] = f"{step}/{self.max_steps}"
        else:
            self.bar.update(step - self.bar.n)
        self.shown.update({k: f"{v:.4f}" for k, v in values.items()})
        self.bar.set_postfix(self.shown, refresh=False)

    def close(self) -> None:
        self.bar.close()
