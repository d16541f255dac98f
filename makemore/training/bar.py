"""The progress bar a run shows: tqdm's, on rank 0 only, moved at loss/train points and evaluations.

bar = ProgressBar(total=max_steps, initial=step, enabled=True)
bar.show(step, loss=2.31)          # the count, and the numbers shown after it (each once it exists)
bar.show(step, val=2.40)
bar.close()
"""

import sys

from tqdm.auto import tqdm  # a widget in Jupyter, text in a terminal


class ProgressBar:
    def __init__(self, total: int, initial: int, enabled: bool):
        watched = sys.stderr.isatty() or "ipykernel" in sys.modules  # a terminal, or a notebook's widget
        every = 0.1 if watched else 30  # seconds between redraws; to a file, a line per 30 s
        self.bar = tqdm(total=total, initial=initial, desc="train", unit="step", disable=not enabled,
                        dynamic_ncols=True, mininterval=every)  # fmt: skip
        self.shown = {}  # loss and val, as they will be shown

    def show(self, step: int, **values: float) -> None:
        self.bar.update(step - self.bar.n)
        self.shown.update({k: f"{v:.4f}" for k, v in values.items()})
        self.bar.set_postfix(self.shown, refresh=False)

    def close(self) -> None:
        self.bar.close()
