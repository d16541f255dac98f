"""Wall-clock seconds until the validation loss first reaches a target: the lecture recipe against speedrun.

    python benchmarks/time_to_loss.py                       # both recipes, back to back (about 4 minutes)
    python benchmarks/time_to_loss.py --lecture-steps 2000 --speedrun-steps 200   # a quick look

Each recipe runs through `makemore.training.trainer.train`, what `python train.py experiment=NAME` runs.
The clock starts when train() is called (data loading included) and stops at the wall time
TensorBoard recorded for the first `loss/val` point at or below the target. The lecture recipe
is evaluated every --lecture-eval steps (its own config says 10,000) so its crossing is seen
within a few seconds. Besides the fixed --target, the table also times both recipes to the
validation loss the lecture recipe itself ends at, so there is a ratio even when the lecture
never reaches the target. A run that stops (its steps, or train.max_time) before a target shows
"not reached in N steps", and the summary says which run fell short instead of a ratio; the run
column is the whole train() call, on the clock of the crossings.
"""

import argparse
import contextlib
import io
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import compose, machine, require_file  # noqa: E402
from makemore.training.trainer import train  # noqa: E402


@dataclass
class Timed:
    """One recipe's run: its val curve [(seconds since train() was called, step, val loss)], its metrics, and the
    seconds of the whole train() call, on the same clock as the curve (data loading and the final evaluation
    included), so a time to loss is never longer than its run."""

    curve: list[tuple[float, int, float]]
    metrics: dict
    seconds: float

    def first_at(self, target: float) -> tuple[float, int] | None:
        """(seconds, step) of the first evaluation at or below target; None: the run's cap came first."""
        return next(((t, step) for t, step, v in self.curve if v <= target), None)

    def cell(self, target: float) -> str:
        hit = self.first_at(target)
        return f"{hit[0]:.1f} s @ {hit[1]}" if hit else f"not reached in {self.metrics['steps']} steps"


def val_curve(overrides: list[str], run_dir: Path) -> Timed:
    """Train as `python train.py OVERRIDES` would, timing every evaluation."""
    cfg = compose(overrides)
    start = time.time()  # TensorBoard's wall_time is time.time()
    with contextlib.redirect_stderr(io.StringIO()):
        metrics = train(cfg, run_dir, progress=True)
    seconds = time.time() - start
    events = EventAccumulator(str(run_dir), size_guidance={"scalars": 0}).Reload()
    return Timed([(e.wall_time - start, e.step, e.value) for e in events.Scalars("loss/val")], metrics, seconds)


def compare(target: float, lecture: Timed, speedrun: Timed) -> str:
    """How much sooner speedrun reaches target, in one line; a run capped (train.max_steps or train.max_time) before
    it reaches the target says so instead of a ratio it can't give."""
    a, b = lecture.first_at(target), speedrun.first_at(target)
    if a and b:
        return f"speedrun reaches {target:.4f} {a[0] / b[0]:.1f}x sooner ({b[0]:.1f} s against {a[0]:.1f} s)"
    if b:
        return (f"the lecture recipe does not reach {target:.4f} in its {lecture.metrics['steps']} steps: speedrun "
                f"is more than {lecture.seconds / b[0]:.1f}x sooner (the lecture's whole {lecture.seconds:.1f} s run "
                f"against speedrun's {b[0]:.1f} s)")  # fmt: skip
    if a:
        return (
            f"speedrun does not reach {target:.4f} in its {speedrun.metrics['steps']} steps "
            f"({speedrun.seconds:.1f} s; raise --speedrun-steps); the lecture recipe reaches it in {a[0]:.1f} s"
        )
    return (f"neither recipe reaches {target:.4f} (lecture {lecture.metrics['steps']} steps, speedrun "
            f"{speedrun.metrics['steps']} steps): no ratio; raise --lecture-steps / --speedrun-steps")  # fmt: skip


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
    require_file(args.data)
    torch.set_num_threads(args.threads)
    before = machine(args.threads)

    runs: dict[str, Timed] = {}
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

    lecture, speedrun = runs["lecture_mlp"], runs["speedrun"]
    lecture_end = lecture.curve[-1][2]  # where the lecture recipe ends: reached by it, by definition
    print(f"time to validation loss on {args.data}")
    print(f"before: {before}\nafter:  {machine(args.threads)}\n")
    print(
        f"| {'experiment':<12} | {'to val ' + format(args.target, '.3f'):>26} | "
        f"{'to val ' + format(lecture_end, '.3f') + ' (lecture end)':>28} | {'final val':>9} | {'run':>8} |"
    )
    print(f"|{'-' * 14}|{'-' * 28}|{'-' * 30}|{'-' * 11}|{'-' * 10}|")
    for name, run in runs.items():
        print(
            f"| {name:<12} | {run.cell(args.target):>26} | {run.cell(lecture_end):>28} | "
            f"{run.metrics['val_loss']:>9.4f} | {run.seconds:>6.1f} s |"
        )
    print(f"\n{compare(args.target, lecture, speedrun)}")
    print(compare(lecture_end, lecture, speedrun) + " (the lecture recipe's final val)")


if __name__ == "__main__":
    main()
