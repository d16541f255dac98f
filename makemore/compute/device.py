"""Where a run computes, said once: the device a name means, how many CPU threads to use, and what differs per device.

device = resolve_device("auto", key="train.device")   # cuda:0 if there is a GPU, else Apple's mps, else cpu
threads = choose_threads(cfg.train.threads, params=151_395, rows_per_step=128)
state = device_rng_state(device)                       # the device's own random numbers (dropout), for a checkpoint
dtype = accumulator_dtype(device)                      # float64, except where the device has none (mps)
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from makemore.config import ConfigError

# below this many multiply-adds per training step (parameters x minibatch rows) one thread is fastest:
# the work is too small to split, and a second thread that has to wait for a busy core costs 10x
ONE_THREAD_BELOW = 200_000_000


def resolve_device(name: str, key: str) -> torch.device:
    """The torch.device `key=name` means, always with an index for CUDA; one clear line if it isn't there."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if mps_available() else "cpu"
    device = torch.device(name)
    if device.type == "mps" and not mps_available():
        raise ConfigError(f"config key {key}={name!r} is invalid: this machine has no Apple GPU (mps); use cpu or auto")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"config key {key}={name!r} is invalid: this machine has no CUDA GPU; use cpu or auto")
        if device.index is None:  # torch.cuda.set_device and friends need an index
            device = torch.device("cuda", torch.cuda.current_device())
        if device.index >= torch.cuda.device_count():
            raise ConfigError(
                f"config key {key}={name!r} is invalid: this machine has {torch.cuda.device_count()} CUDA GPU(s)"
            )
    return device


def choose_threads(threads: int, params: int, rows_per_step: int, key: str = "train.threads") -> int:
    """train.threads (or sample.py's threads: `key`), or for 0 (auto) the count that suits a model of this size: 1 for
    small work, else one per core."""
    cores = os.cpu_count() or 1
    if threads > 4 * cores:  # far past any gain, and soon past what the OS lets a process start
        raise ConfigError(
            f"config key {key}={threads} is invalid: this machine has {cores} cores; expected 0 (auto) to {4 * cores}"
        )
    if threads:
        return threads
    if params * rows_per_step < ONE_THREAD_BELOW:
        return 1
    return torch.get_num_threads()


def threads_for(threads: int, model, batch_size: int, key: str = "train.threads") -> int:
    """A run's thread count (choose_threads) for its model and train.batch_size: what train() sets, and what
    evaluate.py sets again so that a run's own split gives back its loss bit for bit (a matmul split over another
    number of threads adds up in another order). sample.py and score.py choose theirs the same way, for the rows
    they predict at once (batch_size) and their own `threads` key (`key`, named in a refusal)."""
    rows = batch_size * (model.block_size if model.sequence else 1)  # positions predicted per step
    return choose_threads(threads, sum(p.numel() for p in model.parameters()), rows, key)


def mps_available() -> bool:
    return torch.backends.mps.is_available()


def device_rng_state(device: torch.device) -> dict:
    """The device's random-number generator (dropout on a GPU), under checkpoint rng's "cuda" and "mps" keys; both
    None on the CPU, whose generator is saved apart."""
    return {
        "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
        "mps": torch.mps.get_rng_state() if device.type == "mps" else None,
    }


def set_device_rng_state(device: torch.device, rng: dict) -> None:
    if device.type == "cuda":
        torch.cuda.set_rng_state(rng["cuda"], device)
    elif device.type == "mps":
        torch.mps.set_rng_state(rng["mps"])


def device_type_of(rng: dict) -> str:
    """The device type a checkpoint's rng states were drawn on (checkpoints from before mps have no "mps" key)."""
    if rng.get("cuda") is not None:
        return "cuda"
    return "mps" if rng.get("mps") is not None else "cpu"


def accumulator_dtype(device: torch.device) -> torch.dtype:
    """What sums of many losses accumulate in: float64, except on mps, which has no float64."""
    return torch.float32 if device.type == "mps" else torch.float64


@contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """torch's CPU thread count set to `threads` inside, and back to what it was after: a notebook's kernel, or a
    test process, keeps its own."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
