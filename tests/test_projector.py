"""The projector's step folders sort by step for any run length, and a resumed run keeps its earlier tables."""

import torch
from google.protobuf import text_format
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

from makemore.board.projector import Projector

LABELS = [[". (boundary)", "boundary"], ["a", "vowel"], ["b", "letter"]]


def index(run_dir):
    config = text_format.Parse((run_dir / "projector_config.pbtxt").read_text(), ProjectorConfig())
    return [(e.tensor_name, e.tensor_path, e.metadata_path) for e in config.embeddings]


def table(step):
    return torch.full((3, 2), float(step))


def test_default_runs_keep_five_digit_folders(tmp_path):
    projector = Projector(tmp_path / "projector_config.pbtxt", resumed_at=None, max_steps=12_000)
    projector.add(table(100), LABELS, 100)
    assert index(tmp_path) == [("embedding:00100", "00100/embedding/tensors.tsv", "00100/embedding/metadata.tsv")]
    folder = tmp_path / "00100" / "embedding"
    assert (folder / "metadata.tsv").read_text() == "token\tkind\n. (boundary)\tboundary\na\tvowel\nb\tletter\n"
    assert (folder / "tensors.tsv").read_text() == "100.0\t100.0\n" * 3


def test_folders_sort_by_step_past_99999_steps(tmp_path):
    steps = [20_000, 90_000, 100_000, 200_000]
    projector = Projector(tmp_path / "projector_config.pbtxt", resumed_at=None, max_steps=200_000)
    for step in steps:
        projector.add(table(step), LABELS, step)
    folders = sorted(p.name for p in tmp_path.iterdir() if p.is_dir())
    assert folders == ["020000", "090000", "100000", "200000"]  # text order is step order (5 digits: 100000 < 20000)
    assert [name for name, _, _ in index(tmp_path)] == [f"embedding:{f}" for f in folders]


def test_a_resume_to_more_steps_widens_the_earlier_folders(tmp_path):
    config = tmp_path / "projector_config.pbtxt"
    first = Projector(config, resumed_at=None, max_steps=60_000)
    for step in (20_000, 40_000, 60_000):  # 60_000: written after the last checkpoint, then the process was killed
        first.add(table(step), LABELS, step)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["20000", "40000", "60000"]

    resumed = Projector(config, resumed_at=40_000, max_steps=200_000)
    widened = [(f"embedding:{s:06d}", f"{s:06d}/embedding/tensors.tsv", f"{s:06d}/embedding/metadata.tsv")
               for s in (20_000, 40_000)]  # fmt: skip
    assert index(tmp_path) == widened  # at once: the index names the folders where they are now
    resumed.add(table(60_000), LABELS, 60_000)
    resumed.add(table(100_000), LABELS, 100_000)
    assert [name for name, _, _ in index(tmp_path)] == ["embedding:020000", "embedding:040000", "embedding:060000",
                                                        "embedding:100000"]  # fmt: skip
    for _, tensors, metadata in index(tmp_path):  # every table the index names is where it says, with its own values
        step = int(tensors.split("/")[0])
        assert (tmp_path / tensors).read_text() == f"{float(step)}\t{float(step)}\n" * 3
        assert (tmp_path / metadata).read_text().startswith("token\tkind\n")
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["020000", "040000", "060000", "100000"]


def test_an_old_run_resumed_at_its_own_width_is_read_as_it_is(tmp_path):
    config = tmp_path / "projector_config.pbtxt"
    Projector(config, resumed_at=None, max_steps=12_000).add(table(1000), LABELS, 1000)
    before = index(tmp_path)
    resumed = Projector(config, resumed_at=1000, max_steps=12_000)
    resumed.add(table(2000), LABELS, 2000)
    two = ("embedding:02000", "02000/embedding/tensors.tsv", "02000/embedding/metadata.tsv")
    assert index(tmp_path) == [*before, two]
