"""Permissions and paths (issue 27, class 5): a run directory that can't be written, a run another user can't read
and a value Hydra reads only in quotes are each one line (exit 2) naming the path, with what would be right.
Permissions are real: the processes run as a user the file modes bind (helpers.as_another_user)."""

import os
import shutil
import stat
import subprocess
import sys
import textwrap

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser

from helpers import ROOT, run_script
from helpers import as_another_user as another_user
from makemore.cli.overrides import refuse_unknown_overrides
from makemore.config import Config, ScoreConfig
from makemore.runs.layout import RunDirUnusable, check_run_dir


def read_only_copy(run, folder):
    """A copy of the run that nobody may write into (as `chmod -R a-w`), readable by all."""
    shutil.copytree(run, folder)
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, stat.S_IMODE(path.stat().st_mode) & ~0o222 | 0o444 | (0o111 if path.is_dir() else 0))
    return folder


def one_line(proc, *names):
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: "), proc.stderr  # no traceback
    assert all(str(name) in proc.stderr for name in names), proc.stderr
    return proc.stderr


@pytest.mark.slow
def test_train_refuses_a_run_directory_it_cannot_write_in_one_line(tiny_run, tmp_path, words_file):
    user = another_user()
    os.chmod(tmp_path, 0o755)
    ro = read_only_copy(tiny_run, tmp_path / "ro_run")
    proc = run_script("train.py", f"data.path={words_file}", "train.max_steps=80", f"train.resume={ro}", cwd=tmp_path,
                      check=False, prefix=user)  # fmt: skip
    assert "copy it somewhere you can write" in one_line(proc, f"train.resume={ro}", "read-only")
    assert sorted(p.name for p in ro.iterdir()) == sorted(p.name for p in tiny_run.iterdir())  # nothing written

    cwd = tmp_path / "ro_cwd"
    cwd.mkdir(mode=0o555)
    proc = run_script("train.py", f"data.path={words_file}", cwd=cwd, check=False, prefix=user)
    assert "start it from a folder you can write" in one_line(proc, "new run directory outputs/", cwd)


@pytest.mark.slow
def test_a_run_directory_that_is_the_data_file_is_refused_before_hydra_makes_it(tmp_path, words_file):
    proc = run_script("train.py", f"data.path={words_file}", f"hydra.run.dir={words_file}", cwd=tmp_path, check=False)
    one_line(proc, f"hydra.run.dir={words_file}: is the data file (data.path)")
    assert words_file.is_file() and sorted(p.name for p in tmp_path.iterdir()) == ["words.txt"]


def test_run_directories_that_cannot_be_are_named_with_the_reason(tmp_path, words_file):
    (tmp_path / "loop").symlink_to("loop")
    cases = {
        tmp_path / "loop": "loop is a symlink loop",
        tmp_path / "loop" / "run": "run is a symlink loop",
        words_file: "is the data file (data.path)",
        words_file / "run": f"would be inside {words_file}, which is the data file (data.path)",
        tmp_path / "other.txt": "is a file;",
    }
    (tmp_path / "other.txt").write_text("x\n")
    for path, reason in cases.items():
        with pytest.raises(RunDirUnusable, match="^hydra.run.dir=") as e:
            check_run_dir(path, "hydra.run.dir", "give another", data_path=words_file)
        assert reason in str(e.value)
    check_run_dir(tmp_path / "new" / "run", "hydra.run.dir", "")  # a folder to be made under a writable one: fine


@pytest.mark.slow
@pytest.mark.parametrize("script", ["sample.py", "evaluate.py"])  # score.py finds its checkpoint as sample.py does
def test_a_run_another_user_cannot_read_is_named_not_stdout(tiny_run, tmp_path, script):
    """sample.py and score.py blamed stdout ("permission denied while printing"), evaluate.py raised."""
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    os.chmod(tmp_path, 0o755)
    os.chmod(run / "checkpoints", 0)  # as a run directory another user made with umask 077
    proc = run_script(script, f"run={run}", cwd=tmp_path, check=False, prefix=another_user())
    assert "stdout" not in one_line(proc, run / "checkpoints", "permission denied")


def test_runs_lists_a_run_whose_files_another_user_cannot_read(tiny_run, tmp_path):
    for name in ("mine", "theirs"):
        shutil.copytree(tiny_run, tmp_path / "outputs" / name)
        (tmp_path / "outputs" / name / ".hydra").mkdir()
        (tmp_path / "outputs" / name / ".hydra" / "overrides.yaml").write_text("- train.max_steps=60\n")
    os.chmod(tmp_path / "outputs" / "theirs" / ".hydra", 0)
    proc = run_script("runs.py", cwd=tmp_path, prefix=another_user())
    assert "outputs/mine" in proc.stdout
    assert "outputs/theirs  (outputs/theirs/.hydra/overrides.yaml: permission denied)" in proc.stdout


@pytest.mark.slow
def test_mm_train_refuses_a_run_directory_it_cannot_write(tiny_run, tmp_path, words_file):
    ro = read_only_copy(tiny_run, tmp_path / "ro_run")
    (tmp_path / "ro_cwd").mkdir(mode=0o555)
    os.chmod(tmp_path, 0o755)
    script = textwrap.dedent(f"""
        import os, makemore as mm
        from makemore.runs.layout import RunDirUnusable
        for cwd, keys in [(None, dict(resume={str(ro)!r})), ({str(tmp_path / "ro_cwd")!r}, {{}})]:
            if cwd:
                os.chdir(cwd)
            try:
                mm.train(data={str(words_file)!r}, max_steps=80, **keys)
            except RunDirUnusable as e:
                print(e)
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([*another_user(), sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    lines = proc.stdout.splitlines()
    assert len(lines) == 2, proc.stdout + proc.stderr
    assert lines[0].startswith(f"resume={ro}: {ro} is read-only for this user")
    assert lines[1].startswith("new run directory outputs/") and "ro_cwd is read-only" in lines[1]


@pytest.mark.parametrize(
    "schema, argv, value",
    [
        (Config, ["data.path=-my wörds.txt"], "-my wörds.txt"),  # one argument: Hydra's lexer error
        (Config, ["data.path=my", "wörds.txt", "-m"], "my wörds.txt"),  # the shell cut it in two
        (Config, ["train.max_steps=3", "data.path=a(1).txt"], "a(1).txt"),
        (ScoreConfig, ["word=café"], "café"),
    ],
)  # fmt: skip
def test_a_value_hydra_reads_only_in_quotes_is_one_line_saying_how(capsys, schema, argv, value):
    with pytest.raises(SystemExit) as e:
        refuse_unknown_overrides(argv, schema)
    assert e.value.code == 2
    err = capsys.readouterr().err
    key = "word" if schema is ScoreConfig else "data.path"
    assert err.count("\n") == 1 and f"""write it as '{key}="{value}"'""" in err
    as_written = f'{key}="{value}"'  # what the shell hands over
    refuse_unknown_overrides([as_written], schema)  # passes, and Hydra reads the value back whole
    assert OverridesParser.create().parse_overrides([as_written])[0].value() == value
