"""The embedding projector's files in a run directory: one folder per evaluation and their index.

    projector = Projector(run_dir / "projector_config.pbtxt", resumed_at=None, max_steps=12_000)
    projector.add(table, labels, step)   # at each evaluation: 01000/embedding/{tensors,metadata}.tsv, the index

TensorBoard's Projector reads projector_config.pbtxt, which names each table (`embedding:01000`) and its files.
A step's folder is the step zero-padded to the width of train.max_steps, at least 5 digits (00100/, what runs have
always had), so that the folders sort by step however long the run: a 200,000-step run writes 000100/ ... 200000/,
where 5 digits would put 100000/ before 20000/. SummaryWriter.add_embedding pads to 5 digits only, and rewrites the
index from the tables of its own writer; so the files are written here, and the index lists every table in step
order, a resumed run's earlier ones included.
"""

from pathlib import Path

import torch
from google.protobuf import text_format
from tensorboard.plugins.projector.projector_config_pb2 import EmbeddingInfo, ProjectorConfig

TAG = "embedding"  # the tables' name in the Projector: embedding:01000
MIN_DIGITS = 5  # the step folders' least width (00100/)
HEADER = ["token", "kind"]  # metadata.tsv's columns (makemore.board.diagnostics.token_labels)


def step_of(entry: EmbeddingInfo) -> int:
    return int(entry.tensor_name.rpartition(":")[2])  # "embedding:00100" -> 100


def folder_of(entry: EmbeddingInfo) -> str:
    return Path(entry.tensor_path).parts[0]  # "00100/embedding/tensors.tsv" -> "00100"


def entry_for(folder: str) -> EmbeddingInfo:
    return EmbeddingInfo(tensor_name=f"{TAG}:{folder}", tensor_path=f"{folder}/{TAG}/tensors.tsv",
                         metadata_path=f"{folder}/{TAG}/metadata.tsv")  # fmt: skip


class Projector:
    """The index and the step folders of one run, kept in step order (see the module docstring).

    A resumed run keeps the tables up to the step it resumed from (those a killed process wrote after its last
    checkpoint leave the index). When its train.max_steps needs more digits than its folders have, the earlier
    folders are renamed to the new width, so that old and new still sort together; a run from before this scheme
    (5 digits) is read as it is."""

    def __init__(self, path: Path, resumed_at: int | None, max_steps: int):
        self.path, self.root = path, path.parent
        earlier = []
        if resumed_at is not None and path.is_file():
            earlier = list(text_format.Parse(path.read_text(), ProjectorConfig()).embeddings)
        self.width = max([MIN_DIGITS, len(str(max_steps)), *(len(folder_of(e)) for e in earlier)])
        widened = [self.widened(e) for e in earlier]  # a killed process's later folders too: this run rewrites them
        self.entries = [e for e in widened if step_of(e) <= resumed_at]
        if widened != earlier:  # the index names the folders where they are now
            self.write_index()

    def widened(self, entry: EmbeddingInfo) -> EmbeddingInfo:
        """An earlier table's entry at this run's width, its folder renamed to match (00100/ -> 000100/)."""
        old, new = folder_of(entry), self.folder(step_of(entry))
        if old == new:
            return entry
        if (self.root / old).is_dir() and not (self.root / new).exists():
            (self.root / old).rename(self.root / new)
        return entry_for(new)

    def folder(self, step: int) -> str:
        return f"{step:0{self.width}d}"

    def add(self, table: torch.Tensor, labels: list[list[str]], step: int) -> None:
        """table: (vocab_size, n_embd), labels: [token, kind] per row. Writes the step's folder, then the index."""
        folder = self.folder(step)
        out = self.root / folder / TAG
        out.mkdir(parents=True, exist_ok=True)
        (out / "metadata.tsv").write_text("".join("\t".join(row) + "\n" for row in [HEADER, *labels]))
        (out / "tensors.tsv").write_text("".join("\t".join(map(str, row)) + "\n" for row in table.tolist()))
        self.entries = sorted([e for e in self.entries if step_of(e) != step] + [entry_for(folder)], key=step_of)
        self.write_index()

    def write_index(self) -> None:
        index = ProjectorConfig()
        index.embeddings.extend(self.entries)
        tmp = self.path.with_name(self.path.name + ".tmp")  # TensorBoard may read the index at any moment
        tmp.write_text(text_format.MessageToString(index))
        tmp.replace(self.path)
