"""What the TensorBoard diagnostics cost: training throughput with train.diagnostics on against off.

    python benchmarks/diagnostics_cost.py                          # default recipe, 2000 steps, 5 repeats
    python benchmarks/diagnostics_cost.py --threads 1              # steadier on a busy machine
    python benchmarks/diagnostics_cost.py --steps 1000 --repeats 1  # a quick look

Both variants run `makemore.training.trainer.train` on the default recipe (`python train.py`) with its
default evaluation interval, so they evaluate -- and the "on" variant records its diagnostics --
as often per step as a real run does. Each is timed by its own `train_seconds` (the loop with its
evaluations and checkpoints). Every repeat runs both, in alternating order, in this one process,
after one short warm-up run of each; the table shows median steps/s and the median per-repeat ratio.
Whole-run ratios are noisy on a shared machine, so it also times what "on" adds directly: one
Diagnostics.record call (median of --repeats, on the default model) against the time the "off"
loop takes for the eval_interval steps between two evaluations.
"""

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's makemore, whatever is installed

from benchmarks.common import median_seconds  # noqa: E402
from makemore.board.diagnostics import Diagnostics  # noqa: E402
from makemore.board.projector import Projector  # noqa: E402
from makemore.config import Config, TrainConfig  # noqa: E402
from makemore.data.examples import Examples  # noqa: E402
from makemore.data.split import load_corpus  # noqa: E402
from makemore.models import build_model  # noqa: E402
from makemore.training.trainer import train  # noqa: E402


def run(cfg: Config, diagnostics: bool, workdir: Path) -> float:
    cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, diagnostics=diagnostics))
    run_dir = Path(tempfile.mkdtemp(dir=workdir))
    metrics = train(cfg, run_dir, progress=False)
    return cfg.train.max_steps / metrics["train_seconds"]


def record_seconds(cfg: Config, repeats: int, workdir: Path) -> float:
    """Median seconds of one Diagnostics.record on the configured model and data."""
    from torch.utils.tensorboard import SummaryWriter

    corpus = load_corpus(cfg.data)
    model = build_model(cfg, len(corpus.vocab))
    log_dir = Path(tempfile.mkdtemp(dir=workdir))
    writer = SummaryWriter(log_dir=str(log_dir))
    examples = Examples.build(corpus.train_words, corpus.vocab, model.block_size, model.sequence)
    projector = Projector(log_dir / "projector_config.pbtxt", resumed_at=None, max_steps=cfg.train.max_steps)
    diagnostics = Diagnostics(writer, model, corpus.vocab, examples, cfg.train.batch_size, cfg.seed, projector)
    steps = iter(range(repeats + 1))  # each record at a step of its own, the warm-up's at 0
    seconds = median_seconds(lambda: diagnostics.record(next(steps), cfg.optim.lr), repeats)
    writer.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="optimizer steps per timed run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each variant")
    parser.add_argument("--eval-interval", type=int, default=TrainConfig.eval_interval, help="train.eval_interval")
    parser.add_argument("--data", default=str(ROOT / "data" / "names.txt"), help="data.path")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="train.threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    base = Config()
    cfg = dataclasses.replace(
        base,
        data=dataclasses.replace(base.data, path=args.data),
        train=dataclasses.replace(
            base.train, max_steps=args.steps, eval_interval=args.eval_interval, device="cpu", threads=args.threads
        ),
    )
    short = min(args.steps, 2 * args.eval_interval)
    warmup = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, max_steps=short))
    speeds = {True: [], False: []}
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        run(warmup, True, workdir), run(warmup, False, workdir)
        for r in range(args.repeats):
            order = (False, True) if r % 2 == 0 else (True, False)
            this = {on: run(cfg, on, workdir) for on in order}
            for on, speed in this.items():
                speeds[on].append(speed)
            ratios.append(this[True] / this[False])
            print(f"repeat {r + 1}: off {this[False]:.1f} steps/s, on {this[True]:.1f} steps/s", flush=True)
        record = record_seconds(cfg, args.repeats, workdir)

    print(
        f"\n{args.steps} steps, evaluation every {args.eval_interval}, {args.repeats} repeats, "
        f"{os.cpu_count()} cores, {torch.get_num_threads()} torch thread(s), torch {torch.__version__}"
    )
    print(f"{'train.diagnostics':<20}{'median steps/s':>16}{'vs off':>10}")
    print(f"{'false':<20}{statistics.median(speeds[False]):>16.1f}{1.0:>10.3f}")
    print(f"{'true':<20}{statistics.median(speeds[True]):>16.1f}{statistics.median(ratios):>10.3f}")
    between = args.eval_interval / statistics.median(speeds[False])
    print(
        f"\none Diagnostics.record: {1e3 * record:.0f} ms (median of {args.repeats}); the {args.eval_interval} steps "
        f"between evaluations: {between:.1f} s with diagnostics off -> {record / between:.1%} added"
    )


if __name__ == "__main__":
    main()
