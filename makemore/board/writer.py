"""A run's TensorBoard, wired once: the curves, the diagnostics at evaluations, the hyperparameters at the end.

    board = Board(run, cfg, model, vocab, train_examples, world, resumed_at=None, train_words=words)
    board.train_point(step, loss, lr)     # every train.log_interval steps
    board.val_point(step, val_loss, lr)   # every train.eval_interval steps
    board.final(config_dict, metrics)     # once, with the final losses (HPARAMS)
    board.close()

Tags: loss/train, loss/val, lr, metrics/*_loss, quality/*
(makemore/inference/quality.py, from train.quality_samples names),
and with train.diagnostics those of makemore/board/diagnostics.py.
Under torchrun only rank 0 writes; the other ranks hold a Board that writes nothing.
"""

import time
from pathlib import Path

from torch import nn
from torch.utils.tensorboard import SummaryWriter

from makemore.board.diagnostics import Diagnostics, write_hparams
from makemore.board.projector import Projector
from makemore.compute.distributed import Dist
from makemore.config import Config
from makemore.data.examples import Examples
from makemore.data.vocab import Vocab
from makemore.data.words import Words
from makemore.inference.quality import QualityProbe
from makemore.runs.layout import RunDir


class Silent:
    """What torchrun ranks other than 0 hold instead of a SummaryWriter: every call does nothing."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def wait_for_a_later_second(log_dir: Path) -> None:
    """TensorBoard reads a run's event files in name order, and a name is events.out.tfevents.<second>.<host>.<pid>.<n>:
    a session resumed within the second its predecessor started (in one process: a test) could sort before it
    (n=10 < n=9 as text). Starting this session's file in a later second keeps the sessions in order."""
    names = [p.name.split(".") for p in log_dir.glob("events.out.tfevents.*")]
    seconds = [int(name[3]) for name in names if name[3].isdigit()]
    while seconds and time.time() < max(seconds) + 1:
        time.sleep(0.05)


class Board:
    def __init__(self, run: RunDir, cfg: Config, model: nn.Module, vocab: Vocab, examples: Examples, world: Dist,
                 resumed_at: int | None, train_words: Words | list[str] = ()):  # fmt: skip
        self.writes = world.is_main
        # purge_step: events a killed process logged after its last checkpoint are hidden, so the curve stays one line
        purge_step = None if resumed_at is None else resumed_at + 1
        if resumed_at is not None and self.writes:
            wait_for_a_later_second(run.path)
        self.writer = SummaryWriter(log_dir=str(run.path), purge_step=purge_step) if self.writes else Silent()
        self.diagnostics = None
        if cfg.train.diagnostics and self.writes:
            projector = Projector(run.projector_config, resumed_at, cfg.train.max_steps)
            batch, seed = cfg.train.batch_size, cfg.seed
            self.diagnostics = Diagnostics(self.writer, model, vocab, examples, batch, seed, projector)
        self.quality = None
        if cfg.train.quality_samples and train_words and self.writes:
            self.quality = QualityProbe(model, vocab, train_words, cfg.train.quality_samples, cfg.seed)

    def train_point(self, step: int, loss: float, lr: float) -> None:
        self.writer.add_scalar("loss/train", loss, step)
        self.writer.add_scalar("lr", lr, step)

    def val_point(self, step: int, val_loss: float, lr: float) -> None:
        self.writer.add_scalar("loss/val", val_loss, step)
        if self.quality is not None:
            for name, value in self.quality.measure().items():
                self.writer.add_scalar(f"quality/{name}", value, step)
        if self.diagnostics is not None:
            self.diagnostics.record(step, lr)

    def final(self, config: dict, metrics: dict) -> None:
        if self.writes:
            write_hparams(self.writer, config, metrics)

    def close(self) -> None:
        self.writer.close()
