"""Data-parallel training under torchrun: two gloo processes on the CPU train like one process."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from subprocess import PIPE

import pytest
import torch

from helpers import ROOT, TINY, compose_config, events, run_script
from makemore.cli.errors import RANK_0_GRACE
from makemore.compute.distributed import Dist, share
from makemore.training.trainer import train


def test_shares_cover_the_global_batch_in_order():
    ix = torch.arange(10)
    parts = [share(ix, Dist(rank, 3)) for rank in range(3)]
    assert [p.tolist() for p in parts] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert torch.equal(share(ix, Dist()), ix)


def torchrun(*args: str, cwd: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    return subprocess.Popen([*command, str(ROOT / "train.py"), *args], cwd=cwd, stdout=PIPE, stderr=PIPE, text=True)


@pytest.mark.slow
def test_two_processes_interrupted_and_resumed_give_the_one_process_curve(tmp_path, words_file):
    # dropout off: each rank draws its own dropout masks, so only a dropout-free run can match to 1e-4
    overrides = [f"data.path={words_file}", *TINY, "model.dropout=0.0", "train.log_interval=5"]
    overrides += ["train.max_steps=400", "train.eval_interval=50"]
    train(compose_config(overrides), tmp_path / "one", progress=False)  # the reference: one process, in this one

    first = torchrun(*overrides, cwd=tmp_path)  # no hydra.run.dir: the ranks must agree on one
    deadline = time.monotonic() + 240
    while not list(tmp_path.glob("outputs/*/*/checkpoints/last.pt")) and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGTERM)  # what a cluster sends before it takes the machine back
    out, err = first.communicate(timeout=240)
    assert first.returncode != 0
    assert "SIGTERM at step" in err and "resume with:" in err and "torchrun" in err, err[-3000:]
    runs = list((tmp_path / "outputs").glob("*/*"))
    assert len(runs) == 1, runs  # every rank wrote into rank 0's run directory
    two = runs[0]
    assert (out + err).count("parameters, context") == 1  # the other rank stays quiet
    assert torch.load(two / "checkpoints" / "last.pt", weights_only=True)["step"] < 400

    resumed = torchrun(*overrides, f"train.resume={two}", cwd=tmp_path)
    out, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err[-3000:]
    assert sorted(p.name for p in (two / "checkpoints").iterdir()) == ["best.pt", "last.pt"]  # rank 0's only
    for tag in ("loss/train", "loss/val"):
        a, b = ({e.step: e.value for e in events(run).Scalars(tag)} for run in (tmp_path / "one", two))
        assert a.keys() == b.keys() and len(a) >= 8
        assert max(abs(a[s] - b[s]) for s in a) < 1e-4, tag


@pytest.mark.slow
def test_a_rank_that_fails_alone_says_why_after_rank_0s_moment():
    """A rank > 0 leaves rank 0 the moment to say why (torchrun stops the others when rank 0 exits); still running
    after it, it met what rank 0 did not, and says so itself, naming its rank."""
    code = "from makemore.cli.errors import fail; fail('data.path=x: no such file')"
    env = {**os.environ, "RANK": "1"}
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and time.monotonic() - start >= RANK_0_GRACE
    assert proc.stderr == "error: (rank 1) data.path=x: no such file\n"


@pytest.mark.slow
def test_global_batch_must_split_evenly(tmp_path, words_file):
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(ROOT / "train.py"),
         f"data.path={words_file}", *TINY, "train.batch_size=33", f"hydra.run.dir={tmp_path / 'run'}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "train.batch_size=33" in proc.stderr and "Traceback" not in proc.stderr.split("error:")[0][-2000:]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_run_and_bf16(tmp_path, words_file):
    for precision in ("fp32", "bf16"):
        run_dir = tmp_path / precision
        run_script("train.py", f"data.path={words_file}", *TINY, "train.device=cuda", f"train.precision={precision}",
                   f"hydra.run.dir={run_dir}")  # fmt: skip
        out = run_script("sample.py", f"run={run_dir}", "num_samples=5", "device=cuda")
        assert len(out.stdout.splitlines()) == 5


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_default_device_and_exact_resume(tmp_path, words_file):
    """train.device=auto on a GPU machine trains on cuda (an index-less device is given one), and a run stopped
    at step 30 and resumed ends with the uninterrupted run's weights (the CUDA random numbers restored)."""
    # a constant lr: the part run's shorter max_steps then changes nothing but where it stops
    common = [f"data.path={words_file}", *TINY, "model.dropout=0.1", "train.eval_interval=10",
              "optim.schedule=constant", "optim.warmup_steps=0"]  # fmt: skip
    run_script("train.py", *common, f"hydra.run.dir={tmp_path / 'whole'}")
    run_script("train.py", *common, "train.max_steps=30", f"hydra.run.dir={tmp_path / 'part'}")
    run_script("train.py", *common, f"train.resume={tmp_path / 'part'}")
    whole, part = (torch.load(tmp_path / d / "checkpoints" / "last.pt", weights_only=True) for d in ("whole", "part"))
    assert whole["rng"]["cuda"] is not None  # it ran on the GPU
    for key, tensor in whole["model"].items():
        assert torch.equal(tensor, part["model"][key]), key
