"""The TensorBoard diagnostics: every tag, the projector and the hparams land in the run's own directory,
and recording them leaves the training itself untouched."""

import json

import pytest
import torch

from helpers import compose_config, events, hparams_of
from makemore.board.diagnostics import flatten, project_2d, token_labels
from makemore.data.vocab import Vocab
from makemore.training.trainer import train


def test_token_labels_name_the_boundary_and_escape_whitespace():
    labels = token_labels(Vocab((".", " ", "a", "b", "é")))
    assert labels == [[". (boundary)", "boundary"], ["' '", "other"], ["a", "vowel"], ["b", "letter"], ["é", "vowel"]]


def test_project_2d_keeps_raw_dims_and_pca_keeps_a_plane():
    table = torch.tensor([[0.0, 1.0], [2.0, 3.0], [5.0, -1.0]])
    points, _, _ = project_2d(table)
    assert torch.equal(torch.from_numpy(points).float(), table)
    # points on a tilted plane in 3-D: PCA to 2-D keeps every distance between them
    tilt = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.0, 3.0]], dtype=torch.float64)  # (2, 3)
    plane = torch.randn(30, 2, dtype=torch.float64) @ tilt  # (30, 3)
    points, xlabel, ylabel = project_2d(plane + 7.0)
    points = torch.from_numpy(points)

    def distances(x):
        return torch.cdist(x, x, compute_mode="donot_use_mm_for_euclid_dist")

    assert torch.allclose(distances(points), distances(plane))
    assert xlabel.startswith("PC1") and ylabel.startswith("PC2")


def test_flatten_gives_the_command_line_keys():
    assert flatten({"seed": 1, "model": {"n_embd": 2, "norm": "none"}, "optim": {"milestones": [5, 9]}}) == {
        "seed": 1,
        "model.n_embd": 2,
        "model.norm": "none",
        "optim.milestones": "[5, 9]",
    }


@pytest.mark.slow
def test_run_dir_holds_every_tag_the_projector_and_the_hparams(tiny_cfg, tmp_path):
    run_dir = tmp_path / "run"
    metrics = train(tiny_cfg, run_dir, progress=False)  # TINY: 2 hidden layers, evaluations at 20, 40, 60
    acc = events(run_dir)
    tags = acc.Tags()
    layers = ["hidden.2", "hidden.6"]  # the tanh modules
    params = ["embedding.lookup.weight", "hidden.0.weight", "head.weight", "head.bias"]
    assert [e.step for e in acc.Scalars("loss/train")] == [10, 20, 30, 40, 50, 60]
    for tag in ["loss/val", "grad_norm", *(f"saturation/{n}" for n in layers), *(f"update_ratio/{p}" for p in params)]:
        assert [e.step for e in acc.Scalars(tag)] == [20, 40, 60], tag
    assert all(0 <= e.value <= 1 for n in layers for e in acc.Scalars(f"saturation/{n}"))
    histograms = {f"{kind}/{n}" for kind in ("preact", "act") for n in layers} | {f"grad/{p}" for p in params}
    assert histograms <= set(tags["histograms"])
    act = acc.Histograms("act/hidden.2")[-1].histogram_value
    assert act.min >= -1 and act.max <= 1 and act.num == tiny_cfg.train.batch_size * 32  # n_hidden=32
    assert [e.step for e in acc.Images("embedding/scatter")] == [20, 40, 60]
    assert acc.Images("embedding/scatter")[0].encoded_image_string[:4] == b"\x89PNG"
    samples = acc.Tensors("samples")
    assert [e.step for e in samples] == [20, 40, 60]
    assert len(samples[-1].tensor_proto.string_val[0].decode().splitlines()) == 8

    # the projector: its config and files in the run dir, one table per evaluation, rows labelled
    config = (run_dir / "projector_config.pbtxt").read_text()
    assert config.count('tensor_name: "embedding:') == 3
    table = run_dir / "00060" / "embedding"
    rows = (table / "metadata.tsv").read_text().splitlines()
    assert rows[:3] == ["token\tkind", ". (boundary)\tboundary", "a\tvowel"]
    assert len((table / "tensors.tsv").read_text().splitlines()) == len(rows) - 1

    # the hparams in this run's own event file, not a timestamped sub-run beside it
    assert len(list(run_dir.glob("events.out.tfevents.*"))) == 1
    assert not [p for p in run_dir.rglob("events.out.tfevents.*") if p.parent != run_dir]
    hparams, metric_tags = hparams_of(run_dir)
    assert hparams["embedding.name"] == "lookup" and hparams["model.n_embd"] == 4 and hparams["seed"] == 1337
    assert metric_tags == {"metrics/train_loss", "metrics/val_loss", "metrics/test_loss", "metrics/best_val_loss"}
    # TensorBoard keeps float32; evaluation sums in float64
    assert acc.Scalars("metrics/val_loss")[0].value == torch.tensor(metrics["val_loss"], dtype=torch.float32).item()
    assert json.loads((run_dir / "metrics.json").read_text())["val_loss"] == metrics["val_loss"]


def test_diagnostics_leave_the_training_untouched(words_file, tmp_path):
    # batchnorm (running statistics) and dropout (global RNG) are what a careless diagnostic pass would disturb
    overrides = [
        f"data.path={words_file}",
        "model.n_embd=4",
        "model.n_hidden=16",
        "model.norm=batchnorm",
        "model.dropout=0.2",
        "train.max_steps=30",
        "train.batch_size=16",
        "train.eval_interval=10",
    ]
    on = train(compose_config([*overrides, "train.diagnostics=true"]), tmp_path / "on", progress=False)
    off = train(compose_config([*overrides, "train.diagnostics=false"]), tmp_path / "off", progress=False)
    on.pop("train_seconds"), off.pop("train_seconds")
    assert on == off
    w_on, w_off = (torch.load(tmp_path / r / "checkpoints" / "last.pt", weights_only=True) for r in ("on", "off"))
    assert all(torch.equal(w_on["model"][k], w_off["model"][k]) for k in w_on["model"])
    assert all(
        torch.equal(a, b)
        for a, b in zip(w_on["optimizer"]["state"][0].values(), w_off["optimizer"]["state"][0].values(), strict=True)
    )
    assert "embedding/scatter" not in events(tmp_path / "off").Tags()["images"]
    assert not (tmp_path / "off" / "projector_config.pbtxt").exists()
    assert hparams_of(tmp_path / "off")[0]["model.norm"] == "batchnorm"  # hparams whatever the switch
