"""Wall-clock seconds until the validation loss first reaches a target: the lecture recipe against speedrun.

    python benchmarks/time_to_loss.py                       # both recipes, back to back (about 4 minutes)
    python benchmarks/time_to_loss.py --lecture-steps 2000 --speedrun-steps 200   # a quick look

Each recipe runs through `makemore.trainer.train`, what `python train.py experiment=NAME` runs.
The clock starts when train() is called (data loading included) and stops at the wall time
TensorBoard recorded for the first `loss/val` point at or below the target. The lecture recipe
is evaluated every --lecture-eval steps (its own config says 10,000) so its crossing is seen
within a few seconds. Besides the fixed --target, the table also times both recipes to the
validation loss the lecture recipe itself ends at, so there is a ratio even when the lecture
never reaches the target.
"""

import argparse
import contextlib
import io
import math
import sys
import tempfile
import time
from pathlib import Path

import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import compose, machine  # noqa: E402
from makemore.trainer import train  # noqa: E402


def val_curve(overrides: list[str], run_dir: Path) -> tuple[list[tuple[float, int, float]], dict]:
    """Train; return [(seconds since train() was called, step, val loss)] and the run's metrics."""
    cfg = compose(overrides)
    start = time.time()  # TensorBoard's wall_time is time.time()
    with contextlib.redirect_stderr(io.StringIO()):
        metrics = train(cfg, run_dir, progress=True)
    events = EventAccumulator(str(run_dir), size_guidance={"scalars": 0}).Reload()
    return [(e.wall_time - start, e.step, e.value) for e in events.Scalars("loss/val")], metrics


def first_at(curve, target: float) -> tuple[float, int]:
    return next(((t, step) for t, step, v in curve if v <= target), (math.inf, -1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "data" / "names.txt"), help="data.path (the lectures' list: "
                        "https://github.com/karpathy/makemore/blob/master/names.txt)")  # fmt: skip
    parser.add_argument("--target", type=float, default=2.17, help="val loss to reach (the lecture's 2.170)")
    parser.add_argument("--lecture-eval", type=int, default=2000, help="lecture recipe: steps between evaluations")
    parser.add_argument("--lecture-steps", type=int, default=None, help="cap the lecture recipe (default: its 200k)")
    parser.add_argument("--speedrun-steps", type=int, default=None, help="cap speedrun (default: its own)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    if not Path(args.data).is_file():
        sys.exit(f"error: --data {args.data}: no such file")
    torch.set_num_threads(args.threads)
    before = machine(args.threads)

    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, eval_every, cap in (
            ("lecture_mlp", args.lecture_eval, args.lecture_steps),
            ("speedrun", None, args.speedrun_steps),
        ):
            overrides = [f"experiment={name}", f"data.path={args.data}"]
            if eval_every is not None:
                overrides.append(f"train.eval_interval={eval_every}")
            if cap is not None:
                overrides.append(f"train.max_steps={cap}")
            runs[name] = val_curve(overrides, Path(tmp) / name)

    lecture_end = runs["lecture_mlp"][0][-1][2]
    print(f"time to validation loss on {args.data}")
    print(f"before: {before}\nafter:  {machine(args.threads)}\n")
    print(f"| {'experiment':<12} | {'to val ' + format(args.target, '.3f'):>14} | "
          f"{'to val ' + format(lecture_end, '.3f') + ' (lecture end)':>28} | {'final val':>9} | {'run':>8} |")
    print(f"|{'-' * 14}|{'-' * 16}|{'-' * 30}|{'-' * 11}|{'-' * 10}|")
    times = {}
    for name, (curve, metrics) in runs.items():
        (t1, s1), (t2, s2) = first_at(curve, args.target), first_at(curve, lecture_end)
        times[name] = (t1, t2)
        cell1 = f"{t1:.1f} s @ {s1}" if s1 >= 0 else "not reached"
        cell2 = f"{t2:.1f} s @ {s2}" if s2 >= 0 else "not reached"
        print(f"| {name:<12} | {cell1:>14} | {cell2:>28} | {metrics['val_loss']:>9.4f} | "
              f"{metrics['train_seconds']:>6.1f} s |")
    (l1, l2), (s1, s2) = times["lecture_mlp"], times["speedrun"]
    lecture_total = runs["lecture_mlp"][1]["train_seconds"]
    if math.isfinite(l1):
        print(f"\nspeedrun reaches {args.target} {l1 / s1:.1f}x sooner")
    else:
        print(f"\nthe lecture recipe never reaches {args.target}: speedrun is more than {lecture_total / s1:.1f}x "
              f"sooner (the lecture's whole {lecture_total:.0f} s run against speedrun's {s1:.1f} s)")
    print(f"speedrun reaches the lecture recipe's final val {lecture_end:.4f} {l2 / s2:.1f}x sooner")


if __name__ == "__main__":
    main()
