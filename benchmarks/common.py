"""What the benchmarks share: the real Hydra configs, and a line saying which machine measured."""

import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

from makemore.cli.configs import compose_config
from makemore.config import Config


def compose(overrides: list[str]) -> Config:
    """The config `python train.py OVERRIDES...` would run."""
    return compose_config(overrides)


def machine(threads: int | None = None) -> str:
    threads = torch.get_num_threads() if threads is None else threads
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), {threads} torch threads, "
        f"torch {torch.__version__}, load average {load}"
    )


def require_file(path: str, flag: str = "--data") -> None:
    """One line and exit 1 for a word file that isn't there (a user's clone has no ../shared)."""
    if not Path(path).is_file():
        sys.exit(f"error: {flag} {path}: no such file")


def median_seconds(fn, repeats: int) -> float:
    """Median wall-clock seconds of fn() over `repeats` calls, after one untimed warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
