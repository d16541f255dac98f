"""train.init_from: a run's weights start a run on new words; shared characters keep their rows, bit for bit."""

import json
from pathlib import Path

import pytest
import torch

from helpers import TINY, compose_config, run_script
from makemore.config import ConfigError
from makemore.models import build_model
from makemore.runs.checkpoint import load_checkpoint
from makemore.training import trainer


@pytest.fixture(scope="module")
def source(tiny_run):
    """The shared tiny run on 200 names: its run directory and best.pt."""
    return tiny_run, load_checkpoint(tiny_run / "checkpoints" / "best.pt")


def new_words(tmp_path, source_ckpt) -> tuple:
    """The source's words with one of its letters gone and two new ones: (path, dropped, new)."""
    dropped, new = "z", ("é", "ç")
    assert dropped in source_ckpt["vocab"] and not set(new) & set(source_ckpt["vocab"])
    words = [w.replace("z", "") or "ann" for w in source_ckpt["train_words"]]
    words = [w + "é" if i % 3 == 0 else w for i, w in enumerate(words)] + ["françois", "cédric"] * 5
    path = tmp_path / "french.txt"
    path.write_text("\n".join(words) + "\n")
    return path, dropped, new


def test_shared_rows_are_the_sources_new_rows_fresh_old_only_rows_gone(source, tmp_path):
    run, ckpt = source
    path, dropped, new = new_words(tmp_path, ckpt)
    cfg = compose_config([f"data.path={path}", *TINY, f"train.init_from={run}"])
    tuned = trainer.prepare(cfg, tmp_path / "tuned")
    model, vocab = tuned.model, tuned.corpus.vocab.itos
    old = ckpt["vocab"]
    table, head_w, head_b = model.embedding.table, model.head.weight, model.head.bias
    assert table.shape[0] == head_w.shape[0] == len(vocab) and dropped not in vocab
    for i, token in enumerate(vocab):
        if token in old:
            j = old.index(token)
            assert torch.equal(table[i], ckpt["model"]["embedding.lookup.weight"][j]), token
            assert torch.equal(head_w[i], ckpt["model"]["head.weight"][j]), token
            assert torch.equal(head_b[i], ckpt["model"]["head.bias"][j]), token
    # the rest of the network is the source's, as it was
    assert torch.equal(model.hidden[0].weight, ckpt["model"]["hidden.0.weight"])
    # new characters: the rows a run from scratch with the same seed draws for them
    torch.manual_seed(cfg.seed)
    scratch = build_model(tuned.cfg, len(vocab))
    for token in new:
        i = vocab.index(token)
        assert torch.equal(table[i], scratch.embedding.table[i]) and torch.equal(head_w[i], scratch.head.weight[i])
    gone = ckpt["model"]["embedding.lookup.weight"][old.index(dropped)]
    assert not any(torch.equal(row, gone) for row in table)


@pytest.mark.slow
def test_a_fine_tuned_run_trains_from_step_0_with_the_sources_shape(source, tmp_path):
    run, ckpt = source
    path, _, _ = new_words(tmp_path, ckpt)
    out = tmp_path / "tuned"
    # the default recipe's n_hidden is 320; the source's 32 wins, as nothing on the command line asked otherwise
    run_script("train.py", f"data.path={path}", "train.max_steps=40", "train.eval_interval=20",
               f"train.init_from={run}", "train.threads=1", f"hydra.run.dir={out}")  # fmt: skip
    tuned = load_checkpoint(out / "checkpoints" / "last.pt")
    assert tuned["step"] == 40 and tuned["config"]["model"] == ckpt["config"]["model"]
    assert json.loads((out / "metrics.json").read_text())["steps"] == 40
    assert "é" in tuned["vocab"] and "z" not in tuned["vocab"]


@pytest.mark.slow
def test_a_conflicting_model_override_and_resume_are_refused(source, tmp_path):
    run, ckpt = source
    path, _, _ = new_words(tmp_path, ckpt)
    cfg = compose_config([f"data.path={path}", *TINY, "model.n_hidden=64", f"train.init_from={run}"])
    message = r"model.n_hidden=64 conflicts with the checkpoint's model.n_hidden=32"
    with pytest.raises(ConfigError, match=message):
        trainer.prepare(cfg, tmp_path / "x", overrides=("model.n_hidden", "data.path"))
    proc = run_script("train.py", f"data.path={path}", "model.n_hidden=64", f"train.init_from={run}",
                      f"hydra.run.dir={tmp_path / 'y'}", check=False)  # fmt: skip
    best = run / "checkpoints" / "best.pt"
    assert proc.returncode == 2 and f"error: train.init_from={best}: {message}" in proc.stderr
    with pytest.raises(Exception, match="no train.init_from with train.resume"):
        compose_config([f"train.init_from={run}", f"train.resume={run}"])


def test_the_fine_tuning_examples_list_is_new_to_the_bundled_names():
    # docs/results.md's fine-tuning measurement rests on this: 400 names the source run never saw, same alphabet
    data = Path(__file__).resolve().parents[1] / "data"
    old = (data / "old_names.txt").read_text(encoding="utf-8").split()
    bundled = (data / "names.txt").read_text(encoding="utf-8").split()
    assert len(old) == len(set(old)) == 400
    assert not set(old) & set(bundled)
    assert set("".join(old)) <= set("".join(bundled))
