"""The training loop: train(cfg, run_dir) -> metrics, the story of one run.

    prepare  set up (device, torchrun) -> maybe resume, or fine-tune from a run -> build (words, model, optimizer)
    run      loop: zero_grad, forward, backward, step -> log (loss/train) -> evaluate (loss/val, best.pt, last.pt)
             -> maybe stop (Ctrl-C or SIGTERM, train.max_time, train.patience) -> finish (metrics.json)

The loop knows nothing about which model or embedding it drives: it builds one from the config
and talks to it only through `logits, loss = model(idx, targets)`. Each idea it uses has its own
home: the loss window (loss_window.py), the checkpoints (checkpoints.py), TensorBoard (board/writer.py),
resume (resume.py), fine-tuning (finetune.py), stopping and the time budget (stops.py), the progress bar (bar.py),
DDP and torch.compile (compiled.py), the run directory's layout (runs/layout.py).

Writes into run_dir what makemore/runs/layout.py lists: TensorBoard events, checkpoints/best.pt and
last.pt, and metrics.json (train/val/test loss of the final model, best_val_loss, steps,
train_seconds, params). torch's thread count is the run's while it trains and the caller's again after.
"""

import logging
import math
import signal
from contextlib import closing, nullcontext
from pathlib import Path

import torch
from torch import nn

from makemore.board.writer import Board
from makemore.compute import distributed
from makemore.compute.device import resolve_device, threads_for, torch_threads
from makemore.compute.distributed import Dist
from makemore.config import Config, ConfigError
from makemore.data.examples import Examples, RandomBatches
from makemore.data.split import Corpus, few_words_warning, load_corpus
from makemore.inference.evaluation import evaluate
from makemore.models import block_size_for, build_model, count_params
from makemore.runs.checkpoint import config_to_dict
from makemore.runs.layout import BEST, LAST, RunDir
from makemore.training import compiled, finetune, resume
from makemore.training.bar import ProgressBar
from makemore.training.checkpoints import CheckpointWriter
from makemore.training.loss_window import LossWindow
from makemore.training.memory import check_fits, release_free_memory
from makemore.training.optim import build_optimizer, lr_at, set_lr
from makemore.training.resume import Progress
from makemore.training.stops import Clock, Stopping, StopSignals, TrainingInterrupted, diverged
from makemore.training.torch_private import optimizer_step

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")


def train(cfg: Config, run_dir: Path, progress: bool = True, overrides: tuple[str, ...] = ()) -> dict:
    """Train the configured model, writing TensorBoard events, checkpoints and metrics.json into run_dir.

    With cfg.train.resume it goes on from that checkpoint, with cfg.train.init_from it starts from that run's
    weights; raises TrainingInterrupted on Ctrl-C/SIGTERM (after saving last.pt) and TrainingDiverged on a
    non-finite loss (keeping the last good checkpoints). `overrides`: the config keys the command line set, which
    a fine-tuned run refuses where they conflict with the checkpoint's model shape.
    """
    return prepare(cfg, run_dir, overrides).run(progress)


def prepare(cfg: Config, run_dir: Path, overrides: tuple[str, ...] = ()) -> "Trainer":
    """Set up, maybe resume or fine-tune, build: a Trainer whose run() trains. (A test can hold on to its model.)"""
    world = distributed.from_env()  # one process, or this rank of a torchrun launch
    distributed.init(world)
    device = distributed.device_for(world, resolve_device(cfg.train.device, key="train.device"))
    if cfg.train.batch_size % world.world_size:
        raise ConfigError(
            f"config key train.batch_size={cfg.train.batch_size} is invalid: it is the global batch, "
            f"expected a multiple of the {world.world_size} torchrun processes"
        )
    resumed = resume.load_resumable(cfg.train.resume) if cfg.train.resume else None
    source = finetune.load_source(cfg.train.init_from) if cfg.train.init_from else None
    shaped_by = source or (resumed if resumed and finetune.was_fine_tuned(resumed[0]) else None)
    if shaped_by:  # the model's shape is the checkpoint's (for a resumed fine-tuned run: its source's, kept in it)
        cfg = finetune.adopt_shape(cfg, *shaped_by, overrides)

    torch.manual_seed(cfg.seed)  # the weights and dropout
    corpus = load_corpus(cfg.data)
    release_free_memory()  # what reading the words freed, before the examples are built
    cfg.data.block_size = block_size_for(cfg, corpus.longest_word)  # null: the model's own context length
    check_fits(cfg, corpus, device)  # before anything big is allocated
    model = build_model(cfg, len(corpus.vocab))
    if source:
        finetune.copy_weights(model, source[0], corpus.vocab, cfg)
    model = model.to(device)
    # split -> its words as one token stream on the device; contexts (window models) or word rows (sequence models)
    # are gathered from it per minibatch and per evaluation chunk
    examples = {
        name: Examples.build(corpus.splits[name], corpus.vocab, model.block_size, model.sequence).to(device)
        for name in SPLITS
    }
    return Trainer(cfg, RunDir(Path(run_dir)), model, corpus, examples, world, device, resumed)


def announce(cfg: Config, model: nn.Module, corpus: Corpus, params: int, device: torch.device, threads: int,
             run: RunDir) -> None:  # fmt: skip
    """The run's first log lines: what trains where, and a warning when the words are few for the model."""
    where = f"on {device}" + (f" with {threads} thread{'s' * (threads > 1)}" if device.type == "cpu" else "")
    what = f"{cfg.model.name}, {cfg.embedding.name} embedding: {params} parameters, context {model.block_size}"
    log.info(f"{what}, {where}, run dir {run.path}")
    if warning := few_words_warning(corpus, params):
        log.warning(warning)


class Trainer:
    """One run's loop over the pieces prepare() built; see the module docstring for the order of events."""

    def __init__(self, cfg: Config, run: RunDir, model: nn.Module, corpus: Corpus, examples: dict, world: Dist,
                 device: torch.device, resumed: tuple[dict, Path] | None = None):  # fmt: skip
        self.cfg, self.run_dir, self.model, self.corpus, self.examples = cfg, run, model, corpus, examples
        self.world, self.device = world, device
        self.params = count_params(model)
        self.threads = threads_for(cfg.train.threads, model, cfg.train.batch_size)
        self.optimizer = build_optimizer(cfg.optim, model)
        self.parameters = list(model.parameters())
        self.optimizer_step = optimizer_step(self.optimizer)  # plain SGD's update unwrapped (torch_private.py)
        self.step_model = compiled.for_steps(model, world, device, cfg.train.compile)  # DDP, maybe compiled
        # bf16 autocast for the training steps only: evaluation and checkpoints stay in fp32
        bf16 = cfg.train.precision == "bf16"
        self.autocast = torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()
        self.batches = RandomBatches(examples["train"], cfg.train.batch_size, cfg.seed, world)
        self.window = LossWindow(min(cfg.train.log_interval, cfg.train.max_steps), device, world)
        self.checkpoints = CheckpointWriter(
            run, model, self.optimizer, config_to_dict(cfg), corpus.vocab, corpus.train_words, writes=world.is_main
        )
        self.progress = resume.restore(*resumed, config_to_dict(cfg), corpus, run, model, self.optimizer, self.batches,
                                       self.window, device) if resumed else Progress()  # fmt: skip
        self.resumed_at = (
            self.progress.step if resumed else None
        )  # TensorBoard hides what a killed session logged after
        self.clock = Clock(self.progress.seconds_before)
        self.stopping = Stopping(cfg.train, world, self.clock)
        announce(cfg, model, corpus, self.params, device, self.threads, run)

    def run(self, progress_bar: bool = True) -> dict:
        board = Board(self.run_dir, self.cfg, self.model, self.corpus.vocab, self.examples["train"], self.world,
                      self.resumed_at, train_words=self.corpus.train_words)  # fmt: skip
        bar = ProgressBar(
            self.cfg.train.max_steps,
            self.progress.step,
            enabled=progress_bar and self.world.is_main,
            clock=self.clock,
            max_time=self.cfg.train.max_time,
        )  # under a budget: its seconds
        release_free_memory()
        with closing(board), closing(bar), torch_threads(self.threads):
            self.clock.start()
            self.loop(board, bar)
            return self.finish(board)

    def loop(self, board: Board, bar: ProgressBar) -> None:
        cfg, progress = self.cfg.train, self.progress
        self.model.train()
        with StopSignals() as signals, compiled.compile_errors_explained(cfg.compile, progress):
            while progress.step < cfg.max_steps:
                lr = self.lr()
                set_lr(self.optimizer, lr)
                xb, yb = self.batches.next()
                with self.autocast:
                    _, loss = self.step_model(xb, yb)
                for p in self.parameters:  # zero_grad(set_to_none=True), without its profiler label: a tenth of a step
                    p.grad = None
                loss.backward()
                self.optimizer_step()
                self.window.add(loss)  # kept as it is: no kernel and no host sync per step (loss_window.py)
                progress.step += 1
                last = progress.step == cfg.max_steps
                logged = progress.step % cfg.log_interval == 0 or last
                out_of_time = logged and self.stopping.out_of_time(progress.step)
                if logged:
                    self.log_train(board, bar, lr)
                if progress.step % cfg.eval_interval == 0 or last or out_of_time:
                    self.evaluate_and_save(board, bar, lr)
                    if out_of_time or self.stopping.out_of_patience(progress.best_step, progress.step):
                        break
                if signals.signum is not None or (self.world.enabled and logged):  # a flag read, a collective at logs
                    self.stop_if_asked(signals, logged)

    def lr(self) -> float:
        """The step's learning rate: a function of the step, or with optim.schedule_over=time of the clock."""
        fraction = self.stopping.time_fraction if self.cfg.optim.schedule_over == "time" else None
        return lr_at(self.progress.step, self.cfg.optim, self.cfg.train.max_steps, fraction)

    def log_train(self, board: Board, bar: ProgressBar, lr: float) -> None:
        step = self.progress.step
        self.window.check(step, self.checkpoints.kept)
        train_loss = self.window.mean_and_clear()
        board.train_point(step, train_loss, lr)
        bar.show(step, loss=train_loss)

    def evaluate_and_save(self, board: Board, bar: ProgressBar, lr: float) -> None:
        step, progress = self.progress.step, self.progress
        val_loss = evaluate(self.model, self.examples["val"], self.world)
        if not math.isfinite(val_loss):
            self.window.check(step, self.checkpoints.kept)  # a bad minibatch loss came first, if there was one
            raise diverged("the validation loss", val_loss, step, self.checkpoints.kept)
        board.val_point(step, val_loss, lr)
        bar.show(step, val=val_loss)
        if val_loss < progress.best_val_loss:
            progress.best_val_loss, progress.best_step = val_loss, step
            self.save(BEST)
        self.save(LAST)  # always something recent to resume from

    def save(self, name: str) -> Path:
        progress = self.progress
        self.window.check(progress.step, self.checkpoints.kept)  # never a checkpoint after a non-finite loss
        return self.checkpoints.save(name, progress.step, best_val_loss=progress.best_val_loss,
                                     best_step=progress.best_step, rng=resume.rng_state(self.device, self.batches),
                                     loss_window=self.window.state(), train_seconds=self.clock.seconds())  # fmt: skip

    def stop_if_asked(self, signals: StopSignals, logged: bool) -> None:
        """After a Ctrl-C or SIGTERM (under torchrun: agreed at loss/train points): save last.pt and stop."""
        if (signum := signals.agreed(self.world, logged)) is None:
            return
        step, path = self.progress.step, self.run_dir.last
        if not self.checkpoints.holds(LAST, step):
            path = self.save(LAST)
        raise TrainingInterrupted(f"{signal.Signals(signum).name} at step {step}: saved {path}", signum, path)

    def finish(self, board: Board) -> dict:
        """The final model's loss on every split, in metrics.json and the HPARAMS tab."""
        seconds, progress = self.clock.seconds(), self.progress
        metrics = {name + "_loss": evaluate(self.model, self.examples[name], self.world) for name in SPLITS}
        # steps: those taken (fewer than train.max_steps after train.max_time or patience); words: the list's, all
        metrics |= dict(best_val_loss=progress.best_val_loss, steps=progress.step, train_seconds=round(seconds, 3),
                        params=self.params, words=sum(map(len, self.corpus.splits.values())))  # fmt: skip
        board.final(config_to_dict(self.cfg), metrics)
        self.checkpoints.write_metrics(metrics)  # whole or not at all; only rank 0 writes
        log.info(f"train {metrics['train_loss']:.4f}  val {metrics['val_loss']:.4f}  test {metrics['test_loss']:.4f}  "
                 f"({progress.step} steps in {seconds:.1f}s); checkpoints in {self.run_dir.checkpoints}")  # fmt: skip
        return metrics
