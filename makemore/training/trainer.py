"""The training loop: train(cfg, run_dir) -> metrics, the story of one run.

    set up (device, threads, torchrun) -> maybe resume, or fine-tune from a run -> build (words, model, optimizer)
    -> loop: step, log (loss/train), evaluate (loss/val, best.pt, last.pt), stop on a signal, on train.max_time
       (at a loss/train point) or on train.patience (at an evaluation) -> finish (metrics.json)

The loop knows nothing about which model or embedding it drives: it builds one from the config
and talks to it only through `logits, loss = model(idx, targets)`. Each idea it uses has its own
home: the loss window (loss_window.py), the checkpoints (checkpoint.py), TensorBoard (board.py),
resume (resume.py), fine-tuning (finetune.py), stopping (stops.py), the run directory's layout (rundir.py).

Writes into run_dir what makemore/runs/layout.py lists: TensorBoard events, checkpoints/best.pt and
last.pt, and metrics.json (train/val/test loss of the final model, best_val_loss, steps,
train_seconds, params).
"""

import json
import logging
import math
import signal
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from makemore.board.writer import Board
from makemore.compute import distributed
from makemore.compute.device import resolve_device, threads_for
from makemore.compute.distributed import Dist
from makemore.config import Config, ConfigError
from makemore.data.examples import Examples, RandomBatches
from makemore.data.split import Corpus, few_words_warning, load_corpus
from makemore.inference.evaluation import evaluate
from makemore.models import block_size_for, build_model, count_params
from makemore.runs.checkpoint import config_to_dict
from makemore.runs.layout import BEST, LAST, RunDir
from makemore.training import finetune, resume
from makemore.training.checkpoints import CheckpointWriter
from makemore.training.loss_window import LossWindow
from makemore.training.memory import check_fits, release_free_memory
from makemore.training.optim import build_optimizer, lr_at, plain_step
from makemore.training.resume import Progress
from makemore.training.stops import StopSignals, TrainingInterrupted, diverged, evaluations_since

try:  # the call loss.backward() ends in (torch >= 2.3)
    from torch.autograd.graph import _engine_run_backward
except ImportError:
    _engine_run_backward = None

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
    trainer = Trainer(cfg, RunDir(Path(run_dir)), model, corpus, examples, world, device)
    if resumed is not None:
        trainer.resume_from(*resumed)
    return trainer


def compile_failed(e: Exception) -> ConfigError:
    """torch.compile failed on the first step: most often there is no working C++ compiler (CXX, g++)."""
    first = (str(e).strip().splitlines() or [""])[0][:300]
    return ConfigError(
        f"config key train.compile=True failed: torch.compile could not build the first training step "
        f"({type(e).__name__}: {first}); it needs a working C++ compiler (CXX, g++): use train.compile=false"
    )


def backward(loss: torch.Tensor) -> None:
    """loss.backward() for a scalar loss: the autograd engine's run over the graph with d loss / d loss = 1, without
    torch.autograd.backward's Python around it (argument checks and a ones_like: ~9 µs a step, 3% of the lecture
    model's). The same engine call, the same gradients; where torch lacks the entry point, loss.backward()."""
    if _engine_run_backward is None:
        loss.backward()
        return
    one = torch.ones_like(loss)  # d loss / d loss, a new tensor each step as torch's own, never a gradient reused
    _engine_run_backward((loss,), (one,), False, False, (), allow_unreachable=True, accumulate_grad=True)


class Trainer:
    """One run's loop over the pieces train() built; see the module docstring for the order of events."""

    def __init__(self, cfg: Config, run: RunDir, model: nn.Module, corpus: Corpus, examples: dict, world: Dist,
                 device: torch.device):  # fmt: skip
        self.cfg, self.run_dir, self.model, self.corpus, self.examples = cfg, run, model, corpus, examples
        self.world, self.device = world, device
        self.params = count_params(model)
        threads = threads_for(cfg.train.threads, model, cfg.train.batch_size)
        torch.set_num_threads(threads)
        self.optimizer = build_optimizer(cfg.optim, model)
        self.optimizer_step = plain_step(self.optimizer)
        self.step_model = self._step_model()
        # bf16 autocast for the training steps only: evaluation and checkpoints stay in fp32
        bf16 = cfg.train.precision == "bf16"
        self.autocast = torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()
        self.batches = RandomBatches(examples["train"], cfg.train.batch_size, cfg.seed, world)
        self.window = LossWindow(min(cfg.train.log_interval, cfg.train.max_steps), device, world)
        self.progress = Progress()
        self.resumed = False
        self.lr_set = None  # the learning rate in the optimizer's param groups, once the loop has written one
        self.budget = cfg.train.max_time * 60 if cfg.train.max_time else None  # seconds of training, all sessions
        self.time_fraction = 0.0  # of the budget, as measured at the last loss/train point
        self.shown = {}  # what the progress bar shows after the counts: loss, val
        self.checkpoints = CheckpointWriter(
            run, model, self.optimizer, config_to_dict(cfg), corpus.vocab, corpus.train_words, writes=world.is_main
        )
        where = f"on {device}" + (f" with {threads} thread{'s' * (threads > 1)}" if device.type == "cpu" else "")
        what = f"{cfg.model.name}, {cfg.embedding.name} embedding: {self.params} parameters, context {model.block_size}"
        log.info(f"{what}, {where}, run dir {run.path}")
        if warning := few_words_warning(corpus, self.params):
            log.warning(warning)

    def _step_model(self) -> nn.Module:
        """What the training steps run through: DDP under torchrun, maybe compiled. Evaluation, checkpoints and
        sampling use the plain module."""
        step_model = self.model
        if self.world.enabled:
            ids = [self.device.index] if self.device.type == "cuda" else None
            step_model = DistributedDataParallel(self.model, device_ids=ids)
        if self.cfg.train.compile:
            step_model = torch.compile(step_model)
        return step_model

    def resume_from(self, ckpt: dict, path: Path) -> None:
        self.progress = resume.restore(
            ckpt, path, config_to_dict(self.cfg), self.corpus, self.run_dir, self.model, self.optimizer,
            self.batches, self.window, self.device,
        )  # fmt: skip
        self.resumed = True
        log.info(f"resuming {path} at step {self.progress.step} of {self.cfg.train.max_steps}")

    def run(self, progress_bar: bool) -> dict:
        cfg = self.cfg
        resumed_at = self.progress.step if self.resumed else None
        train_examples = self.examples["train"]
        self.board = Board(self.run_dir, cfg, self.model, self.corpus.vocab, train_examples, self.world, resumed_at,
                           train_words=self.corpus.train_words)  # fmt: skip
        release_free_memory()
        self.bar = tqdm(total=cfg.train.max_steps, initial=self.progress.step, desc="train", unit="step",
                        disable=not (progress_bar and self.world.is_main), dynamic_ncols=True,
                        mininterval=0.1 if sys.stderr.isatty() else 30)  # a file: a line per 30 s  # fmt: skip
        self.started = time.perf_counter()
        if self.budget:
            self.time_fraction = self.progress.seconds_before / self.budget
        try:
            self.loop()
            metrics = self.finish()
        finally:
            self.bar.close()
            self.board.close()
        return metrics

    def loop(self) -> None:
        first = self.progress.step
        try:
            self._loop()
        except Exception as e:
            if self.cfg.train.compile and self.progress.step == first:  # torch.compile builds in the first step
                raise compile_failed(e) from None
            raise

    def _loop(self) -> None:
        # the per-step path does only the step's work: the learning rate is written when it changes, the loss is
        # kept without a kernel (loss_window.py), the bar moves at log points and evaluations (show), and
        # stopping is a flag read, with a collective under torchrun only at log points
        cfg, progress, distributed_run = self.cfg.train, self.progress, self.world.enabled
        max_steps, log_interval, eval_interval = cfg.max_steps, cfg.log_interval, cfg.eval_interval
        self.model.train()
        self.parameters = list(self.model.parameters())
        with StopSignals() as stop:
            while progress.step < max_steps:
                lr = self.lr()
                if lr != self.lr_set:
                    self.set_lr(lr)
                self.window.add(self.train_step())
                progress.step += 1
                last = progress.step == max_steps
                logged = progress.step % log_interval == 0 or last
                out_of_time = logged and self.out_of_time()
                if logged:
                    self.log_train(lr)
                if progress.step % eval_interval == 0 or last or out_of_time:
                    self.evaluate_and_save(lr)
                    if out_of_time or self.out_of_patience():
                        break
                if stop.signum is not None or (distributed_run and logged):
                    self.stop_if_asked(stop, logged)

    def set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.lr_set = lr

    def lr(self) -> float:
        """The step's learning rate: a function of the step, or with optim.schedule_over=time of the clock."""
        fraction = self.time_fraction if self.cfg.optim.schedule_over == "time" else None
        return lr_at(self.progress.step, self.cfg.optim, self.cfg.train.max_steps, fraction)

    def out_of_time(self) -> bool:
        """At a loss/train point: measure the part of train.max_time spent (under torchrun rank 0's clock, so that
        every rank agrees); True once all of it is."""
        if self.budget is None:
            return False
        seconds = distributed.broadcast(self.train_seconds(), self.world)
        self.time_fraction = seconds / self.budget
        if self.time_fraction < 1:
            return False
        log.info(f"train.max_time={self.cfg.train.max_time} min spent ({seconds:.1f}s) at step {self.progress.step}")
        return True

    def out_of_patience(self) -> bool:
        """After an evaluation: train.patience evaluations in a row without a new best val. Counted from the step of
        the best, which checkpoints keep (best_step), so the count goes on across a resume."""
        patience, progress = self.cfg.train.patience, self.progress
        if patience is None:
            return False
        waited = evaluations_since(progress.best_step, progress.step, self.cfg.train.eval_interval)
        if waited < patience:
            return False
        log.info(f"train.patience={patience}: no new best val since step {progress.best_step}, stopping")
        return True

    def train_step(self) -> torch.Tensor:
        """One optimizer step on one minibatch at the learning rate set_lr wrote; returns its loss, on the device."""
        xb, yb = self.batches.next()
        with self.autocast:
            _, loss = self.step_model(xb, yb)
        for p in self.parameters:  # what optimizer.zero_grad(set_to_none=True) does, without its profiler hooks
            p.grad = None
        backward(loss)
        self.optimizer_step()
        return loss

    def log_train(self, lr: float) -> None:
        step = self.progress.step
        self.window.check(step, self.checkpoints.kept)
        self.train_loss = self.window.mean_and_clear()
        self.board.train_point(step, self.train_loss, lr)
        self.show(loss=self.train_loss)

    def evaluate_and_save(self, lr: float) -> None:
        step, progress = self.progress.step, self.progress
        val_loss = evaluate(self.model, self.examples["val"], self.world)
        if not math.isfinite(val_loss):
            self.window.check(step, self.checkpoints.kept)  # a bad minibatch loss came first, if there was one
            raise diverged("the validation loss", val_loss, step, self.checkpoints.kept)
        self.board.val_point(step, val_loss, lr)
        self.show(val=val_loss)
        if val_loss < progress.best_val_loss:
            progress.best_val_loss, progress.best_step = val_loss, step
            self.save(BEST)
        self.save(LAST)  # always something recent to resume from

    def save(self, name: str) -> Path:
        step = self.progress.step
        self.window.check(step, self.checkpoints.kept)
        return self.checkpoints.save(
            name,
            step,
            best_val_loss=self.progress.best_val_loss,
            best_step=self.progress.best_step,
            rng=resume.rng_state(self.device, self.batches),
            loss_window=self.window.state(),
            train_seconds=self.train_seconds(),
        )

    def stop_if_asked(self, stop: StopSignals, logged: bool) -> None:
        """After a Ctrl-C or SIGTERM: save last.pt and raise TrainingInterrupted. Under torchrun all ranks agree
        at loss/train points, so they stop at the same step."""
        stopping = stop.signum is not None
        if self.world.enabled:
            stopping = logged and distributed.all_sum(torch.tensor([float(stopping)]), self.world).item() > 0
        if not stopping:
            return
        step = self.progress.step
        path = self.run_dir.last
        if not self.checkpoints.holds(LAST, step):
            path = self.save(LAST)
        signum = stop.signum or signal.SIGTERM  # a rank the signal missed stops with the others
        raise TrainingInterrupted(f"{signal.Signals(signum).name} at step {step}: saved {path}", signum, path)

    def finish(self) -> dict:
        """The final model's loss on every split, in metrics.json and the HPARAMS tab."""
        train_seconds = self.train_seconds()
        metrics = {name + "_loss": evaluate(self.model, self.examples[name], self.world) for name in SPLITS}
        metrics.update(
            best_val_loss=self.progress.best_val_loss,
            steps=self.progress.step,  # taken: fewer than train.max_steps after train.max_time or train.patience
            train_seconds=round(train_seconds, 3),
            params=self.params,
        )
        self.board.final(config_to_dict(self.cfg), metrics)
        if self.world.is_main:
            self.run_dir.metrics.write_text(json.dumps(metrics, indent=2) + "\n")
        log.info(
            f"train {metrics['train_loss']:.4f}  val {metrics['val_loss']:.4f}  test {metrics['test_loss']:.4f}  "
            f"({self.progress.step} steps in {train_seconds:.1f}s); checkpoints in {self.run_dir.checkpoints}"
        )
        return metrics

    def train_seconds(self) -> float:
        return self.progress.seconds_before + time.perf_counter() - self.started

    def show(self, **values: float) -> None:
        """The progress bar's count, and its loss and val, each shown once it exists."""
        self.bar.update(self.progress.step - self.bar.n)
        self.shown.update({k: f"{v:.4f}" for k, v in values.items()})
        self.bar.set_postfix(self.shown, refresh=False)
