"""Each benchmark runs end to end on tiny sizes, so none of them rots between the times someone measures."""

import sys

import pytest

from benchmarks import data, sampling, throughput, time_to_loss, tool_memory


def run(module, monkeypatch, capsys, *args: str) -> str:
    monkeypatch.setattr(sys, "argv", [module.__name__, *args])
    module.main()
    return capsys.readouterr().out


@pytest.mark.slow
def test_throughput(words_file, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    variants = ["ours (default)", "ours (embedding=onehot)"]
    args = [f"--data={words_file}", "--steps=20", "--repeats=1", "--variants", *variants]
    out = run(throughput, monkeypatch, capsys, *args)
    assert "| bare lecture loop" in out and "| ours (default)" in out and "onehot / lookup step time" in out


@pytest.mark.slow
def test_time_to_loss(words_file, monkeypatch, capsys):
    args = ["--lecture-steps=20", "--lecture-eval=10", "--speedrun-steps=20"]  # capped far above val 2.17
    out = run(time_to_loss, monkeypatch, capsys, f"--data={words_file}", *args)
    assert "| lecture_mlp" in out and "| speedrun" in out
    assert out.count("not reached in 20 steps") >= 2 and "inf" not in out and "nan" not in out
    assert "neither recipe reaches 2.1700 (lecture 20 steps, speedrun 20 steps): no ratio" in out


def timed(curve, steps, seconds):
    return time_to_loss.Timed(curve, {"steps": steps, "val_loss": curve[-1][2]}, seconds)


def test_time_to_loss_says_which_capped_run_falls_short():
    lecture = timed([(10.0, 1000, 2.5), (20.0, 2000, 2.2)], 2000, 21.0)
    speedrun = timed([(1.0, 100, 2.4), (2.0, 200, 2.1)], 200, 2.5)
    short = timed([(1.0, 100, 2.4)], 100, 1.5)
    assert lecture.cell(2.2) == "20.0 s @ 2000" and lecture.cell(2.1) == "not reached in 2000 steps"
    assert time_to_loss.compare(2.2, lecture, speedrun) == "speedrun reaches 2.2000 10.0x sooner (2.0 s against 20.0 s)"
    assert time_to_loss.compare(2.1, lecture, speedrun) == (
        "the lecture recipe does not reach 2.1000 in its 2000 steps: speedrun is more than 10.5x sooner "
        "(the lecture's whole 21.0 s run against speedrun's 2.0 s)")  # fmt: skip
    assert time_to_loss.compare(2.2, lecture, short) == (
        "speedrun does not reach 2.2000 in its 100 steps (1.5 s; raise --speedrun-steps); "
        "the lecture recipe reaches it in 20.0 s")  # fmt: skip
    assert time_to_loss.compare(2.1, lecture, short).startswith("neither recipe reaches 2.1000")


@pytest.mark.slow
def test_sampling(words_file, monkeypatch, capsys):
    args = ["--train-steps=20", "--names=50", "--loop-names=5", "--repeats=1"]
    out = run(sampling, monkeypatch, capsys, f"--data={words_file}", *args)
    assert "| batched (ours)" in out and "| one at a time (lecture)" in out


@pytest.mark.parametrize("block_size", [1, 3])
def test_data(words_file, monkeypatch, capsys, block_size):
    # the benchmark itself asserts that both builders make the same tensors
    out = run(data, monkeypatch, capsys, f"--data={words_file}", "--repeats=1", f"--block-size={block_size}")
    assert "| build_contexts (ours)" in out


@pytest.mark.slow
def test_scale(tmp_path, monkeypatch, capsys):
    """One tiny size, one child process: the CSV has its row, the plot is written, docs/ is left alone."""
    from benchmarks import scale

    assert scale.make_words(50, tmp_path).read_text() == scale.make_words(50, tmp_path / "again").read_text()
    out = run(scale, monkeypatch, capsys, "--sizes", "300", "--steps", "3", "--out", str(tmp_path / "out"))
    rows = (tmp_path / "out" / "scale.csv").read_text().splitlines()
    assert rows[0].startswith("code,words,first_step_s") and rows[1].startswith("ours,300,") and len(rows) == 2
    assert (tmp_path / "out" / "scale.png").stat().st_size > 0 and "ours        300 words" in out


@pytest.mark.slow
def test_tool_memory(tiny_run, monkeypatch, capsys):
    out = run(tool_memory, monkeypatch, capsys, f"--run={tiny_run}", "--tools", "sample", "--scales", "1",
              "--sample-base=5")  # fmt: skip
    assert "| sample | " in out and "x1 / x1 |" in out
