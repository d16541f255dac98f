"""The training loop: train(cfg, run_dir) -> metrics.

It knows nothing about which model or embedding it drives: it builds one from the config
and talks to it only through `logits, loss = model(idx, targets)`.

Writes into run_dir:
    events.out.tfevents.*     TensorBoard: loss/train, loss/val, lr, the hyperparameters and final losses,
                              and with train.diagnostics the tags of makemore/diagnostics.py
    NNNNN/embedding/          with train.diagnostics: the projector's table at step NNNNN (projector_config.pbtxt)
    checkpoints/best.pt       the lowest validation loss so far
    checkpoints/last.pt       the latest evaluation, interruption or the end of the run: what train.resume goes on from
    metrics.json              train/val/test loss of the final model, best_val_loss, steps, train_seconds, params
"""

import json
import logging
import math
import signal
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.tensorboard import SummaryWriter
from tqdm.auto import tqdm

from makemore import distributed
from makemore.checkpoint import RESUME_KEYS, CheckpointError, config_to_dict, load_checkpoint, save_checkpoint
from makemore.config import Config, ConfigError
from makemore.data import DataError, Vocab, build_contexts, load_words, split_words
from makemore.diagnostics import Diagnostics, keep_projector, write_hparams
from makemore.distributed import SINGLE, Dist, all_sum, share
from makemore.models import build_model, count_params
from makemore.optim import build_optimizer, lr_at
from makemore.resume import (
    StopSignals,
    TrainingInterrupted,
    check_resumable,
    restore_rng,
    resume_checkpoint,
    rng_state,
)

log = logging.getLogger(__name__)

EVAL_CHUNK = 32_768  # contexts per forward pass when evaluating a whole split


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


class Silent:
    """What torchrun ranks other than 0 hold instead of a SummaryWriter: every call does nothing."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


@dataclass
class Dataset:
    vocab: Vocab
    train_words: list[str]
    splits: dict[str, tuple[torch.Tensor, torch.Tensor]]  # "train" | "val" | "test" -> (X, Y) on the device


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def load_dataset(cfg: Config, device: torch.device) -> Dataset:
    words = load_words(cfg.data.path)
    vocab = Vocab.from_words(words)
    try:
        train_words, val_words, test_words = split_words(words, cfg.data.split_seed)
    except DataError as e:
        raise DataError(f"data.path {cfg.data.path}: {e}") from None
    distinct = len(set(words))
    log.info(
        f"{cfg.data.path}: {len(words)} words ({distinct} distinct, {len(words) - distinct} duplicates kept), "
        f"vocabulary of {len(vocab)} tokens, split {len(train_words)}/{len(val_words)}/{len(test_words)}"
    )
    splits = {}
    for name, part in (("train", train_words), ("val", val_words), ("test", test_words)):
        X, Y = build_contexts(part, vocab, cfg.data.block_size)
        splits[name] = (X.to(device), Y.to(device))
    return Dataset(vocab, train_words, splits)


@torch.inference_mode()
def evaluate(model: nn.Module, X: torch.Tensor, Y: torch.Tensor, d: Dist = SINGLE) -> float:
    """Mean cross-entropy over a whole split, in eval mode (BatchNorm uses its running stats).

    Under torchrun each rank evaluates its share of the split and the sums are added up, so
    every rank gets the same number.
    """
    was_training = model.training
    model.eval()
    X, Y = share(X, d), share(Y, d)
    total = torch.zeros(2, dtype=torch.float64, device=X.device)  # (summed loss, contexts)
    for i in range(0, len(X), EVAL_CHUNK):
        _, loss = model(X[i : i + EVAL_CHUNK], Y[i : i + EVAL_CHUNK])
        total[0] += loss.double() * len(X[i : i + EVAL_CHUNK])
    total[1] = len(X)
    model.train(was_training)
    total = all_sum(total, d)
    return (total[0] / total[1]).item()


def train(cfg: Config, run_dir: Path, progress: bool = True) -> dict:
    """Train the configured model, writing TensorBoard events, checkpoints and metrics.json into run_dir.

    With cfg.train.resume it goes on from that checkpoint; raises TrainingInterrupted on Ctrl-C/SIGTERM
    (after saving last.pt) and TrainingDiverged on a non-finite loss (keeping the last good checkpoints).
    """
    run_dir = Path(run_dir)
    d = distributed.from_env()  # one process, or this rank of a torchrun launch
    distributed.init(d)
    device = distributed.device_for(d, resolve_device(cfg.train.device))
    if cfg.train.batch_size % d.world_size:
        raise ConfigError(
            f"config key train.batch_size={cfg.train.batch_size} is invalid: it is the global batch, "
            f"expected a multiple of the {d.world_size} torchrun processes"
        )
    if cfg.train.threads:
        torch.set_num_threads(cfg.train.threads)
    resumed = None
    if cfg.train.resume:
        resume_path = resume_checkpoint(cfg.train.resume)
        resumed = load_checkpoint(resume_path)
        missing = [k for k in RESUME_KEYS if k not in resumed]
        if missing:
            raise CheckpointError(f"train.resume={resume_path}: written without {', '.join(missing)}, can't resume")
    torch.manual_seed(cfg.seed)  # the weights and dropout
    data = load_dataset(cfg, device)
    Xtr, Ytr = data.splits["train"]

    model = build_model(cfg, len(data.vocab)).to(device)
    optimizer = build_optimizer(cfg.optim, model)
    # the training steps run through DDP under torchrun, and may run compiled; evaluation,
    # checkpoints and sampling use the plain module
    step_model = model
    if d.enabled:
        step_model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    if cfg.train.compile:
        step_model = torch.compile(step_model)
    # bf16 autocast for the training steps only: evaluation and checkpoints stay in fp32
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if cfg.train.precision == "bf16" else nullcontext()
    batches = torch.Generator(device=device).manual_seed(cfg.seed)  # the minibatches, apart from dropout's draws
    params = count_params(model)
    log.info(f"{cfg.model.name}, {cfg.embedding.name} embedding: {params} parameters, on {device}, run dir {run_dir}")

    # the minibatch losses since the last loss/train point, kept on the device: no host sync per step
    window = torch.zeros(min(cfg.train.log_interval, cfg.train.max_steps), device=device)
    slots = window.unbind(0)  # a view per step: copy_ into one is cheaper than window[i] = loss
    n_window, start_step, best_val_loss, seconds_before = 0, 0, math.inf, 0.0
    n_reduced = 0  # window[:n_reduced] holds global-batch losses: under torchrun, the mean over the ranks
    if resumed is not None:
        check_resumable(resumed, resume_path, config_to_dict(cfg), data.vocab, data.train_words, device)
        model.load_state_dict(resumed["model"])
        optimizer.load_state_dict(resumed["optimizer"])
        restore_rng(resumed["rng"], device, batches)
        n_window = len(resumed["loss_window"])
        window[:n_window] = resumed["loss_window"].to(device)
        n_reduced = n_window  # saved after reducing
        start_step, best_val_loss, seconds_before = resumed["step"], resumed["best_val_loss"], resumed["train_seconds"]
        for stale in (run_dir / "checkpoints").glob(".*.tmp"):  # left by a process killed while saving
            stale.unlink()
        log.info(f"resuming {resume_path} at step {start_step} of {cfg.train.max_steps}")

    # purge_step: events a killed process logged after its last checkpoint are hidden, so the curve stays one line
    purge_step = start_step + 1 if resumed is not None else None
    writer = SummaryWriter(log_dir=str(run_dir), purge_step=purge_step) if d.is_main else Silent()
    diagnostics = None
    if cfg.train.diagnostics and d.is_main:
        batch, block = cfg.train.batch_size, cfg.data.block_size
        diagnostics = Diagnostics(writer, model, data.vocab, Xtr, Ytr, batch, block, cfg.seed)
        if resumed is not None:
            keep_projector(writer, run_dir, start_step)
    saved = {}  # checkpoint name -> the step it holds

    def diverged(what: str, value: float, step: int) -> TrainingDiverged:
        kept = ", ".join(f"{run_dir / 'checkpoints' / name} (step {s})" for name, s in saved.items())
        return TrainingDiverged(
            f"{what} became {value} at step {step}; stopped. "
            + (f"The last good checkpoints are kept: {kept}. " if kept else "No checkpoint was written before it. ")
            + "Try a lower optim.lr or more optim.warmup_steps"
        )

    def check_window(done: int) -> None:
        """Raise naming the first step whose minibatch loss was not finite (one host sync)."""
        nonlocal n_reduced
        if d.enabled and n_window > n_reduced:  # the same steps on every rank: a collective is safe here
            window[n_reduced:n_window] = all_sum(window[n_reduced:n_window].clone(), d) / d.world_size
        n_reduced = n_window
        bad = torch.nonzero(~torch.isfinite(window[:n_window]))
        if len(bad):
            first = int(bad[0])
            raise diverged("the training loss", window[first].item(), done - n_window + 1 + first)

    def checkpoint(name: str, step: int) -> None:
        check_window(step)
        if not all(torch.isfinite(p).all() for p in model.parameters()):  # never overwrite good weights with bad
            raise diverged("a weight", math.nan, step)
        if not d.is_main:  # every rank checks (they must agree), only rank 0 writes
            saved[name] = step
            return
        save_checkpoint(
            run_dir / "checkpoints" / name,
            model=model.state_dict(),
            optimizer=optimizer.state_dict(),
            step=step,
            best_val_loss=best_val_loss,
            config=config_to_dict(cfg),
            vocab=list(data.vocab.itos),
            train_words=data.train_words,
            rng=rng_state(device, batches),
            loss_window=window[:n_window].cpu(),
            train_seconds=seconds_before + time.perf_counter() - start,
        )
        saved[name] = step

    model.train()
    parameters = list(model.parameters())
    val_loss, train_loss = math.nan, math.nan
    start = time.perf_counter()
    bar = tqdm(
        total=cfg.train.max_steps,
        initial=start_step,
        desc="train",
        unit="step",
        disable=not (progress and d.is_main),
        dynamic_ncols=True,
    )
    try:
        with StopSignals() as stop:
            for step in range(start_step, cfg.train.max_steps):
                lr = lr_at(step, cfg.optim, cfg.train.max_steps)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                ix = torch.randint(0, len(Xtr), (cfg.train.batch_size,), device=device, generator=batches)
                ix = share(ix, d)  # (batch_size // world_size,): this rank's part of the global minibatch
                with autocast:
                    _, loss = step_model(Xtr[ix], Ytr[ix])
                for p in parameters:  # what optimizer.zero_grad(set_to_none=True) does, without its profiler hooks
                    p.grad = None
                loss.backward()
                optimizer.step()
                slots[n_window].copy_(loss.detach())
                n_window += 1
                done = step + 1  # steps taken; the x axis of every curve
                bar.update(1)

                last = done == cfg.train.max_steps
                logged = done % cfg.train.log_interval == 0 or last
                if logged:
                    check_window(done)
                    train_loss = (window[:n_window].sum() / n_window).item()
                    n_window = n_reduced = 0
                    writer.add_scalar("loss/train", train_loss, done)
                    writer.add_scalar("lr", lr, done)
                    bar.set_postfix(loss=f"{train_loss:.4f}", val=f"{val_loss:.4f}", refresh=False)

                if done % cfg.train.eval_interval == 0 or last:
                    val_loss = evaluate(model, *data.splits["val"], d)
                    if not math.isfinite(val_loss):
                        check_window(done)  # a bad minibatch loss came first, if there was one
                        raise diverged("the validation loss", val_loss, done)
                    writer.add_scalar("loss/val", val_loss, done)
                    if diagnostics is not None:
                        diagnostics.record(done, lr)
                    bar.set_postfix(loss=f"{train_loss:.4f}", val=f"{val_loss:.4f}", refresh=False)
                    if val_loss < best_val_loss:
                        best_val_loss = val_loss
                        checkpoint("best.pt", done)
                    checkpoint("last.pt", done)  # always something recent to resume from

                stopping = stop.signum is not None
                if d.enabled:  # all ranks stop at the same step: they agree at each loss/train point
                    stopping = logged and all_sum(torch.tensor([float(stopping)]), d).item() > 0
                if stopping:
                    if saved.get("last.pt") != done:
                        checkpoint("last.pt", done)
                    signum = stop.signum or signal.SIGTERM  # a rank the signal missed stops with the others
                    path = run_dir / "checkpoints" / "last.pt"
                    name = signal.Signals(signum).name
                    raise TrainingInterrupted(f"{name} at step {done}: saved {path}", signum, path)
        train_seconds = seconds_before + time.perf_counter() - start
        metrics = {name + "_loss": evaluate(model, *data.splits[name], d) for name in ("train", "val", "test")}
        metrics.update(
            best_val_loss=best_val_loss, steps=cfg.train.max_steps, train_seconds=round(train_seconds, 3), params=params
        )
        if d.is_main:
            write_hparams(writer, config_to_dict(cfg), metrics)
    finally:
        bar.close()
        writer.close()

    if d.is_main:
        (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    log.info(
        f"train {metrics['train_loss']:.4f}  val {metrics['val_loss']:.4f}  test {metrics['test_loss']:.4f}  "
        f"({cfg.train.max_steps} steps in {train_seconds:.1f}s); checkpoints in {run_dir / 'checkpoints'}"
    )
    return metrics
