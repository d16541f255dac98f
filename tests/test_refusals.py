"""Refused commands say one line and leave nothing behind: unknown keys, bad data, refused or finished resumes."""

import json

import pytest

from conftest import TINY, run_script


@pytest.mark.parametrize(
    "script, arg, message",
    [
        ("train.py", "+train.maxsteps=10", "error: unknown config key train.maxsteps (not in makemore/config.py); "
                                           "did you mean train.max_steps?"),
        ("train.py", "+model.n_embed=8", "error: unknown config key model.n_embed (not in makemore/config.py); "
                                         "did you mean model.n_embd?"),
        ("sample.py", "+temp=0.5", "error: unknown config key temp (not in makemore/config.py); "
                                   "did you mean temperature?"),
    ],
)  # fmt: skip
def test_unknown_keys_are_refused_in_one_line_and_leave_no_run_dir(tmp_path, script, arg, message):
    proc = run_script(script, arg, cwd=tmp_path, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == message
    assert not (tmp_path / "outputs").exists()  # Hydra's run dir, holding only .hydra/ and train.log, is gone


def test_missing_data_leaves_no_run_dir(tmp_path):
    proc = run_script("train.py", "data.path=missing.txt", cwd=tmp_path, check=False)
    assert proc.returncode == 2 and proc.stderr.strip() == "error: data.path missing.txt: no such file"
    assert not (tmp_path / "outputs").exists()


def tree(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_refused_and_finished_resumes_leave_the_run_as_it_was(tmp_path, words_file):
    run_dir = tmp_path / "outputs" / "run1"
    run_script("train.py", f"data.path={words_file}", *TINY, "train.threads=1", f"hydra.run.dir={run_dir}")
    before, log = tree(run_dir), (run_dir / "train.log").read_bytes()
    resume = [f"data.path={words_file}", *TINY, "train.threads=1", f"train.resume={run_dir}"]

    refused = run_script("train.py", *resume, "train.max_steps=80", "model.n_embd=5", cwd=tmp_path, check=False)
    assert refused.returncode == 2 and "differs from the checkpoint's (model.n_embd=5)" in refused.stderr
    assert tree(run_dir) == before and (run_dir / "train.log").read_bytes() == log  # no .hydra/resume-*, no lines

    finished = run_script("train.py", *resume, cwd=tmp_path)
    val = json.loads((run_dir / "metrics.json").read_text())["val_loss"]
    assert finished.stderr.strip() == (
        f"{run_dir} already finished its 60 steps (val {val:.4f}); nothing to resume. "
        "Raise train.max_steps to train it further."
    )
    assert tree(run_dir) == before and (run_dir / "train.log").read_bytes() == log  # no evaluation, no event file


def test_sampling_a_text_file_says_it_is_not_a_checkpoint(tmp_path, words_file):
    proc = run_script("sample.py", f"run={words_file}", cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: checkpoint {words_file}: not a checkpoint (not a file torch.save wrote")
