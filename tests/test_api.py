"""makemore/api/: mm.train composes the real configs with train.py's keys and checks, writes a run directory that
runs.py and sample.py read, leaves torch as it found it, and survives Ctrl-C; a Run samples, scores and evaluates as
the commands do; the pictures draw what they say."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import matplotlib
import pytest
import torch

import makemore as mm
from helpers import ROOT, run_script, write_tiny_words
from makemore.api import pictures
from makemore.api.keys import config_of
from makemore.config import ConfigError
from makemore.data.words import DataError
from makemore.models.base import LanguageModel
from makemore.runs.listing import list_runs

matplotlib.use("Agg")

# a run of a second or two: the API's keywords, short names where they are unique
TINY = dict(n_embd=4, n_hidden=32, max_steps=60, batch_size=32, eval_interval=20, log_interval=10, warmup_steps=5,
            quality_samples=0)  # fmt: skip


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """A notebook's cwd of its own: outputs/ goes here."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny run on 200 bundled names, trained through mm.train in a cwd of its own."""
    folder = tmp_path_factory.mktemp("api")
    words = write_tiny_words(folder)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        yield mm.train(data=str(words), **TINY)
    finally:
        os.chdir(cwd)


def test_import_makemore_imports_nothing_else():
    code = "import sys, makemore; print(sorted(m for m in sys.modules if m.startswith(('makemore', 'torch', 'hydra'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "['makemore']"


def test_keywords_mean_what_the_command_line_means():
    keys = config_of({"model": "transformer", "max_steps": 2000, "n_embd": 8, "data": "words.txt", "optim.lr": 0.01})
    cfg = keys.cfg
    assert (cfg.model.name, cfg.train.max_steps, cfg.model.n_embd, cfg.data.path, cfg.optim.lr) == (
        "transformer", 2000, 8, "words.txt", 0.01)  # fmt: skip
    assert cfg.model.n_head == 4  # configs/model/transformer.yaml's keys came with the group
    assert keys.overrides == ("model=transformer", "train.max_steps=2000", "model.n_embd=8", "data.path=words.txt",
                              "optim.lr=0.01")  # fmt: skip
    assert keys.keys_set == ("model.name", "train.max_steps", "model.n_embd", "data.path", "optim.lr")
    # an experiment's keys give way to the keywords, as to the command line's
    assert config_of({"experiment": "small_words", "max_steps": 7}).cfg.train.max_steps == 7


@pytest.mark.parametrize(
    "keys, message",
    [
        ({"max_step": 10}, "unknown config key max_step (not in makemore/config.py nor a config group); "
                           "did you mean max_steps?"),
        ({"train.maxsteps": 10}, "unknown config key train.maxsteps (not in makemore/config.py); "
                                 "did you mean train.max_steps?"),
        ({"name": "sgd"}, "config key name is ambiguous: embedding.name, model.name, optim.name; give the full key, "
                          "e.g. mm.train(**{'embedding.name': ...})"),
        ({"model": "transformr"}, "model='transformr': no configs/model/transformr.yaml; did you mean transformer?"),
        ({"max_steps": "many"}, "config key train.max_steps='many' is invalid: Value 'many' of type 'str' could not "
                                "be converted to Integer"),
        ({"dropout": 1.5}, "config key model.dropout=1.5 is invalid: expected a number in [0, 1)"),
        ({"train": 3}, "config key train holds keys"),
        ({"hparams_search": "mlp_optuna"}, "hparams_search= is for -m sweeps"),
    ],
)  # fmt: skip
def test_refusals_are_one_line(keys, message, in_tmp):
    with pytest.raises(ConfigError) as e:
        mm.train(**keys)
    assert str(e.value).startswith(message) and "\n" not in str(e.value)
    assert not (in_tmp / "outputs").exists()  # refused before any file


def test_a_refused_run_leaves_nothing(in_tmp):
    with pytest.raises(DataError, match="missing.txt"):
        mm.train(data="missing.txt", **TINY)
    assert not (in_tmp / "outputs").exists()


@pytest.mark.slow
def test_the_run_directory_is_train_pys(trained):
    run = trained
    assert run.path.parent.parent.name == "outputs"
    names = {p.name for p in run.path.iterdir()}
    assert {".hydra", "checkpoints", "metrics.json", "train.log"} <= names
    assert any(n.startswith("events.out.tfevents.") for n in names)
    assert "n_embd=4" in " ".join((run.path / ".hydra" / "overrides.yaml").read_text().split())
    assert "train 2." in (run.path / "train.log").read_text()  # the trainer's last log line
    listed = list_runs([run.path.parent.parent])
    assert [r["run"] for r in listed] == [str(run.path)] and "model.n_embd=4" in listed[0]["overrides"]
    assert run.metrics["steps"] == 60 == json.loads((run.path / "metrics.json").read_text())["steps"]


@pytest.mark.slow
def test_sample_is_sample_pys_and_score_score_pys(trained):
    run = trained
    names = run_script("sample.py", f"run={run.path.resolve()}", "num_samples=8", "seed=3").stdout.split()
    assert run.sample(8, seed=3) == names
    out = run_script("score.py", f"run={run.path.resolve()}", "word=[emma,ava]", "format=json", "sort=false").stdout
    rows = run.score(["emma", "ava"])
    assert rows.to_dict("records") == json.loads(out)


def test_evaluate_on_the_runs_own_split_is_its_val_loss(trained):
    last = mm.load(trained.path, checkpoint="last")  # the final model, whose val loss metrics.json has
    assert last.evaluate(split="val")["loss"] == pytest.approx(trained.metrics["val_loss"], rel=1e-6)
    words = (trained.path.parent.parent.parent / "words.txt").read_text().split()[:20]
    assert last.evaluate(words)["num_words"] == 20


def test_history_is_the_logged_scalars(trained):
    history = trained.history
    assert list(history["step"]) == [10, 20, 30, 40, 50, 60]
    assert history["loss/val"].notna().sum() == 3  # evaluations at 20, 40, 60
    assert history["loss/val"].iloc[-1] == pytest.approx(trained.metrics["val_loss"], rel=1e-5)


def test_load_latest_is_the_newest_run(trained, monkeypatch):
    monkeypatch.chdir(trained.path.parent.parent.parent)
    assert mm.load("latest").path.resolve() == trained.path.resolve()


@pytest.mark.slow
def test_train_leaves_threads_and_random_state_and_runs_twice(in_tmp):
    words = write_tiny_words(in_tmp)
    torch.set_num_threads(2)
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    first = mm.train(data=str(words), threads=1, **TINY)
    second = mm.train(data=str(words), threads=1, **TINY)  # twice in one kernel: a run directory each
    assert torch.get_num_threads() == 2
    assert torch.equal(torch.rand(3), expected)  # the run's seeding did not touch the caller's random numbers
    assert first.path != second.path and first.metrics == {**second.metrics, "train_seconds": first.metrics[
        "train_seconds"]}  # fmt: skip


TORCH_STATE = textwrap.dedent("""
    import json, sys, torch
    def state():
        return {"threads": torch.get_num_threads(), "interop": torch.get_num_interop_threads(),
                "dtype": str(torch.get_default_dtype()), "grad": torch.is_grad_enabled()}
    before = state()
    import makemore as mm
    mm.train(data=sys.argv[1], threads=1, max_steps=20, eval_interval=10, log_interval=10, n_embd=4, n_hidden=16,
             warmup_steps=2, quality_samples=0)
    after = state()
    print(json.dumps({k: [before[k], after[k]] for k in before if before[k] != after[k]}))
""")


@pytest.mark.slow
def test_a_run_leaves_torchs_state_as_it_was(tmp_path):
    """In a fresh process (a kernel): torch's threads and defaults are the same before and after mm.train. (That
    torch's classes are as torch alone leaves them after a run: tests/test_torch_state.py, whose comparison allows
    for what torch caches on its own methods at their first call.)"""
    words = write_tiny_words(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", TORCH_STATE, str(words)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    changed = json.loads(proc.stdout.strip().splitlines()[-1])
    assert changed == {}, f"torch state changed by a run: {sorted(changed)}"


@pytest.mark.slow
def test_ctrl_c_saves_last_pt_and_returns_a_resumable_run(in_tmp):
    """SIGINT (the kernel's interrupt) at the 25th forward pass: the run stops at the end of its step, keeps last.pt
    and comes back as a Run; mm.train(..., resume=run.path) goes on to max_steps in the same directory."""
    words = write_tiny_words(in_tmp)
    calls = []

    def interrupt(module, args, out):
        if isinstance(module, LanguageModel):
            calls.append(1)
            if len(calls) == 25:
                os.kill(os.getpid(), signal.SIGINT)

    hook = torch.nn.modules.module.register_module_forward_hook(interrupt)
    try:
        run = mm.train(data=str(words), **TINY)
    finally:
        hook.remove()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the kernel's handler is back
    assert run.metrics is None and (run.path / "checkpoints" / "last.pt").is_file()
    assert "resume=" in repr(run)
    resumed = mm.train(data=str(words), **TINY, resume=str(run.path))
    assert resumed.path == run.path and resumed.metrics["steps"] == TINY["max_steps"]


def test_bigram_counts_by_hand():
    counts, vocab = pictures.bigram_counts(["emma", "ava"])
    assert vocab.itos == (".", "a", "e", "m", "v")
    expected = torch.zeros(5, 5, dtype=torch.int64)
    for a, b in [".e", "em", "mm", "ma", "a.", ".a", "av", "va", "a."]:  # every pair, the boundary at both ends
        expected[vocab.stoi[a], vocab.stoi[b]] += 1
    assert torch.equal(counts, expected)
    ax = mm.plot_bigram_counts(["emma", "ava"])
    assert {t.get_text() for t in ax.texts} >= {"a.", "2", "mm"} and len(ax.texts) == 2 * 25


def test_pictures_draw_the_model(trained):
    run = trained
    bars = run.plot_next("em").patches
    probs = torch.softmax(run.model.next_logits(torch.tensor([[0, *run.vocab.encode("em")]])), dim=-1)[0]
    assert torch.allclose(torch.tensor([b.get_height() for b in bars], dtype=torch.float32), probs, atol=1e-6)
    legend = [t.get_text() for t in run.plot_activations().get_legend().get_texts()]
    assert len(legend) == 2 and all("(Tanh)" in t and "saturated" in t for t in legend)  # TINY: 2 hidden layers
    assert len(run.plot_embedding().collections[0].get_offsets()) == len(run.vocab)
    assert [line.get_label() for line in run.plot_loss().get_lines()] == ["loss/train", "loss/val"]
    import matplotlib.pyplot as plt

    plt.close("all")


def test_two_runs_in_one_second_get_a_directory_each(in_tmp):
    """claim_dir remembers its answer (Hydra resolves hydra.run.dir more than once); mm.train claims afresh."""
    from makemore.runs.layout import claim_new_dir

    assert [claim_new_dir("outputs/d/t") for _ in range(2)] == ["outputs/d/t", "outputs/d/t_2"]
