"""Faults injected for real (issue 12): bad runs in sweeps, two processes on one run directory, inputs that
would take unbounded memory or time, a full disk, a full or ASCII-only stdout, a missing C++ compiler, wrong
or tampered files, and inputs that would silently give wrong results. Every refusal is one line, no traceback.

Where the entry point is what is tested (exit codes, a second process, ulimits, stdout, signals) the test runs
train.py or sample.py; where the refusal is one of makemore's errors, the test raises it in-process and checks
it is one line of a class the entry points print as such (USER_ERRORS): that printing is proved once, by
test_outside_a_sweep_a_refusal_is_still_one_line_and_exit_2 (and test_refusals.py)."""

import json
import os
import resource
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir

import sample  # noqa: F401  (registers sample_config with Hydra's ConfigStore)
from helpers import CONFIGS, ROOT, TINY, compose_config, run_script
from makemore.cli.configs import register_configs
from makemore.cli.errors import USER_ERRORS
from makemore.cli.overrides import to_dataclass
from makemore.config import ConfigError
from makemore.data.words import MAX_FILE_BYTES, DataError, load_words
from makemore.inference.sampling import sample_batch
from makemore.runs.checkpoint import CheckpointError, load_checkpoint, model_from_checkpoint
from makemore.runs.layout import BEST, LAST, RunDirBusy, find_checkpoint, hold, release
from makemore.training.trainer import train

TINY = [*TINY, "train.threads=1"]  # the machine is shared: one thread per test run


def one_line_error(proc, *fragments: str) -> str:
    """The process failed with exactly one `error: ...` line on stderr (no traceback) holding every fragment."""
    assert proc.returncode != 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def one_line_refusal(err: pytest.ExceptionInfo, *fragments: str) -> str:
    """In-process: an error the entry points print as one `error: ...` line (USER_ERRORS), holding every fragment."""
    assert isinstance(err.value, USER_ERRORS), repr(err.value)
    line = str(err.value)
    assert "\n" not in line and all(fragment in line for fragment in fragments), line
    return line


def train_refused(overrides: list[str], tmp_path: Path, error=USER_ERRORS) -> pytest.ExceptionInfo:
    """What train.py does with these overrides, in-process: compose, check, train; the error it raises."""
    register_configs()  # the schemas configs/*.yaml name, whichever test runs first
    with pytest.raises(error) as err:
        with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
            cfg = to_dataclass(compose(config_name="config", overrides=overrides))
        train(cfg, tmp_path / "r", progress=False)
    return err


def sample_load(path: Path):
    """What sample.py does with run=path before it prints a name: find, load and rebuild the checkpoint."""
    found = find_checkpoint(str(path), prefer=(BEST, LAST), key="run")
    return model_from_checkpoint(load_checkpoint(found), source=found)


# --- 1. a bad run doesn't end a sweep -----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["basic", "joblib"])
def test_a_refused_and_a_diverged_run_do_not_end_the_sweep(tmp_path, words_file, launcher):
    if launcher == "joblib":
        pytest.importorskip("hydra_plugins.hydra_joblib_launcher", reason='needs pip install -e ".[sweep]"')
    sweep = tmp_path / "multirun"
    args = [f"data.path={words_file}", *TINY, f"hydra.sweep.dir={sweep}", f"hydra/launcher={launcher}"]
    proc = run_script("train.py", "-m", "optim.lr=-1,1e9,3e-3", *args)  # refused, diverges, trains
    assert (sweep / "2" / "metrics.json").is_file()  # the run after the two bad ones still ran
    assert json.loads((sweep / "0" / "failed.json").read_text())["reason"].startswith("config key optim.lr=-1.0")
    assert "loss became nan" in json.loads((sweep / "1" / "failed.json").read_text())["reason"]
    summary = json.loads((sweep / "sweep_summary.json").read_text())
    assert [Path(r["run_dir"]).name for r in summary] == ["2", "0", "1"]  # the finished run, then the failures
    assert "failed" not in summary[0] and all("failed" in r for r in summary[1:])
    assert "2 of 3 runs failed" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_a_sweep_where_every_run_fails_exits_non_zero(tmp_path, words_file):
    sweep = tmp_path / "multirun"
    proc = run_script("train.py", "-m", "model.dropout=1.5,2", f"data.path={words_file}", *TINY,
                      f"hydra.sweep.dir={sweep}", check=False)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("error: every run of the sweep failed (reasons in ")
    assert len(json.loads((sweep / "sweep_summary.json").read_text())) == 2


# a refused Optuna trial is a failed trial and the search goes on: test_sweeps.py's Optuna search proves it


@pytest.mark.slow
def test_outside_a_sweep_a_refusal_is_still_one_line_and_exit_2(tmp_path, words_file):
    proc = run_script("train.py", f"data.path={words_file}", *TINY, "optim.lr=-1", f"hydra.run.dir={tmp_path / 'r'}",
                      check=False)  # fmt: skip
    one_line_error(proc, "optim.lr=-1.0")
    assert proc.returncode == 2 and not (tmp_path / "r" / "failed.json").exists()


# --- 2. one run per directory -------------------------------------------------------------------------------------


def start_train(*args: str, cwd: Path = ROOT) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "train.py"), *args], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_second_process_on_a_live_run_directory_is_refused_naming_the_pid(tmp_path, words_file):
    run_dir = tmp_path / "run"
    args = [f"data.path={words_file}", *TINY, "train.max_steps=10000000", "train.eval_interval=1000"]
    first = start_train(*args, f"hydra.run.dir={run_dir}")  # trains until it is stopped
    try:
        # training has started and saved: checkpoints/ alone may hold only the first save's temporary file, and a
        # run directory with no checkpoint yet is not one train.resume can name (seen under pytest -n 2's load)
        wait_for(lambda: (run_dir / "checkpoints" / "last.pt").is_file())
        first.send_signal(signal.SIGSTOP)  # paused, it holds the directory and leaves the CPUs to the others
        recorded = (run_dir / ".hydra" / "overrides.yaml").read_text()
        second = run_script("train.py", *args, "seed=7", f"hydra.run.dir={run_dir}", check=False)
        one_line_error(second, f"run directory {run_dir}", f"PID {first.pid}")
        assert second.returncode == 2
        assert (run_dir / ".hydra" / "overrides.yaml").read_text() == recorded  # the first run's record is untouched
        resumed = run_script("train.py", *args, f"train.resume={run_dir}", check=False)  # resuming a live run
        one_line_error(resumed, f"PID {first.pid}")
        assert first.poll() is None  # neither disturbed the first run
        first.send_signal(signal.SIGCONT)
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=120) == 130, first.stderr.read()
    finally:
        first.kill()
    hold(run_dir)  # the run has ended: its directory is free again
    release(run_dir)


def test_a_killed_run_leaves_no_stuck_lock(tmp_path):
    run_dir = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", f"from makemore.runs.layout import hold; hold({str(run_dir)!r}); "
                               "print('held', flush=True); import time; time.sleep(600)"],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert holder.stdout.readline() == "held\n"
    with pytest.raises(RunDirBusy, match=f"PID {holder.pid}"):
        hold(run_dir)
    holder.kill()  # SIGKILL: no cleanup runs; the kernel lets the lock go
    holder.wait()
    hold(run_dir)
    release(run_dir)


@pytest.mark.slow
def test_runs_started_in_the_same_second_get_their_own_directories(tmp_path, words_file):
    # the names the next seconds would take are taken already: each run must find a name of its own
    seconds = [datetime.now() + timedelta(seconds=s) for s in range(30)]
    taken = [tmp_path / "outputs" / f"{t:%Y-%m-%d}" / f"{t:%H-%M-%S}" for t in seconds]
    for folder in taken:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "someone_elses.txt").write_text("keep")
    runs = [start_train(f"data.path={words_file}", *TINY, cwd=tmp_path) for _ in range(2)]
    assert [r.wait(timeout=300) for r in runs] == [0, 0], [r.stderr.read() for r in runs]
    made = sorted(p.parent for p in (tmp_path / "outputs").glob("*/*/metrics.json"))
    assert len(made) == 2 and all(p.name.rsplit("_", 1)[0] in {t.name for t in taken} for p in made)
    assert all(sorted(p.name for p in t.iterdir()) == ["someone_elses.txt"] for t in taken)


@pytest.mark.slow
def test_sweeps_started_in_the_same_second_get_their_own_directories(tmp_path, words_file):
    """multirun/DATE/TIME is claimed as a run's directory is: a taken name gets _2, and every job of the sweep (here in
    joblib's worker processes) writes into the one it claimed."""
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher", reason='needs pip install -e ".[sweep]"')
    seconds = [datetime.now() + timedelta(seconds=s) for s in range(30)]
    taken = [tmp_path / "multirun" / f"{t:%Y-%m-%d}" / f"{t:%H-%M-%S}" for t in seconds]
    for folder in taken:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "someone_elses.txt").write_text("keep")
    run_script("train.py", "-m", "hydra/launcher=joblib", f"data.path={words_file}", *TINY, "seed=1,2", cwd=tmp_path)
    sweeps = {p.parent.parent for p in (tmp_path / "multirun").glob("*/*/*/metrics.json")}
    assert len(sweeps) == 1 and sweeps.pop().name.rsplit("_", 1)[0] in {t.name for t in taken}
    assert all(sorted(p.name for p in t.iterdir()) == ["someone_elses.txt"] for t in taken)


def test_claiming_a_directory_is_atomic(tmp_path):
    name = str(tmp_path / "outputs" / "2026-11-28" / "10-00-00")
    code = f"from makemore.runs.layout import claim_dir; print(claim_dir({name!r}))"
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
             for _ in range(4)]  # fmt: skip
    got = sorted(p.communicate()[0].strip() for p in procs)
    assert got == sorted([name, f"{name}_2", f"{name}_3", f"{name}_4"])


# --- 3. memory and time bounded by the input ----------------------------------------------------------------------


def limited(address_space: int):
    """preexec_fn for a subprocess whose address space is capped (ulimit -v): allocations beyond it fail."""
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))


@pytest.mark.parametrize("kind", ["fifo", "device", "huge"])
def test_a_pipe_a_device_or_a_huge_file_as_data_path_is_refused_at_once(tmp_path, kind):
    path = {"fifo": tmp_path / "words.fifo", "device": Path("/dev/zero"), "huge": tmp_path / "huge.txt"}[kind]
    if kind == "fifo":
        os.mkfifo(path)  # reading it would wait forever for a writer
    if kind == "huge":
        with path.open("wb") as f:
            f.truncate(MAX_FILE_BYTES + 1)  # sparse: 2 GiB that take no disk
    started = time.monotonic()
    err = train_refused([f"data.path={path}", *TINY], tmp_path)
    one_line_refusal(err, f"data.path {path}", "2 GiB" if kind == "huge" else "not a regular file")
    assert isinstance(err.value, DataError) and time.monotonic() - started < 60


@pytest.mark.parametrize(
    "override, key",
    [("model.n_hidden=1000000000", "model.n_hidden"), ("train.batch_size=100000000000", "train.batch_size"),
     ("data.block_size=100000000", "data.block_size"), ("model.n_embd=1000000000", "model.n_embd")],
)  # fmt: skip
def test_sizes_that_cannot_be_allocated_are_refused_before_starting(tmp_path, words_file, override, key):
    cfg = compose_config([f"data.path={words_file}", *TINY, override])
    with pytest.raises(ConfigError, match=f"config key {key}=.* is too big for this machine") as err:
        train(cfg, tmp_path / "run", progress=False)
    fits = int(str(err.value).split(f"{key}=")[-1].split()[0])
    assert fits >= 1 and " or less would fit" in str(err.value)
    assert not (tmp_path / "run" / "checkpoints").exists()


@pytest.mark.slow
def test_the_address_space_limit_counts(tmp_path, words_file):
    # 20,000 hidden units: 400 million weights, 6 GB with gradients and AdamW's moments, over a 4 GB `ulimit -v`
    args = [f"data.path={words_file}", *TINY, "model.n_hidden=20000", f"hydra.run.dir={tmp_path / 'r'}"]
    proc = subprocess.run([sys.executable, str(ROOT / "train.py"), *args], capture_output=True, text=True,
                          preexec_fn=limited(4 * 2**30), timeout=300)  # fmt: skip
    fits = one_line_error(proc, "config key model.n_hidden=20000 is too big", "ulimit -v")
    fitting = int(fits.split("model.n_hidden=")[-1].split()[0])
    args[-2] = f"model.n_hidden={min(fitting, 256)}"  # and under the same limit a run that fits trains
    proc = subprocess.run([sys.executable, str(ROOT / "train.py"), *args], capture_output=True, text=True,
                          preexec_fn=limited(4 * 2**30), timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.mark.slow
def test_sampling_memory_is_bounded_whatever_max_len(tiny_run):
    # the sampler used to allocate 8192 x max_len ids up front: 800 GB here, under a 4 GB `ulimit -v`
    proc = subprocess.run([sys.executable, str(ROOT / "sample.py"), f"run={tiny_run}", "num_samples=50",
                           "max_len=10000000000"], capture_output=True, text=True, preexec_fn=limited(4 * 2**30),
                          timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(proc.stdout.splitlines()) == 50


@pytest.mark.slow
def test_only_new_gives_up_in_bounded_time_saying_how_many_it_found(tmp_path):
    words = tmp_path / "emma.txt"
    words.write_text("emma\n" * 50)  # a model that can only ever say "emma", a training word
    run_dir = tmp_path / "run"
    cfg = compose_config([f"data.path={words}", *TINY, "train.max_steps=200", "optim.lr=0.03"])
    train(cfg, run_dir, progress=False)
    started = time.monotonic()
    proc = run_script("sample.py", f"run={run_dir}", "only_new=true", "top_k=1", "num_samples=5", check=False)
    one_line_error(proc, "only_new: found 0 of 5 new names in ", "draws")
    assert time.monotonic() - started < 60 and proc.stdout == ""


# --- 4. faults of the machine -------------------------------------------------------------------------------------


def can_mount_tmpfs(folder: Path) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    ok = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                                              capture_output=True).returncode == 0  # fmt: skip
    if ok:
        subprocess.run(["umount", str(folder)], check=True)
    return ok


@pytest.mark.slow
def test_a_full_disk_while_saving_is_one_line_and_the_good_checkpoint_resumes(tmp_path, words_file):
    """checkpoints/ is a tiny tmpfs: best.pt fits, the last.pt written right after it doesn't."""
    run_dir = tmp_path / "run"
    checkpoints = run_dir / "checkpoints"
    if not can_mount_tmpfs(checkpoints):
        pytest.skip("needs root to mount a tmpfs (the file-size-limit test below covers the message)")
    args = [f"data.path={words_file}", *TINY, f"hydra.run.dir={run_dir}"]
    probe = tmp_path / "probe"
    train(compose_config([*args[:-1], "train.max_steps=20"]), probe, progress=False)
    size = (probe / "checkpoints" / "best.pt").stat().st_size
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size * 3 // 2 // 1024}k", "tmpfs", str(checkpoints)],
                   check=True)  # fmt: skip
    try:
        proc = run_script("train.py", *args, check=False)
        one_line_error(proc, f"{checkpoints / 'last.pt'}: no space left on device while saving step 20",
                       f"kept: {checkpoints / 'best.pt'} (step 20)")  # fmt: skip
        assert proc.returncode == 2
        assert sorted(p.name for p in checkpoints.iterdir()) == ["best.pt"]  # no temporary file left behind
        subprocess.run(["mount", "-o", "remount,size=16m", str(checkpoints)], check=True)  # space again
        resumed = run_script("train.py", *args, f"train.resume={run_dir}")
        assert f"resuming from {checkpoints / 'best.pt'} (step 20)" in resumed.stdout + resumed.stderr
        assert json.loads((run_dir / "metrics.json").read_text())["steps"] == 60
    finally:
        subprocess.run(["umount", str(checkpoints)])


@pytest.mark.slow
def test_a_file_size_limit_while_saving_is_one_line(tmp_path, words_file):
    """RLIMIT_FSIZE (ulimit -f) needs no root: a write past it fails with EFBIG (SIGXFSZ ignored, as shells do)."""

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, 30_000))  # a tiny checkpoint is ~60 kB

    run_dir = tmp_path / "run"
    args = [f"data.path={words_file}", *TINY, "train.diagnostics=false", f"hydra.run.dir={run_dir}"]
    proc = subprocess.run([sys.executable, str(ROOT / "train.py"), *args], capture_output=True, text=True,
                          preexec_fn=small_files, timeout=300)  # fmt: skip
    one_line_error(proc, f"{run_dir / 'checkpoints' / 'best.pt'}: file too large while saving step 20",
                   "no checkpoint was written")  # fmt: skip
    assert list((run_dir / "checkpoints").iterdir()) == []


@pytest.mark.slow
def test_a_corrupt_last_pt_resumes_from_best_pt(tmp_path, words_file, caplog):
    run_dir = tmp_path / "run"
    args = [f"data.path={words_file}", *TINY, "train.max_steps=40", f"hydra.run.dir={run_dir}"]
    train(compose_config(args[:-1]), run_dir, progress=False)
    last = run_dir / "checkpoints" / "last.pt"
    with last.open("r+b") as f:  # what a failing disk leaves: the second half gone
        f.truncate(last.stat().st_size // 2)
    with caplog.at_level("WARNING", logger="makemore.training.resume"):
        train(compose_config([*args[:-1], "train.max_steps=60", f"train.resume={run_dir}"]), run_dir, progress=False)
    assert f"{last}: not a readable PyTorch file" in caplog.text and "resuming from" in caplog.text
    assert json.loads((run_dir / "metrics.json").read_text())["steps"] == 60


@pytest.mark.slow
def test_sample_into_a_full_stdout_is_one_line(tiny_run):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, str(ROOT / "sample.py"), f"run={tiny_run}", "num_samples=100000"],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=300)  # fmt: skip
    one_line_error(proc, "stdout: no space left on device")
    assert proc.returncode == 2


@pytest.mark.slow
def test_sample_into_an_ascii_stdout(tmp_path):
    words = tmp_path / "accents.txt"
    words.write_text("josé\nzoë\nrenée\nanaïs\nchloé\nmaëlle\nnoël\nbéa\n" * 5)
    run_dir = tmp_path / "run"
    train(compose_config([f"data.path={words}", *TINY]), run_dir, progress=False)
    command = [sys.executable, str(ROOT / "sample.py"), f"run={run_dir}", "num_samples=20"]
    ascii_env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    proc = subprocess.run(command, capture_output=True, text=True, env=ascii_env, timeout=300)
    one_line_error(proc, "stdout's encoding ascii can't show the model's characters", "PYTHONIOENCODING=utf-8")
    assert proc.stdout == ""
    c_locale = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONIOENCODING"))}
    proc = subprocess.run(command, capture_output=True, env={**c_locale, "LANG": "C", "LC_ALL": "C"}, timeout=300)
    assert proc.returncode == 0 and len(proc.stdout.decode("utf-8").splitlines()) == 20  # Python's C-locale UTF-8


def test_cuda_without_cuda_is_one_line(tmp_path, words_file):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    err = train_refused([f"data.path={words_file}", *TINY, "train.device=cuda"], tmp_path, ConfigError)
    one_line_refusal(err, "train.device='cuda'", "no CUDA GPU")


@pytest.mark.slow
def test_compile_without_a_cpp_compiler_is_one_line(tmp_path, words_file):
    broken = tmp_path / "bin"
    broken.mkdir()
    for name in ("g++", "gcc", "c++", "cc", "clang", "clang++"):  # every compiler on PATH fails
        (broken / name).write_text("#!/bin/sh\necho 'no compiler here' >&2\nexit 1\n")
        (broken / name).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("CXX", "CC")}
    env.update(PATH=f"{broken}:{env['PATH']}", TORCHINDUCTOR_CACHE_DIR=str(tmp_path / "inductor"))  # no cached kernels
    args = [f"data.path={words_file}", *TINY, "train.compile=true", f"hydra.run.dir={tmp_path / 'r'}"]
    proc = subprocess.run([sys.executable, str(ROOT / "train.py"), *args], capture_output=True, text=True, env=env,
                          timeout=300)  # fmt: skip
    one_line_error(proc, "train.compile=True failed", "use train.compile=false")


# --- 5. wrong or tampered files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("content", ["anna\nbob\n", "train:\n  max_steps: 10\n", ""])
def test_a_text_or_yaml_file_is_not_a_checkpoint_and_not_a_threat(tmp_path, words_file, content):
    path = tmp_path / "config.yaml"
    path.write_text(content)
    with pytest.raises(CheckpointError) as sampled:  # sample.py run=path
        sample_load(path)
    resumed = train_refused([f"data.path={words_file}", *TINY, f"train.resume={path}"], tmp_path, CheckpointError)
    for err in (sampled, resumed):
        line = one_line_refusal(err, f"checkpoint {path}: not a checkpoint")
        assert "run code" not in line


def tampered(run_dir: Path, tmp_path: Path, change) -> Path:
    ckpt = torch.load(run_dir / "checkpoints" / "best.pt", weights_only=True)
    change(ckpt)
    ckpt.pop("digest")  # crafted with care: only the checks of its fields can refuse it (test_integrity.py)
    path = tmp_path / "tampered.pt"
    torch.save(ckpt, path)
    return path


def test_nan_weights_are_refused_at_load(tiny_run, tmp_path):
    def poison(ckpt):
        name = next(k for k, t in ckpt["model"].items() if t.is_floating_point())
        ckpt["model"][name].view(-1)[0] = float("nan")

    path = tampered(tiny_run, tmp_path, poison)
    with pytest.raises(CheckpointError) as err:  # sample.py refuses before it prints a name
        sample_load(path)
    one_line_refusal(err, f"checkpoint {path}: weights", "NaN or infinite")


def test_a_vocabulary_with_duplicates_is_refused_at_load(tiny_run, tmp_path):
    def duplicate(ckpt):
        ckpt["vocab"][2] = ckpt["vocab"][1]

    path = tampered(tiny_run, tmp_path, duplicate)
    with pytest.raises(CheckpointError) as err:  # sample.py refuses before it prints a name
        sample_load(path)
    one_line_refusal(err, f"checkpoint {path}: vocab holds", "more than once")


# --- 6. no silently wrong results ---------------------------------------------------------------------------------


@pytest.mark.parametrize("temperature", [1e-6, 1e-40])
def test_a_tiny_temperature_is_greedy_decoding(tiny_run, temperature):
    model, vocab, _ = model_from_checkpoint(load_checkpoint(tiny_run / "checkpoints" / "best.pt"))
    greedy = sample_batch(model, vocab, 4, torch.Generator().manual_seed(0), top_k=1)  # the likeliest character
    assert len(set(greedy)) == 1 and greedy[0]
    for seed in (1, 2, 3):
        names = sample_batch(model, vocab, 50, torch.Generator().manual_seed(seed), temperature=temperature)
        assert names == greedy[:1] * 50  # every seed: the greedy name, not garbage


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\r"])
def test_a_line_break_inside_a_word_is_refused_naming_the_line(tmp_path, separator):
    path = tmp_path / "words.txt"
    path.write_text("anna\r\nbob\ncar" + separator + "la\n" + "dave\neve\nfred\n", newline="")
    err = train_refused([f"data.path={path}", *TINY], tmp_path, DataError)
    one_line_refusal(err, f"data.path {path}: line 3 holds U+{ord(separator):04X}", "inside a word")


def test_line_breaks_around_a_word_are_whitespace(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("anna\r\n\u2028bob\x0c\n\x85carl\n", newline="")
    assert load_words(path) == ["anna", "bob", "carl"]  # \r\n is a line end; the rest is stripped like spaces


# --- 7. beyond the list: values the config types allow but torch or the OS can't take -----------------------------


@pytest.mark.parametrize(
    "script, override, message",
    [("train.py", "seed=100000000000000000000000", "config key seed=100000000000000000000000 is invalid"),
     ("sample.py", "seed=-100000000000000000000000", "config key seed=-100000000000000000000000 is invalid"),
     ("train.py", "train.threads=100000", "config key train.threads=100000 is invalid: this machine has")],
)  # fmt: skip
def test_numbers_torch_or_the_os_cannot_take_are_one_line(tmp_path, words_file, script, override, message):
    if script == "train.py":
        err = train_refused([f"data.path={words_file}", *TINY, override], tmp_path, ConfigError)
    else:
        register_configs()
        with pytest.raises(ConfigError) as err:
            with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
                to_dataclass(compose(config_name="sample", overrides=[override]))
    one_line_refusal(err, message)
