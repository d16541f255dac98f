"""Hydra callbacks the configs name (configs/config.yaml, hydra.callbacks): a single run holds its run directory
before Hydra writes into it, and a -m sweep ends with its runs ranked.
"""

import os
import sys
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from makemore.cli.errors import fail
from makemore.runs.layout import RunDirBusy, hold
from makemore.runs.listing import collect_failures, collect_runs, format_failures, format_table, write_summary


class RunLock(Callback):
    """Hydra callback: a single run takes its run directory (rundir.hold) before Hydra writes .hydra/ or train.log
    into it, so a second process given the same directory is refused before it touches the first run's files."""

    def on_run_start(self, config: DictConfig, **kwargs) -> None:
        if os.environ.get("RANK", "0") != "0":  # under torchrun the ranks share rank 0's directory
            return
        try:
            hold(config.hydra.run.dir)
        except RunDirBusy as e:
            fail(str(e))


class SweepReport(Callback):
    """Hydra callback: at the end of a -m sweep, rank its runs by val loss and write sweep_summary.json."""

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        rows, failed = collect_runs(sweep_dir), collect_failures(sweep_dir)
        if not rows and not failed:
            return
        summary = write_summary(sweep_dir, rows, failed)
        if failed:
            total = len(rows) + len(failed)
            print(f"\n{len(failed)} of {total} runs failed:\n{format_failures(failed)}", file=sys.stderr)
        if not rows:
            fail(f"every run of the sweep failed (reasons in {summary})")
        best = rows[0]
        print(
            f"\n{len(rows)} runs in {sweep_dir}, best first:\n{format_table(rows)}\n"
            f"best: val {best['val_loss']:.4f} in {best['run_dir']} "
            f"(config: {Path(best['run_dir']) / '.hydra' / 'config.yaml'}); all runs: {summary}",
            file=sys.stderr,
        )
