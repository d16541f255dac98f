"""Several runs as one model (makemore/ensemble.py): the mean of their distributions, through the real entry points."""

import json
import math

import pytest
import torch
import torch.nn.functional as F

from helpers import TINY, compose_config, run_script, write_tiny_words
from makemore.data.examples import Examples
from makemore.data.split import load_corpus
from makemore.inference.ensemble import Ensemble
from makemore.inference.evaluation import evaluate
from makemore.inference.loading import load_trained
from makemore.inference.sampling import generate
from makemore.runs.checkpoint import load_checkpoint, model_from_checkpoint
from makemore.training.trainer import train

TRANSFORMER = ["model=transformer", "model.n_embd=8", "model.n_head=2", "model.n_layers=1", "train.batch_size=16"]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """A -m sweep's directory of two Transformers that differ only in their seed, as experiment=transformer_pair."""
    tmp = tmp_path_factory.mktemp("ensemble")
    words = write_tiny_words(tmp)
    sweep = tmp / "sweep"
    run_script("train.py", "-m", f"data.path={words}", *TINY, *TRANSFORMER, "seed=1,2", f"hydra.sweep.dir={sweep}")
    return sweep


def members(sweep):
    return [model_from_checkpoint(load_checkpoint(sweep / str(i) / "checkpoints" / "best.pt"))[0] for i in (0, 1)]


@pytest.mark.slow
def test_the_ensemble_predicts_the_mean_of_its_members_distributions(sweep):
    a, b = members(sweep)
    ensemble = Ensemble([a, b])
    idx = torch.tensor([[0, 5, 13, 13], [0, 1, 22, 1]])
    logits, _ = ensemble(idx)
    mean = (F.softmax(a(idx)[0], -1) + F.softmax(b(idx)[0], -1)) / 2  # (2, 4, V)
    assert torch.allclose(logits.exp(), mean, atol=1e-6) and torch.allclose(logits.exp().sum(-1), torch.ones(2, 4))
    # sampling's calls give the same distribution: next_logits, and the members' own decoders (key/value caches)
    assert torch.allclose(ensemble.next_logits(idx), logits[:, -1], atol=1e-6)
    decoder = ensemble.decoder(idx[:, :2])
    decoder.advance(torch.tensor([True, True]), idx[:, 2])
    assert torch.allclose(decoder.logits(), logits[:, 2], atol=1e-6)
    assert Ensemble([a, a])(idx)[0].allclose(F.log_softmax(a(idx)[0], -1), atol=1e-6)  # one model twice: that model


@pytest.mark.slow
def test_evaluate_on_a_sweep_never_loses_to_its_members_mean(sweep):
    """Jensen: -log of a mean of probabilities is at most the mean of the -logs, target by target, so on a split too."""
    ckpt = load_checkpoint(sweep / "0" / "checkpoints" / "best.pt")
    a, b = members(sweep)
    val = compose_config([f"data.path={ckpt['config']['data']['path']}"])  # the same split: the same words
    corpus = load_corpus(val.data)
    examples = Examples.build(corpus.splits["val"], corpus.vocab, a.block_size, a.sequence)
    losses = [evaluate(m, examples) for m in (a, b)]
    report = json.loads(run_script("evaluate.py", f"run={sweep}", "format=json").stdout)
    assert report["loss"] <= sum(losses) / 2 + 1e-9
    assert report["loss"] == pytest.approx(evaluate(Ensemble([a, b]), examples), rel=1e-6)
    best = [sweep / str(i) / "checkpoints" / "best.pt" for i in (0, 1)]
    assert report["checkpoint"] == f"{best[0]} + {best[1]}"
    listed = json.loads(run_script("evaluate.py", f"run=[{sweep / '0'},{sweep / '1'}]", "format=json").stdout)
    assert listed["loss"] == report["loss"]  # a list of the runs is the sweep's directory


@pytest.mark.slow
def test_a_transformer_and_an_lstm_predict_together(sweep, tmp_path):
    """Families that read the same context (the whole word so far) mix: the ensemble of experiment=zoo_pair."""
    ckpt = load_checkpoint(sweep / "0" / "checkpoints" / "best.pt")
    words = ckpt["config"]["data"]["path"]
    lstm = tmp_path / "lstm"
    train(compose_config([f"data.path={words}", *TINY, "model=lstm", "model.n_layers=2", "model.dropout=0.1"]), lstm,
          progress=False)  # fmt: skip
    report = json.loads(run_script("evaluate.py", f"run=[{sweep / '0'},{lstm}]", "format=json").stdout)
    transformer = members(sweep)[0]
    lstm_model = model_from_checkpoint(load_checkpoint(lstm / "checkpoints" / "best.pt"))[0]
    corpus = load_corpus(compose_config([f"data.path={words}"]).data)
    examples = Examples.build(corpus.splits["val"], corpus.vocab, transformer.block_size, True)
    losses = [evaluate(m, examples) for m in (transformer, lstm_model)]
    assert report["loss"] <= sum(losses) / 2 + 1e-9
    assert report["loss"] == pytest.approx(evaluate(Ensemble([transformer, lstm_model]), examples), rel=1e-6)
    names = run_script("sample.py", f"run=[{sweep / '0'},{lstm}]", "num_samples=20").stdout.split()
    assert len(names) == 20 and all(n.isalpha() for n in names)


@pytest.mark.slow
def test_sample_and_score_take_several_runs(sweep):
    runs = f"run=[{sweep / '0'},{sweep / '1'}]"
    names = run_script("sample.py", runs, "num_samples=30", "seed=3").stdout.split()
    assert len(names) == 30 and all(n.isalpha() for n in names)
    trained = load_trained([str(sweep / "0"), str(sweep / "1")])
    assert names == list(generate(trained.model, trained.vocab, 30, torch.Generator().manual_seed(3)))
    rows = json.loads(run_script("score.py", runs, "word=[emma,ava]", "format=json").stdout)
    assert {r["word"] for r in rows} == {"emma", "ava"} and all(math.isfinite(r["nll_per_char"]) for r in rows)


@pytest.mark.slow
def test_runs_that_cannot_predict_together_are_refused_in_one_line(sweep, tmp_path):
    other_words = tmp_path / "other"
    other_words.mkdir()
    words = write_tiny_words(other_words)
    words.write_text("\n".join(reversed(words.read_text().split())) + "\n")  # the same names, another split
    other = tmp_path / "other_run"
    train(compose_config([f"data.path={words}", *TINY, *TRANSFORMER]), other, progress=False)
    mlp = tmp_path / "mlp_run"
    same_words = load_checkpoint(sweep / "0" / "checkpoints" / "best.pt")["config"]["data"]["path"]
    train(compose_config([f"data.path={same_words}", *TINY]), mlp, progress=False)
    for run, says in [(other, "was trained on other words than"), (mlp, "must read the same context")]:
        proc = run_script("sample.py", f"run=[{sweep / '0'},{run}]", check=False)
        assert proc.returncode == 2 and proc.stdout == "" and len(proc.stderr.splitlines()) == 1, proc.stderr
        assert says in proc.stderr and "Traceback" not in proc.stderr
