"""Every family through the real pipeline on a tiny config: train -> checkpoint -> sample, lookup against
one-hot, and one comparable number (the mean NLL per predicted character) whatever the family."""

import json
import math

import pytest
import torch

from helpers import TINY, compose_config, events, run_script
from makemore.config import MODELS
from makemore.data.examples import Examples
from makemore.inference.evaluation import evaluate
from makemore.inference.sampling import generate
from makemore.runs.checkpoint import load_checkpoint, model_from_checkpoint
from makemore.training.trainer import prepare, train

# small enough for seconds; the transformer keeps heads that divide its width
SMALL = {
    "transformer": ["model.n_embd=8", "model.n_head=2", "model.n_layers=2"],
    "hierarchical": ["model.n_layers=2"],
    "bigram": ["optim.lr=0.1"],  # a table of logits from randn: it needs big steps (the lecture used SGD at 50)
    "lstm": ["model.n_layers=2"],  # stacked cells (experiment=best_lstm's), through the whole pipeline
}


def overrides(family: str, words_file, embedding="lookup") -> list[str]:
    return [f"data.path={words_file}", f"model={family}", *TINY, *SMALL.get(family, []), "model.dropout=0.0",
            f"embedding={embedding}", "train.max_steps=40", "train.log_interval=5"]  # fmt: skip


def scalars(run_dir, tag) -> dict[int, float]:
    return {e.step: e.value for e in events(run_dir).Scalars(tag)}


@pytest.mark.slow
@pytest.mark.parametrize("family", MODELS)
def test_lookup_and_onehot_give_the_same_curves(family, words_file, tmp_path):
    for embedding in ("lookup", "onehot"):
        train(compose_config(overrides(family, words_file, embedding)), tmp_path / embedding, progress=False)
    for tag in ("loss/train", "loss/val"):
        a, b = scalars(tmp_path / "lookup", tag), scalars(tmp_path / "onehot", tag)
        assert a.keys() == b.keys() and len(a) >= 2
        assert max(abs(a[s] - b[s]) for s in a) < 1e-4, tag
    # every family shows its activations and its embedding table in TensorBoard
    tags = events(tmp_path / "lookup").Tags()
    assert "embedding/scatter" in tags["images"]
    if family != "bigram":  # a bigram is a table of logits: no nonlinearity
        assert any(t.startswith("act/") for t in tags["histograms"]), tags["histograms"]


@pytest.mark.slow
@pytest.mark.parametrize("family", MODELS)
def test_train_then_sample_every_family(family, words_file, tmp_path):
    train(compose_config(overrides(family, words_file)), tmp_path / "run", progress=False)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert all(math.isfinite(metrics[k]) for k in ("train_loss", "val_loss", "test_loss"))
    first = min(scalars(tmp_path / "run", "loss/train").items())[1]  # the mean loss of steps 1-5
    assert metrics["train_loss"] < first  # it learned something
    words_file.unlink()  # the checkpoint alone is enough
    if family == "transformer":  # one family through the entry point too (sample.py's own test covers the mlp)
        names = run_script("sample.py", f"run={tmp_path / 'run'}", "num_samples=5", "prefix=a").stdout.split()
    else:  # what sample.py does, in this process
        model, vocab, _ = model_from_checkpoint(load_checkpoint(tmp_path / "run" / "checkpoints" / "best.pt"))
        names = list(generate(model, vocab, 5, torch.Generator().manual_seed(0), prefix="a"))
    assert len(names) == 5 and all(n.startswith("a") and n.isalpha() for n in names)


def nll_one_character_at_a_time(model, vocab, words) -> float:
    """The mean NLL per predicted character, the slow way: each word grown one character at a time."""
    total, count = 0.0, 0
    with torch.no_grad():
        for word in words:
            ids = [0, *vocab.encode(word), 0]
            for t in range(1, len(ids)):
                logp = torch.log_softmax(model.next_logits(torch.tensor([ids[:t]])), dim=-1)
                total -= logp[0, ids[t]].item()
                count += 1
    return total / count


@pytest.mark.slow
@pytest.mark.parametrize("family", ["mlp", "bigram", "transformer", "gru"])
def test_one_comparable_number_for_every_family(family, words_file, tmp_path):
    trainer = prepare(compose_config(overrides(family, words_file)), tmp_path / "run")
    metrics = trainer.run(progress_bar=False)
    model, vocab, _ = model_from_checkpoint(load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt"))
    val_words = trainer.corpus.splits["val"]
    assert metrics["val_loss"] == pytest.approx(nll_one_character_at_a_time(model, vocab, val_words), abs=1e-5)
    if family == "mlp":  # for a window model it is today's val loss: the mean over (context, next) pairs
        assert metrics["val_loss"] == evaluate(model, Examples.build(val_words, vocab, model.block_size, False))


def test_natural_context_lengths(words_file):
    longest = max(len(w) for w in words_file.read_text().split())
    expected = {"mlp": 5, "bigram": 1, "hierarchical": 8, "transformer": longest + 1, "bow": longest + 1}
    for family, block_size in expected.items():
        cfg = compose_config([f"data.path={words_file}", f"model={family}"])
        assert cfg.data.block_size is None
        trainer = prepare(cfg, words_file.parent / family)
        assert trainer.model.block_size == block_size == cfg.data.block_size, family  # resolved into the config
