"""A trained run in a notebook: sample, score and evaluate with it, read its numbers, draw its pictures.

    run = load("outputs/2026-11-28/10-00-00")      # or load("latest"): the newest run under outputs/ or multirun/
    run.sample(20, temperature=0.8, prefix="ka")    # sample.py's names
    run.score(["emma", "xqzt"])                     # score.py's rows (a pandas DataFrame when pandas is installed)
    run.evaluate("words.txt"), run.evaluate(split="test")   # evaluate.py's report
    run.metrics, run.history                        # metrics.json; the TensorBoard scalars as rows, one per step
    run.plot_loss(), run.plot_embedding(), run.plot_activations(), run.plot_next("em")   # makemore/api/pictures.py

The model is read from the checkpoint when first used (best.pt, else last.pt: an interrupted run has only that).
"""

import functools
import json
import warnings
from pathlib import Path

import torch

from makemore.api import pictures
from makemore.cli.configs import resolve_data_path
from makemore.compute.device import threads_for, torch_threads
from makemore.config import as_in_a_file
from makemore.data.words import load_words
from makemore.inference.loading import Trained, load_trained
from makemore.inference.report import loss_report, own_split
from makemore.inference.sampling import generate
from makemore.inference.scoring import score_rows
from makemore.runs.layout import BEST, LAST, LATEST, RunDir, find_checkpoint, run_dir_of

CHECKPOINTS = {"best": (BEST, LAST), "last": (LAST,)}


def load(run: str | Path = LATEST, checkpoint: str = "best") -> "Run":
    """A trained run: its directory or one of its checkpoint files, or "latest" (the newest run under outputs/ or
    multirun/, as sample.py's default). checkpoint="last": where it stopped rather than its best validation loss."""
    if checkpoint not in CHECKPOINTS:
        raise ValueError(f"checkpoint={checkpoint!r}: expected one of {', '.join(CHECKPOINTS)}")
    prefer = CHECKPOINTS[checkpoint]
    path = find_checkpoint(run, prefer=prefer, key="run")
    return Run(run_dir_of(path) or path.parent, checkpoint=path)


def as_rows(rows: list[dict]):
    """A pandas DataFrame of the rows when pandas is installed, else the list of dicts itself."""
    try:
        import pandas
    except ImportError:
        return rows
    return pandas.DataFrame(rows)


class Run:
    """One run directory (outputs/DATE/TIME): what mm.train returns and mm.load reads."""

    def __init__(self, path: str | Path, checkpoint: str | Path | None = None):
        self.path = Path(path)
        self._checkpoint = checkpoint

    def __repr__(self) -> str:
        metrics = self.metrics
        if metrics is not None:
            return f"Run('{self.path}': val {metrics['val_loss']:.4f} after {metrics['steps']} steps)"
        if RunDir(self.path).last.is_file():
            return f"Run('{self.path}': unfinished; mm.train(..., resume='{self.path}') goes on)"
        return f"Run('{self.path}')"

    @property
    def checkpoint(self) -> Path:
        """The checkpoint the model comes from: best.pt, else last.pt."""
        return Path(self._checkpoint or find_checkpoint(self.path, prefer=(BEST, LAST), key="run"))

    @functools.cached_property
    def trained(self) -> Trained:
        return load_trained(self.checkpoint)

    @property
    def model(self) -> torch.nn.Module:
        return self.trained.model

    @property
    def vocab(self):
        return self.trained.vocab

    @property
    def config(self) -> dict:
        """The run's resolved config, as its checkpoint keeps it."""
        return self.trained.ckpt["config"]

    @property
    def metrics(self) -> dict | None:
        """metrics.json: the final model's train/val/test loss, best_val_loss, steps, ...; None while unfinished."""
        path = RunDir(self.path).metrics
        return json.loads(path.read_text()) if path.is_file() else None

    @property
    def history(self):
        """The scalars the run logged to TensorBoard as rows, one per step: step, loss/train, loss/val, lr, ..."""
        return as_rows(scalar_rows(self.path))

    def sample(self, n: int = 20, *, temperature: float = 1.0, top_k: int | None = None, top_p: float = 1.0,
               prefix: str = "", max_len: int = 32, seed: int = 0, unique: bool = False, only_new: bool = False
               ) -> list[str]:  # fmt: skip
        """n names, as `python sample.py` prints them (the same seed, the same names, on as many threads)."""
        generator = torch.Generator().manual_seed(seed)
        exclude = set(self.trained.ckpt["train_words"]) if only_new else None
        options = dict(temperature=temperature, top_k=top_k, top_p=top_p, prefix=as_in_a_file(prefix), max_len=max_len)
        with torch_threads(threads_for(0, self.model, n, key="threads")):  # sample.py's auto threads
            return list(generate(self.model, self.vocab, n, generator, exclude=exclude, unique=unique, **options))

    def score(self, words: list[str]):
        """score.py's columns (word, log_likelihood, nll_per_char, perplexity, chars) per word, in the order given;
        a word with characters the model never saw is skipped with a warning. The same numbers, bit for bit: score.py's
        auto threads (a sum split over another number of threads adds up in another order)."""
        words = [as_in_a_file(w) for w in words]  # as score.py's word=
        with torch_threads(threads_for(0, self.model, len(words), key="threads")):
            rows, skipped = score_rows(self.model, self.vocab, words)
        for message in skipped:
            warnings.warn(message, stacklevel=2)
        return as_rows(rows)

    def evaluate(self, words: str | Path | list[str] | None = None, split: str = "val") -> dict:
        """evaluate.py's report: the loss on a word file or a list of words, else on the run's own split."""
        ckpt, source = self.trained.ckpt, self.checkpoint
        if words is None:
            words, where = own_split(ckpt, split, resolve_data_path(ckpt["config"]["data"]["path"]), source)
        elif isinstance(words, (str, Path)):
            where = str(words)
            words = load_words(resolve_data_path(str(words)), key="words")
        else:
            words, where = [as_in_a_file(w) for w in words], f"{len(words)} words"
        return loss_report(self.model, self.vocab, words, where, source)

    def plot_loss(self, ax=None):
        return pictures.plot_loss(scalar_rows(self.path), ax=ax)

    def plot_embedding(self, ax=None):
        return pictures.plot_embedding(self.model, self.vocab, ax=ax)

    def plot_activations(self, ax=None):
        return pictures.plot_activations(self.model, self.vocab, self.trained.ckpt["train_words"], ax=ax)

    def plot_next(self, prefix: str = "", ax=None):
        return pictures.plot_next(self.model, self.vocab, prefix, ax=ax)


def scalar_rows(run_dir: Path) -> list[dict]:
    """Every scalar of the run's event files, one row per step: {"step": 50, "loss/train": 2.31, "lr": 0.003}."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # 1 s: only when asked

    events = EventAccumulator(str(run_dir), size_guidance={"scalars": 0}).Reload()  # 0: every point, not a sample
    rows = {}
    for tag in events.Tags()["scalars"]:
        for event in events.Scalars(tag):
            rows.setdefault(event.step, {"step": event.step})[tag] = event.value
    return [rows[step] for step in sorted(rows)]
