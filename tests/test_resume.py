"""Resume, interruption and divergence: a run interrupted anywhere and resumed is the uninterrupted run, bit for bit."""

import json
import math
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import train as train_py
from helpers import ROOT, TINY, compose_config, meddle, write_tiny_words
from makemore.config import ConfigError
from makemore.runs.checkpoint import RESUME_KEYS, CheckpointError, load_checkpoint, model_from_checkpoint
from makemore.runs.layout import RunNotFound
from makemore.training.resume import latest_unfinished
from makemore.training.stops import TrainingDiverged, TrainingInterrupted
from makemore.training.trainer import train

# log points 5, 10, 15, 20, 24 and evaluations 8, 16, 24: interruptions fall inside a log window and between evaluations
SHORT = [*TINY, "train.max_steps=24", "train.eval_interval=8", "train.log_interval=5"]
TAGS = ("loss/train", "loss/val", "lr")


@pytest.fixture(scope="module")
def words(tmp_path_factory):
    return write_tiny_words(tmp_path_factory.mktemp("words"))


@pytest.fixture(scope="module")
def reference(words, tmp_path_factory):
    """The uninterrupted run."""
    run_dir = tmp_path_factory.mktemp("reference")
    metrics = train(compose_config([f"data.path={words}", *SHORT]), run_dir, progress=False)
    return run_dir, metrics


def curve(run_dir, tag) -> list[tuple[int, float]]:
    """What TensorBoard draws: every (step, value) point, duplicates and all."""
    return [(e.step, e.value) for e in EventAccumulator(str(run_dir)).Reload().Scalars(tag)]


def assert_same(a, b, where=""):
    """Equal to the last bit: tensors with torch.equal, containers element by element."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b or (a != a and b != b), f"{where}: {a!r} != {b!r}"


@pytest.mark.slow
@pytest.mark.parametrize(
    "stop, signum",
    [(0, signal.SIGINT), (5, signal.SIGTERM), (13, signal.SIGINT), (23, signal.SIGINT)],
)
def test_interrupted_and_resumed_is_the_uninterrupted_run(words, reference, tmp_path, monkeypatch, stop, signum):
    cfg = compose_config([f"data.path={words}", *SHORT])
    run_dir = tmp_path / "run"
    meddle(monkeypatch, signals={stop: signum})
    with pytest.raises(TrainingInterrupted) as err:
        train(cfg, run_dir, progress=False)
    assert err.value.exit_code == 128 + signum and err.value.checkpoint == run_dir / "checkpoints" / "last.pt"
    assert load_checkpoint(err.value.checkpoint)["step"] == stop + 1  # the step it was taking is finished and saved
    assert not (run_dir / "metrics.json").exists()  # an interrupted run does not look finished
    monkeypatch.undo()

    metrics = train(compose_config([f"data.path={words}", *SHORT, f"train.resume={run_dir}"]), run_dir, progress=False)
    ref_dir, ref_metrics = reference
    assert {k: v for k, v in metrics.items() if k != "train_seconds"} == {
        k: v for k, v in ref_metrics.items() if k != "train_seconds"
    }
    for name in ("last.pt", "best.pt"):
        ours, theirs = (load_checkpoint(d / "checkpoints" / name) for d in (run_dir, ref_dir))
        for key in ("model", "optimizer", "step", "best_val_loss", "rng", "loss_window"):
            assert_same(ours[key], theirs[key], f"{name}:{key}")
    for tag in TAGS:  # TensorBoard shows one curve, the same one
        assert curve(run_dir, tag) == curve(ref_dir, tag), tag
    projector = [d / "projector_config.pbtxt" for d in (run_dir, ref_dir)]
    assert projector[0].read_text() == projector[1].read_text()  # every evaluation's embedding table, resumed or not


@pytest.mark.slow
def test_resume_from_an_evaluation_checkpoint_after_a_kill(words, reference, tmp_path, monkeypatch):
    """kill -9 after step 19 leaves last.pt of step 16 and events up to step 19: those are hidden, not doubled."""
    run_dir = tmp_path / "run"
    # stop after step 19, then throw away the step-19 last.pt as a kill would
    meddle(monkeypatch, signals={18: signal.SIGINT})
    with pytest.raises(TrainingInterrupted):
        train(compose_config([f"data.path={words}", *SHORT]), run_dir, progress=False)
    monkeypatch.undo()
    best = run_dir / "checkpoints" / "best.pt"
    assert load_checkpoint(best)["step"] == 16
    (run_dir / "checkpoints" / "last.pt").unlink()
    (run_dir / "checkpoints" / ".last.pt.x.tmp").write_bytes(b"half a checkpoint")  # a kill during a save
    train(compose_config([f"data.path={words}", *SHORT, f"train.resume={best}"]), run_dir, progress=False)
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["best.pt", "last.pt"]
    for tag in TAGS:
        assert curve(run_dir, tag) == curve(reference[0], tag), tag
    ours, theirs = (load_checkpoint(d / "checkpoints" / "last.pt") for d in (run_dir, reference[0]))
    assert_same(ours["model"], theirs["model"])


@pytest.mark.parametrize(
    "override, message",
    [
        ("model.n_hidden=16", "(model.n_hidden=16); resume with the run's own settings: model.n_hidden=32"),
        ("seed=7", "resume with the run's own settings: seed=1337"),
        ("train.log_interval=3", "train.log_interval=5"),
        ("train.max_steps=10", "the checkpoint is at step 24, beyond train.max_steps=10"),
    ],
)
def test_resume_refuses_a_different_run(words, reference, override, message):
    cfg = compose_config([f"data.path={words}", *SHORT, f"train.resume={reference[0]}", override])
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        train(cfg, reference[0] / "never", progress=False)


def test_resume_names_every_difference_at_once(words, reference, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text(words.read_text().replace("a", "e"))
    overrides = [f"data.path={other}", *SHORT, f"train.resume={reference[0]}", "model.n_hidden=16", "optim.lr=0.01",
                 "train.max_steps=10"]  # fmt: skip
    with pytest.raises(ConfigError) as refused:
        train(compose_config(overrides), reference[0] / "never", progress=False)
    message = str(refused.value)
    assert "\n" not in message
    assert "differs from the checkpoint's (model.n_hidden=16, optim.lr=0.01" in message  # (data.block_size too)
    assert "resume with the run's own settings: model.n_hidden=32 optim.lr=0.003" in message
    assert f"holds other words than the run was trained on; resume with the same word file (the run's: {words})" in (
        message
    )
    assert "the checkpoint is at step 24, beyond train.max_steps=10" in message


def test_resume_refuses_other_words_and_old_or_foreign_files(words, reference, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text(words.read_text().replace("a", "e"))
    with pytest.raises(ConfigError, match="holds other words"):
        train(compose_config([f"data.path={other}", *SHORT, f"train.resume={reference[0]}"]), tmp_path, progress=False)

    old = load_checkpoint(reference[0] / "checkpoints" / "last.pt")
    for key in RESUME_KEYS:
        del old[key]
    torch.save(old, tmp_path / "old.pt")
    model_from_checkpoint(load_checkpoint(tmp_path / "old.pt"))  # still good for sampling
    for resume, message in ((tmp_path / "old.pt", "written without rng"), (tmp_path / "nowhere", "no such run")):
        with pytest.raises((CheckpointError, RunNotFound), match=message):
            train(compose_config([f"data.path={words}", *SHORT, f"train.resume={resume}"]), tmp_path, progress=False)
    assert not (tmp_path / "checkpoints").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    "interrupt, message, why",
    [
        (None, "the training loss became nan at step 14", "found at the log point of step 15, named by its own step"),
        (13, "the training loss became nan at step 14", "Ctrl-C at step 14 must not save the NaN weights"),
        (12, "a weight became nan at step 13", "Ctrl-C right after the bad update: every loss so far was finite"),
    ],
)
def test_a_non_finite_loss_stops_at_its_step_and_keeps_the_good_checkpoints(
    words, tmp_path, monkeypatch, interrupt, message, why
):
    # optimizer step 12 (0-based) takes the run's step 13 with lr NaN: every weight becomes NaN, and the
    # minibatch loss of step 14 is the first that isn't finite
    meddle(monkeypatch, signals={interrupt: signal.SIGINT} if interrupt else None, lrs={12: math.nan})
    run_dir = tmp_path / "run"
    with pytest.raises(TrainingDiverged, match=f"{message}; stopped") as err:
        train(compose_config([f"data.path={words}", *SHORT]), run_dir, progress=False)
    assert "checkpoints/last.pt (step 8)" in str(err.value), why
    for name in ("best.pt", "last.pt"):
        ckpt = load_checkpoint(run_dir / "checkpoints" / name)
        assert ckpt["step"] == 8 and all(torch.isfinite(w).all() for w in ckpt["model"].values()), why
    assert not (run_dir / "metrics.json").exists()


def test_a_divergence_found_at_an_evaluation(words, tmp_path, monkeypatch):
    # lr NaN on step 15: the log point of step 15 saw only finite losses; the evaluation of step 16 must not
    # save last.pt, and names the minibatch loss of step 16
    meddle(monkeypatch, lrs={14: math.nan})
    with pytest.raises(TrainingDiverged, match="the training loss became nan at step 16; stopped"):
        train(compose_config([f"data.path={words}", *SHORT]), tmp_path, progress=False)
    assert load_checkpoint(tmp_path / "checkpoints" / "last.pt")["step"] == 8


@pytest.mark.slow
def test_ctrl_c_and_sigterm_on_train_py_then_the_printed_command_resumes(words, tmp_path):
    run_dir = tmp_path / "run"
    overrides = [f"data.path={words}", *TINY, "train.max_steps=1000000", "train.eval_interval=10"]
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "train.py"), *overrides, f"hydra.run.dir={run_dir}"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    last = run_dir / "checkpoints" / "last.pt"
    deadline = time.monotonic() + 120
    while not last.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    stderr = proc.communicate(timeout=120)[1]
    assert proc.returncode == 128 + signal.SIGTERM and "Traceback" not in stderr
    step = load_checkpoint(last)["step"]
    assert f"SIGTERM at step {step}: saved {last}; resume with:" in stderr
    command = shlex.split(stderr.strip().splitlines()[-1])
    assert command[:2] == ["python", str(ROOT / "train.py")] and command[-1] == f"train.resume={run_dir}"

    # the printed command, run to a nearer end (max_steps is the total, so the schedule is a new one)
    nearer = {"python": sys.executable, "train.max_steps=1000000": f"train.max_steps={step + 7}"}
    command = [nearer.get(a, a) for a in command]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads((run_dir / "metrics.json").read_text())["steps"] == step + 7
    steps = [s for s, _ in curve(run_dir, "loss/train")]
    assert steps == sorted(set(steps)) and steps[0] == 10 and steps[-1] == step + 7  # one line, no doubled points
    assert (run_dir / ".hydra" / "config.yaml").is_file()  # the run's own config stays; the session's is beside it
    assert len(list((run_dir / ".hydra").glob("resume-*/overrides.yaml"))) == 1
    assert "resuming" in (run_dir / "train.log").read_text()


@pytest.mark.slow
def test_resume_latest_picks_the_newest_unfinished_run(words, tmp_path, monkeypatch):
    """Under outputs/ and multirun/: a finished run, one at its max_steps without metrics.json, and two unfinished."""
    meddle(monkeypatch, signals={10: signal.SIGINT})
    with pytest.raises(TrainingInterrupted):
        train(compose_config([f"data.path={words}", *SHORT]), tmp_path / "outputs" / "a", progress=False)
    monkeypatch.undo()
    a = tmp_path / "outputs" / "a"
    runs = {name: tmp_path / name for name in ("outputs/b", "multirun/c/0", "outputs/finished", "outputs/at_max")}
    for run in runs.values():
        shutil.copytree(a, run)
    (runs["outputs/finished"] / "metrics.json").write_text("{}")
    at_max = load_checkpoint(runs["outputs/at_max"] / "checkpoints" / "last.pt")
    torch.save({**at_max, "step": 24}, runs["outputs/at_max"] / "checkpoints" / "last.pt")
    for age, name in enumerate(["outputs/at_max", "outputs/finished", "multirun/c/0", "outputs/b"]):
        last = runs[name] / "checkpoints" / "last.pt"
        os.utime(last, (time.time() - age * 60, time.time() - age * 60))  # at_max the newest, b the oldest copy
    os.utime(a / "checkpoints" / "last.pt", (time.time() - 600, time.time() - 600))

    monkeypatch.chdir(tmp_path)
    assert latest_unfinished() == Path("multirun/c/0")
    assert train_py.resumed_run_dir("latest") == Path("multirun/c/0")  # hydra.run.dir goes on writing there
    metrics = train(compose_config([f"data.path={words}", *SHORT, "train.resume=latest"]), runs["multirun/c/0"],
                    progress=False)  # fmt: skip
    assert metrics["steps"] == 24 and latest_unfinished() == Path("outputs/b")


def test_resume_latest_with_nothing_to_resume(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RunNotFound, match="train.resume=latest: no unfinished run"):
        latest_unfinished()
    assert train_py.resumed_run_dir("latest") is None  # a new directory, and train() says the line above
