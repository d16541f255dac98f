"""runs.py tables every run with its differences from the defaults; a small word list gets a warning line."""

import json
import logging

import pytest
import yaml

import runs
from helpers import run_script, write_tiny_words
from makemore.config import DataConfig
from makemore.data.split import Corpus, few_words_warning, load_corpus
from makemore.data.vocab import Vocab


def fake_run(path, overrides, metrics=None, data=None, log=""):
    (path / ".hydra").mkdir(parents=True)
    (path / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides) or "[]\n")
    if metrics:
        (path / "metrics.json").write_text(json.dumps(metrics))
    if data:
        (path / ".hydra" / "config.yaml").write_text(yaml.safe_dump({"seed": 1, "data": data}))
    if log:
        (path / "train.log").write_text(log)


def test_runs_lists_every_run_sorted_by_best_val_loss(tmp_path, monkeypatch, capsys):
    losses = {"train_loss": 2.0, "test_loss": 2.1, "steps": 100, "params": 1000}
    fake_run(tmp_path / "outputs/2026-11-28/10-00-00", ["embedding=onehot"], losses | {"best_val_loss": 2.3})
    fake_run(tmp_path / "outputs/2026-11-28/11-00-00", [], losses | {"best_val_loss": 2.1, "val_loss": 2.5})
    fake_run(tmp_path / "outputs/2026-11-28/12-00-00", ["train.max_steps=5"])  # interrupted: no metrics.json
    fake_run(tmp_path / "multirun/2026-11-28/13-00-00/0", ["model.n_embd=8"], losses | {"best_val_loss": 2.2})
    (tmp_path / "outputs/2026-11-28/11-00-00/.hydra/resume-2026-11-28_11-30-00").mkdir()  # a session, not a run

    monkeypatch.chdir(tmp_path)  # runs.py in-process; test_no_runs_is_one_line runs the script itself

    def table(*args):
        runs.main(list(args))
        return capsys.readouterr().out.splitlines()

    title, *lines = table()
    assert title == "word list unknown (no .hydra/config.yaml)"
    assert len(lines) == 5 and lines[0].split()[:5] == ["best", "val", "train", "steps", "params"]
    assert [line.split()[0] for line in lines[1:]] == ["2.1000", "2.2000", "2.3000", "-"]
    assert lines[1].endswith("outputs/2026-11-28/11-00-00  (defaults)") and lines[1].split()[1] == "2.5000"
    assert lines[2].endswith("multirun/2026-11-28/13-00-00/0  model.n_embd=8")
    assert lines[4].endswith("outputs/2026-11-28/12-00-00  train.max_steps=5")

    by_time = table("sort=run")
    assert "multirun" in by_time[2] and "10-00-00" in by_time[3]
    by_val = table("sort=val")  # a column's header; the runs without a val_loss last
    assert by_val[2].endswith("(defaults)") and table("sort=val_loss") == by_val
    with pytest.raises(SystemExit) as bad:
        table("sort=speed")
    assert bad.value.code == 2 and capsys.readouterr().err.startswith("error: sort=speed is not a column")


def test_runs_on_different_word_lists_are_ranked_apart_with_their_word_counts(tmp_path, monkeypatch, capsys, caplog):
    words = write_tiny_words(tmp_path)
    with caplog.at_level(logging.INFO, logger="makemore.data.split"):
        load_corpus(DataConfig(path=str(words)))  # the line train.log holds, as training writes it
    log = caplog.text
    names = {"path": "data/names.txt", "column": None, "lowercase": False}
    fake_run(tmp_path / "outputs/a", [], {"best_val_loss": 2.0, "val_loss": 2.1}, names, log.replace("200 w", "9 w"))
    fake_run(tmp_path / "outputs/b", [], {"best_val_loss": 1.5, "val_loss": 1.6}, {"path": "t.csv", "column": "name"})
    fake_run(tmp_path / "outputs/c", ["model.n_embd=8"], {"best_val_loss": 2.2}, names, log)
    fake_run(tmp_path / "outputs/d", [], {"best_val_loss": 1.9}, names | {"path": str(words)}, log)
    monkeypatch.chdir(tmp_path)
    runs.main(["sort=best"])
    tables = capsys.readouterr().out.split("\n\n")
    assert [t.splitlines()[0] for t in tables] == [
        "t.csv data.column=name (word count unknown)",
        f"{words} (200 words)",
        "data/names.txt (9 or 200 words)",  # the same path, other words: a moved or edited file
    ]
    assert [line.split()[-2] for line in tables[2].splitlines()[2:]] == ["outputs/a", "outputs/c"]
    runs.main(["sort=words"])
    assert capsys.readouterr().out.split("\n\n")[0].startswith("data/names.txt (9 or 200 words)")


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
