"""Crash consistency (issue 27, part 1), with faults injected for real into train.py processes: SIGKILL at random
moments of a save storm (a checkpoint every step), Ctrl-C twice in quick succession, a truncated metrics.json. The
promise (docs/crash_consistency.md): a killed run always resumes from its newest intact checkpoint and ends with the
weights of the run that was never killed.

MAKEMORE_CRASH_TRIALS=N scales the trials (the note in docs/crash_consistency.md quotes a run with more)."""

import json
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from helpers import ROOT, TINY, compose_config, write_tiny_words
from makemore.runs.layout import RunDir, read_metrics
from makemore.runs.listing import list_runs
from makemore.training.trainer import train

TRIALS = int(os.environ.get("MAKEMORE_CRASH_TRIALS", "1"))
STORM = [*TINY, "train.threads=1", "train.max_steps=40", "train.eval_interval=1", "train.log_interval=1"]


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    command = [sys.executable, str(ROOT / "train.py"), *args]
    return subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def stamps(run: RunDir) -> tuple:
    return tuple(p.stat().st_mtime_ns if p.is_file() else None for p in (run.best, run.last))


def wait_for_a_save(proc: subprocess.Popen, run: RunDir, before: tuple, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while stamps(run) == before and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)


@pytest.fixture(scope="module")
def words(tmp_path_factory) -> Path:
    return write_tiny_words(tmp_path_factory.mktemp("crash"))


@pytest.fixture(scope="module")
def reference(words, tmp_path_factory) -> dict:
    """The run never killed: its final weights."""
    run_dir = tmp_path_factory.mktemp("reference") / "run"
    train(compose_config([f"data.path={words}", *STORM]), run_dir, progress=False)
    return torch.load(RunDir(run_dir).last, weights_only=True)["model"]


@pytest.mark.slow
def test_sigkill_at_random_moments_of_a_save_storm_resumes_to_the_uninterrupted_weights(words, reference, tmp_path):
    rng = random.Random(27)
    run_dir, kills = tmp_path / "run", 6 * TRIALS
    run = RunDir(run_dir)
    overrides = [f"data.path={words}", *STORM, f"hydra.run.dir={run_dir}"]
    sessions = 0
    while True:
        sessions += 1
        resumable = run.best.is_file() or run.last.is_file()
        before = stamps(run)
        proc = start([*overrides, *([f"train.resume={run_dir}"] if resumable else [])], tmp_path)
        if kills:
            wait_for_a_save(proc, run, before)
            time.sleep(rng.uniform(0, 0.3))  # into the storm of saves, evaluations, event writes, or the end
            proc.send_signal(signal.SIGKILL)
            kills -= 1
        stderr = proc.communicate(timeout=120)[1]
        assert "Traceback" not in stderr, stderr
        if proc.returncode == 0:
            break
        assert proc.returncode == -signal.SIGKILL, stderr
    assert sessions > 1
    metrics = read_metrics(run_dir)
    assert metrics is not None and metrics["steps"] == 40
    final = torch.load(run.last, weights_only=True)["model"]
    assert all(torch.equal(final[k], reference[k]) for k in reference)


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(TRIALS))
def test_ctrl_c_twice_in_quick_succession_prints_a_command_that_resumes(words, tmp_path, trial):
    run_dir = tmp_path / "a=b,c"  # Hydra's grammar: the printed command quotes it
    run = RunDir(run_dir)
    proc = start([f"data.path={words}", *STORM, "train.max_steps=100000", f"hydra.run.dir='{run_dir}'"], tmp_path)
    wait_for_a_save(proc, run, stamps(run))
    proc.send_signal(signal.SIGINT)
    time.sleep(random.Random(trial).uniform(0.027, 0.1))
    proc.send_signal(signal.SIGINT)
    stderr = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130 and "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    command = shlex.split(stderr.strip().splitlines()[-1])
    assert command[-1] == f"train.resume='{run_dir}'"
    step = max(torch.load(p, weights_only=True)["step"] for p in (run.best, run.last) if p.is_file())
    command = [sys.executable if a == "python" else a for a in command]
    command = [f"train.max_steps={step + 3}" if a == "train.max_steps=100000" else a for a in command]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert read_metrics(run_dir)["steps"] == step + 3


@pytest.mark.slow
def test_a_truncated_metrics_json_hides_no_run_and_the_run_resumes_to_write_it_again(words, tmp_path):
    outputs = tmp_path / "outputs"
    args = [f"data.path={words}", *TINY, "train.threads=1", "train.max_steps=20", "hydra.run.dir=outputs/a"]
    subprocess.run([sys.executable, str(ROOT / "train.py"), *args], cwd=tmp_path, check=True, capture_output=True)
    shutil.copytree(outputs / "a", outputs / "b")
    whole = (outputs / "a" / "metrics.json").read_text()
    (outputs / "a" / "metrics.json").write_text(whole[: len(whole) // 2])  # killed while writing it
    rows = {Path(r["run"]).name: r for r in list_runs([outputs])}
    assert rows["a"]["val_loss"] is None and rows["b"]["val_loss"] is not None
    proc = start([f"data.path={words}", *TINY, "train.threads=1", "train.max_steps=20", "train.resume=outputs/a"],
                 tmp_path)  # fmt: skip
    stderr = proc.communicate(timeout=120)[1]
    assert proc.returncode == 0 and "Traceback" not in stderr, stderr
    assert json.loads((outputs / "a" / "metrics.json").read_text())["steps"] == 20
