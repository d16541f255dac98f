"""Checkpoint integrity (issue 27, part 2): a damaged file is refused by its digest, and a malformed one by the one
validation every loader shares (makemore/runs/integrity.py), through every entry point: sample, score and evaluate
(load_trained), train.resume and train.init_from. Faults are injected for real: bits flipped inside a weight's bytes
on disk, and crafted checkpoints (re-digested, so that only the field checks can refuse them)."""

import zipfile
from pathlib import Path

import pytest
import torch

from helpers import TINY, compose_config, run_script, write_tiny_words
from makemore.cli.errors import USER_ERRORS
from makemore.inference.loading import load_trained
from makemore.runs.checkpoint import load_checkpoint
from makemore.runs.integrity import digest_of
from makemore.training.trainer import train

TINY = [*TINY, "train.threads=1", "train.max_steps=20", "train.eval_interval=10"]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("integrity")
    words = write_tiny_words(folder)
    train(compose_config([f"data.path={words}", *TINY]), folder / "run", progress=False)
    return folder / "run", words


def flip_bits_in_every_tensor(source: Path, target: Path) -> None:
    """target: source with one bit flipped in the middle of every tensor's bytes (the zip stores them raw, and
    torch.load does not check the zip's CRCs)."""
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as z:
        for info in z.infolist():
            if "/data/" not in info.filename or info.file_size == 0:
                continue
            at = info.header_offset
            name_len = int.from_bytes(data[at + 26 : at + 28], "little")
            extra_len = int.from_bytes(data[at + 28 : at + 30], "little")
            data[at + 30 + name_len + extra_len + info.file_size // 2] ^= 0x10
    target.write_bytes(bytes(data))


@pytest.mark.slow
def test_a_flipped_bit_in_a_weight_is_refused_by_every_tool(run, tmp_path):
    best = run[0] / "checkpoints" / "best.pt"
    damaged = tmp_path / "damaged.pt"
    flip_bits_in_every_tensor(best, damaged)
    raw, good = torch.load(damaged, weights_only=True), torch.load(best, weights_only=True)
    assert any(not torch.equal(raw["model"][k], good["model"][k]) for k in good["model"])  # torch.load: silent
    for script, args in [("sample.py", ["num_samples=3"]), ("score.py", ["word=anna"]), ("evaluate.py", [])]:
        proc = run_script(script, f"run={damaged}", *args, check=False)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(lines) == 1, proc.stderr
        assert lines[0].startswith(f"error: checkpoint {damaged}: damaged"), lines[0]


def craft(ckpt: dict, change) -> dict:
    change(ckpt)
    ckpt["digest"] = digest_of(ckpt)
    return ckpt


def set_model_weight(c):
    name = next(iter(c["model"]))
    c["model"][name] = torch.zeros(3, 3, 3)


def set_config_key(c):
    c["config"]["train"]["bogus"] = 1


def wrong_optimizer_shape(c):
    first = next(iter(c["optimizer"]["state"].values()))
    first["exp_avg"] = torch.zeros(7)


CRAFTED = {
    "config not a dict": (lambda c: c.update(config=[1, 2]), "config is not a run config"),
    "config with an extra key": (set_config_key, "bogus"),
    "a weight of the wrong shape": (set_model_weight, "(3, 3, 3)"),
    "a vocabulary of 10,000 tokens": (
        lambda c: c.update(vocab=[".", *map(chr, range(0x4E00, 0x4E00 + 9999))]),
        "of 10000 tokens",
    ),  # fmt: skip
    "an optimizer of another model": (lambda c: c["optimizer"]["param_groups"][0]["params"].pop(), "optimizer"),
    "a step that is a string": (lambda c: c.update(step="12"), "step='12'"),
    "no minibatch generator state": (lambda c: c["rng"].pop("batches"), "rng lacks"),
    "undecodable training words": (lambda c: c.update(train_words="anna\udcff\nbob"), "undecodable"),
    "training words that are not strings": (lambda c: c.update(train_words=[1, 2]), "train_words is not"),
    "training words outside the vocab": (lambda c: c.update(train_words="anna\nzzq\u00e9"), "vocab lacks"),
    "a NaN loss window": (lambda c: c.update(loss_window=torch.zeros(3, 3)), "loss_window"),
}


def refused(call, *fragments) -> str:
    with pytest.raises(USER_ERRORS) as err:
        call()
    line = str(err.value)
    assert "\n" not in line and all(f in line for f in fragments), line
    return line


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CRAFTED))
def test_a_crafted_checkpoint_is_refused_in_one_line_by_every_loader(run, tmp_path, case):
    change, fragment = CRAFTED[case]
    path = tmp_path / "crafted.pt"
    torch.save(craft(torch.load(run[0] / "checkpoints" / "last.pt", weights_only=True), change), path)
    words = run[1]
    refused(lambda: load_trained(str(path)), str(path), fragment)  # sample.py, score.py, evaluate.py
    for key in ("train.resume", "train.init_from"):
        cfg = compose_config([f"data.path={words}", *TINY, f"{key}={path}"])
        refused(lambda cfg=cfg, key=key: train(cfg, tmp_path / key, progress=False), str(path), fragment)


def test_an_optimizer_state_of_the_wrong_shape_is_refused_on_resume(run, tmp_path):
    """The one check that needs the live optimizer (which parameter is which): done in training/resume.py."""
    path = tmp_path / "crafted.pt"
    torch.save(craft(torch.load(run[0] / "checkpoints" / "last.pt", weights_only=True), wrong_optimizer_shape), path)
    cfg = compose_config([f"data.path={run[1]}", *TINY, f"train.resume={path}"])
    refused(lambda: train(cfg, tmp_path / "r", progress=False), str(path), "optimizer state does not fit")


def test_files_without_a_digest_still_load_and_a_saved_one_checks_out(run, tmp_path):
    ckpt = torch.load(run[0] / "checkpoints" / "best.pt", weights_only=True)
    assert ckpt["digest"] == digest_of(ckpt) and ckpt["digest"].startswith("sha256:")
    del ckpt["digest"]
    torch.save(ckpt, tmp_path / "old.pt")
    assert load_checkpoint(tmp_path / "old.pt")["step"] == ckpt["step"]
