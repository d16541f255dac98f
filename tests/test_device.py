"""Device choice: auto means CUDA, then Apple's MPS, then the CPU; what differs per device lives in device.py.

No GPU of either kind is needed: the availability checks are monkeypatched.
"""

import pytest
import torch

from helpers import compose_config
from makemore.compute import device
from makemore.compute.device import accumulator_dtype, device_type_of, resolve_device
from makemore.config import ConfigError


@pytest.fixture
def machine(monkeypatch):
    """machine(cuda=bool, mps=bool): pretend this machine has those GPUs."""

    def pretend(cuda: bool, mps: bool):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: int(cuda))
        monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    return pretend


@pytest.mark.parametrize(
    "cuda, mps, chosen",
    [(True, True, torch.device("cuda", 0)), (False, True, torch.device("mps")), (False, False, torch.device("cpu"))],
)
def test_auto_prefers_cuda_then_mps_then_cpu(machine, cuda, mps, chosen):
    machine(cuda=cuda, mps=mps)
    assert resolve_device("auto", key="train.device") == chosen


def test_mps_when_asked_for_and_one_line_when_absent(machine):
    machine(cuda=False, mps=True)
    assert resolve_device("mps", key="train.device") == torch.device("mps")
    machine(cuda=False, mps=False)
    with pytest.raises(ConfigError, match="train.device='mps' is invalid: this machine has no Apple GPU"):
        resolve_device("mps", key="train.device")
    assert compose_config(["train.device=mps"]).train.device == "mps"  # a valid key everywhere


def test_mps_keeps_out_of_float64_and_has_its_own_random_numbers():
    assert accumulator_dtype(torch.device("mps")) == torch.float32  # mps has no float64
    assert accumulator_dtype(torch.device("cpu")) == accumulator_dtype(torch.device("cuda", 0)) == torch.float64
    state = torch.zeros(4, dtype=torch.uint8)
    assert device_type_of({"cuda": None, "mps": state}) == "mps"
    assert device_type_of({"cuda": state, "mps": None}) == "cuda"
    assert device_type_of({"torch": state, "cuda": None}) == "cpu"  # a checkpoint from before mps
    assert device.device_rng_state(torch.device("cpu")) == {"cuda": None, "mps": None}
