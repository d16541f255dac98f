"""What the training steps run through: the model, wrapped in DistributedDataParallel under torchrun and compiled
with train.compile=true, and what a compile that fails means to a person.

Evaluation, checkpoints and sampling use the plain module; only the steps go through the wrappers.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from makemore.compute.distributed import Dist
from makemore.config import ConfigError


def for_steps(model: nn.Module, world: Dist, device: torch.device, compile: bool) -> nn.Module:
    step_model = model
    if world.enabled:
        ids = [device.index] if device.type == "cuda" else None
        step_model = DistributedDataParallel(model, device_ids=ids)
    if compile:
        step_model = torch.compile(step_model)
    return step_model


@contextmanager
def compile_errors_explained(compile: bool, progress) -> Iterator[None]:
    """torch.compile builds in the first step: an error raised before that step is done becomes one line."""
    first = progress.step
    try:
        yield
    except Exception as e:
        if compile and progress.step == first:
            raise compile_failed(e) from None
        raise


def compile_failed(e: Exception) -> ConfigError:
    """torch.compile failed on the first step: most often there is no working C++ compiler (CXX, g++)."""
    first = (str(e).strip().splitlines() or [""])[0][:300]
    return ConfigError(
        f"config key train.compile=True failed: torch.compile could not build the first training step "
        f"({type(e).__name__}: {first}); it needs a working C++ compiler (CXX, g++): use train.compile=false"
    )
