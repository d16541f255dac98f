"""What the quality/* numbers cost: training throughput with train.quality_samples at its default against 0.

    python benchmarks/quality_cost.py --threads 1                   # default recipe, 2000 steps, 3 repeats
    python benchmarks/quality_cost.py --steps 400 --repeats 1 --eval-interval 200   # a quick look

Measured as benchmarks/diagnostics_cost.py measures the diagnostics: both variants run
makemore.training.trainer.train on
the default recipe (diagnostics off in both, so only the quality probe differs), timed by their own train_seconds,
alternating, after a warm-up run of each; then one QualityProbe.measure on the default model against the time the
"off" loop takes for the eval_interval steps between two evaluations.
"""

import argparse
import dataclasses
import statistics
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine, median_seconds  # noqa: E402
from makemore.config import Config, TrainConfig  # noqa: E402
from makemore.data.split import load_corpus  # noqa: E402
from makemore.inference.quality import QualityProbe  # noqa: E402
from makemore.models import build_model  # noqa: E402
from makemore.training.trainer import train  # noqa: E402


def run(cfg: Config, samples: int, workdir: Path) -> float:
    cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, quality_samples=samples))
    metrics = train(cfg, Path(tempfile.mkdtemp(dir=workdir)), progress=False)
    return cfg.train.max_steps / metrics["train_seconds"]


def measure_seconds(cfg: Config, repeats: int) -> float:
    corpus = load_corpus(cfg.data)
    probe = QualityProbe(build_model(cfg, len(corpus.vocab)), corpus.vocab, corpus.train_words,
                         TrainConfig.quality_samples, cfg.seed)  # fmt: skip
    return median_seconds(probe.measure, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="optimizer steps per timed run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each variant")
    parser.add_argument("--eval-interval", type=int, default=TrainConfig.eval_interval, help="train.eval_interval")
    parser.add_argument("--data", default=str(ROOT / "data" / "names.txt"), help="data.path")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="train.threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    base = Config()
    train_cfg = dataclasses.replace(base.train, max_steps=args.steps, eval_interval=args.eval_interval, device="cpu",
                                    threads=args.threads, diagnostics=False)  # fmt: skip
    cfg = dataclasses.replace(base, data=dataclasses.replace(base.data, path=args.data), train=train_cfg)
    short = dataclasses.replace(cfg, train=dataclasses.replace(train_cfg, max_steps=min(args.steps, 200)))
    on = TrainConfig.quality_samples
    speeds, ratios = {on: [], 0: []}, []
    with tempfile.TemporaryDirectory() as tmp:
        run(short, on, Path(tmp)), run(short, 0, Path(tmp))
        for r in range(args.repeats):
            this = {s: run(cfg, s, Path(tmp)) for s in ((0, on) if r % 2 == 0 else (on, 0))}
            for s, v in this.items():
                speeds[s].append(v)
            ratios.append(this[on] / this[0])
            print(f"repeat {r + 1}: off {this[0]:.1f} steps/s, on {this[on]:.1f} steps/s", flush=True)
    probe = measure_seconds(cfg, max(3, args.repeats))
    every = f"{args.steps} steps, evaluation every {args.eval_interval}, {args.repeats} repeats"
    print(f"\n{every}; {machine(args.threads)}")
    print(f"{'train.quality_samples':<24}{'median steps/s':>16}{'vs off':>10}")
    print(f"{0:<24}{statistics.median(speeds[0]):>16.1f}{1.0:>10.3f}")
    print(f"{on:<24}{statistics.median(speeds[on]):>16.1f}{statistics.median(ratios):>10.3f}")
    between = args.eval_interval / statistics.median(speeds[0])
    print(
        f"\none QualityProbe.measure ({on} names): {1e3 * probe:.0f} ms (median); the {args.eval_interval} steps "
        f"between evaluations: {between:.1f} s with it off -> {probe / between:.1%} added"
    )


if __name__ == "__main__":
    main()
