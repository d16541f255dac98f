"""Fine-tuning from the bundled names against training from scratch, on a small new list, at equal step counts.

    python benchmarks/finetune.py                                  # data/old_names.txt, 100..3000 steps
    python benchmarks/finetune.py --source outputs/DATE/TIME       # reuse a trained run on the bundled names
    python benchmarks/finetune.py --data data/french_like.txt --steps 100,300 --threads 1

Without --source it first trains the default recipe on data/names.txt (`python train.py`, 12,000 steps,
about a minute on one idle core). Then, for each step count, two runs of the default recipe on --data with
the same seed and the same overrides, `train.max_steps=STEPS train.eval_interval=EVAL`: one from scratch and
one with `train.init_from=SOURCE` (what `python train.py data.path=... train.init_from=RUN` runs). The table
has each run's final val loss and its best (the one best.pt keeps), and the differences. All runs go
to a temporary folder.
"""

import argparse
import contextlib
import io
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import compose, machine, require_file  # noqa: E402
from makemore.training.trainer import train  # noqa: E402


def run(overrides: list[str], run_dir: Path) -> dict:
    with contextlib.redirect_stderr(io.StringIO()):  # the progress bar
        return train(compose(overrides), run_dir, progress=False, overrides=tuple(overrides))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "data" / "old_names.txt"), help="the small new word list")
    parser.add_argument("--source", type=Path, help="a run trained on the bundled names (default: train one)")
    parser.add_argument("--steps", default="100,300,1000,3000", help="comma-separated step counts")
    parser.add_argument("--eval-interval", type=int, default=50, help="train.eval_interval of the compared runs")
    parser.add_argument("--lr", type=float, help="optim.lr of the compared runs (default: the recipe's 3e-3)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    require_file(args.data)
    if args.source is not None and not args.source.exists():
        sys.exit(f"error: --source {args.source}: no such run directory or checkpoint")
    steps = [int(s) for s in args.steps.split(",")]
    interval = args.eval_interval
    common = [f"train.threads={args.threads}", "train.diagnostics=false"]

    with tempfile.TemporaryDirectory(prefix="makemore-finetune-") as tmp:
        source = args.source
        if source is None:
            source = Path(tmp) / "source"
            metrics = run(common, source)
            print(f"source: default recipe on names.txt, {metrics['steps']} steps, val {metrics['val_loss']:.4f}")
        print(f"{args.data}, optim.lr={args.lr or 'the recipe'}; {machine(args.threads)}")
        header = f"{'scratch val':>11} {'(best)':>8} | {'fine-tuned val':>14} {'(best)':>8} | best: tuned - scratch"
        print(f"{'steps':>6} | {header}")
        for n in steps:
            compared = [*common, f"data.path={args.data}", f"train.max_steps={n}", f"train.eval_interval={interval}"]
            compared += [f"optim.lr={args.lr}"] if args.lr else []
            scratch = run(compared, Path(tmp) / f"scratch-{n}")
            tuned = run([*compared, f"train.init_from={source}"], Path(tmp) / f"tuned-{n}")
            gain = tuned["best_val_loss"] - scratch["best_val_loss"]
            print(
                f"{n:>6} | {scratch['val_loss']:>11.4f} {scratch['best_val_loss']:>8.4f} | "
                f"{tuned['val_loss']:>14.4f} {tuned['best_val_loss']:>8.4f} | {gain:>+20.4f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
