"""A run directory's layout, written down once, and finding the checkpoint a command-line argument means.

    outputs/2026-11-28/10-00-00/          (or multirun/DATE/TIME/N for a -m sweep)
        .hydra/                           the resolved config (Hydra); .hydra/resume-DATE_TIME/ per resumed session
        events.out.tfevents.*             TensorBoard
        NNNNN/embedding/, projector_config.pbtxt   the embedding projector's tables (train.diagnostics)
        checkpoints/best.pt               the lowest validation loss so far: what sample.py reads
        checkpoints/last.pt               the latest evaluation, interruption or the end: what train.resume reads
        metrics.json                      the final model's losses
"""

from dataclasses import dataclass
from pathlib import Path

BEST, LAST = "best.pt", "last.pt"
ROOTS = ("outputs", "multirun")  # where train.py puts runs, relative to where it was started


class RunNotFound(ValueError):
    """A run argument that names no run or checkpoint; the message names the argument."""


@dataclass(frozen=True)
class RunDir:
    path: Path

    @property
    def checkpoints(self) -> Path:
        return Path(self.path) / "checkpoints"

    @property
    def best(self) -> Path:
        return self.checkpoints / BEST

    @property
    def last(self) -> Path:
        return self.checkpoints / LAST

    @property
    def metrics(self) -> Path:
        return Path(self.path) / "metrics.json"

    @property
    def projector_config(self) -> Path:
        return Path(self.path) / "projector_config.pbtxt"


def find_checkpoint(run: str | Path | None, prefer: tuple[str, ...], key: str) -> Path:
    """The checkpoint `key=run` means: a .pt file, a run directory's checkpoints/<first of prefer that exists>,
    or, for None, that checkpoint of the newest run under outputs/ or multirun/.

    sample.py prefers best.pt (the model to use), train.resume wants last.pt (where the run stopped).
    """
    if run is None:
        found = [p for root in ROOTS for name in prefer[:1] for p in Path(root).glob(f"**/checkpoints/{name}")]
        if not found:
            raise RunNotFound(
                f"no trained run found (no checkpoints/{prefer[0]} under {' or '.join(ROOTS)}/ in {Path.cwd()}); "
                f"train one with `python train.py`, or pass {key}=PATH"
            )
        return max(found, key=lambda p: p.stat().st_mtime)
    path = Path(run)
    if path.is_file():
        return path
    if path.is_dir():
        for folder in (RunDir(path).checkpoints, path):  # a run directory, or its checkpoints/ folder
            for name in prefer:
                if (folder / name).is_file():
                    return folder / name
        wanted = " or ".join(f"checkpoints/{name}" for name in prefer)
        raise RunNotFound(f"{key}={path}: a directory without {wanted}, nothing to read")
    raise RunNotFound(f"{key}={path}: no such run directory or checkpoint file")


def run_dir_of(checkpoint: str | Path | None) -> Path | None:
    """The run directory a resumed run goes on writing into, or None if `checkpoint` is not inside one."""
    if not checkpoint:
        return None
    path = Path(checkpoint)
    if path.is_dir() and RunDir(path).last.is_file():
        return path
    if path.is_file() and path.parent.name == "checkpoints":
        return path.parent.parent
    return None
