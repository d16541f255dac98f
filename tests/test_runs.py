"""runs.py tables every run with its differences from the defaults; a small word list gets a warning line."""

import json

import pytest

import runs
from helpers import run_script
from makemore.data.split import Corpus, few_words_warning
from makemore.data.vocab import Vocab


def fake_run(path, overrides, metrics=None):
    (path / ".hydra").mkdir(parents=True)
    (path / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides) or "[]\n")
    if metrics:
        (path / "metrics.json").write_text(json.dumps(metrics))


def test_runs_lists_every_run_sorted_by_val_loss(tmp_path, monkeypatch, capsys):
    losses = {"train_loss": 2.0, "test_loss": 2.1, "steps": 100, "params": 1000}
    fake_run(tmp_path / "outputs/2026-11-28/10-00-00", ["embedding=onehot"], losses | {"val_loss": 2.3})
    fake_run(tmp_path / "outputs/2026-11-28/11-00-00", [], losses | {"val_loss": 2.1})
    fake_run(tmp_path / "outputs/2026-11-28/12-00-00", ["train.max_steps=5"])  # interrupted: no metrics.json
    fake_run(tmp_path / "multirun/2026-11-28/13-00-00/0", ["model.n_embd=8"], losses | {"val_loss": 2.2})
    (tmp_path / "outputs/2026-11-28/11-00-00/.hydra/resume-2026-11-28_11-30-00").mkdir()  # a session, not a run

    monkeypatch.chdir(tmp_path)  # runs.py in-process; test_no_runs_is_one_line runs the script itself

    def table(*args):
        runs.main(list(args))
        return capsys.readouterr().out.splitlines()

    lines = table()
    assert len(lines) == 5 and lines[0].split()[:4] == ["val", "train", "steps", "params"]
    assert [line.split()[0] for line in lines[1:]] == ["2.1000", "2.2000", "2.3000", "-"]
    assert lines[1].endswith("outputs/2026-11-28/11-00-00  (defaults)")
    assert lines[2].endswith("multirun/2026-11-28/13-00-00/0  model.n_embd=8")
    assert lines[4].endswith("outputs/2026-11-28/12-00-00  train.max_steps=5")

    by_time = table("sort=run")
    assert "multirun" in by_time[1] and "10-00-00" in by_time[2]
    with pytest.raises(SystemExit) as bad:
        table("sort=speed")
    assert bad.value.code == 2 and capsys.readouterr().err.startswith("error: sort=speed is not a column")


@pytest.mark.slow
def test_no_runs_is_one_line(tmp_path):
    proc = run_script("runs.py", cwd=tmp_path, check=False)
    assert proc.returncode == 2 and proc.stderr.startswith("error: no runs under outputs or multirun")


def corpus_of(words):
    return Corpus("words.txt", Vocab.from_words(words), {"train": words, "val": [], "test": []})


def test_few_words_for_the_model_get_a_warning():
    names = ["emma", "olivia", "ava", "isabella", "sophia"] * 60  # 300 words, 1,920 characters with the end token
    assert few_words_warning(corpus_of(names), params=9_600) is None  # 5 parameters per character: fine
    warning = few_words_warning(corpus_of(names), params=117_000)  # the default recipe
    assert warning.startswith("words.txt: 300 training words (1920 characters) are few for 117000 parameters")
    assert warning.endswith("try experiment=small_words")
