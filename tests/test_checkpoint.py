import pytest
import torch

from makemore.checkpoint import (
    CHECKPOINT_FORMAT,
    KEYS,
    CheckpointError,
    load_checkpoint,
    model_from_checkpoint,
)
from makemore.trainer import train


@pytest.fixture
def trained_run(tiny_cfg, tmp_path):
    run_dir = tmp_path / "run"
    train(tiny_cfg, run_dir, progress=False)
    return run_dir


def test_checkpoint_is_a_plain_self_describing_dict(trained_run, tiny_cfg):
    ckpt = torch.load(trained_run / "checkpoints" / "last.pt", weights_only=True)
    assert set(ckpt) == set(KEYS)
    assert ckpt["format"] == CHECKPOINT_FORMAT and ckpt["step"] == tiny_cfg.train.max_steps
    assert type(ckpt["config"]) is dict and ckpt["config"]["model"]["n_hidden"] == 32
    assert ckpt["vocab"][0] == "." and ckpt["vocab"][1:] == sorted(ckpt["vocab"][1:])
    best = load_checkpoint(trained_run / "checkpoints" / "best.pt")
    assert best["best_val_loss"] == min(best["best_val_loss"], ckpt["best_val_loss"])


def test_save_load_gives_identical_logits(trained_run, tiny_cfg, words_file):
    from makemore.models import build_model

    ckpt = load_checkpoint(trained_run / "checkpoints" / "last.pt")
    words_file.unlink()  # the checkpoint alone rebuilds the model: no data file, no config
    model, vocab, cfg = model_from_checkpoint(ckpt)
    assert not model.training
    torch.manual_seed(0)
    fresh = build_model(cfg.model, len(vocab), cfg.data.block_size, cfg.embedding.name).eval()
    fresh.load_state_dict(ckpt["model"])
    idx = torch.randint(0, len(vocab), (50, cfg.data.block_size))
    with torch.no_grad():
        assert torch.equal(model(idx)[0], fresh(idx)[0])
        reloaded, _, _ = model_from_checkpoint(load_checkpoint(trained_run / "checkpoints" / "last.pt"))
        assert torch.equal(model(idx)[0], reloaded(idx)[0])


def test_no_temporary_files_left_behind(trained_run):
    assert sorted(p.name for p in (trained_run / "checkpoints").iterdir()) == ["best.pt", "last.pt"]


class Boom:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned",))


def test_code_in_a_checkpoint_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": 1, "payload": Boom()}, path)
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(path)


@pytest.mark.parametrize("obj, message", [({"step": 1}, "not a makemore checkpoint"), ({"format": 99}, "format 99")])
def test_foreign_checkpoints_get_a_clear_message(tmp_path, obj, message):
    path = tmp_path / "other.pt"
    torch.save(obj, path)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


def test_truncated_checkpoint(trained_run, tmp_path):
    data = (trained_run / "checkpoints" / "last.pt").read_bytes()
    path = tmp_path / "cut.pt"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(path)
