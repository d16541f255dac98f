"""Wall time of one 4-run sweep: Hydra's basic launcher (one run after another) against joblib.

    pip install -e ".[sweep]"
    python benchmarks/sweep_parallel.py                 # 4 runs of 2000 steps, 2 repeats
    python benchmarks/sweep_parallel.py --steps 200 --repeats 1

Each variant is the real `python train.py -m embedding=lookup,onehot seed=1,2 ...` in a
subprocess, timed from start to exit. The sequential sweep runs each training on all cores
(torch's default threads) and also on one thread; the joblib sweep runs two trainings at once,
one thread each (`hydra.launcher.n_jobs=2 train.threads=1`), which is how a small model uses two
cores best. Repeats rotate the order of the variants; the table shows medians and the ratio.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine  # noqa: E402

SWEEP = ["embedding=lookup,onehot", "seed=1,2"]
VARIANTS = {
    "sequential (basic launcher)": [],
    "sequential, train.threads=1": ["train.threads=1"],
    "joblib, 2 jobs x 1 thread": ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "train.threads=1"],
}


def sweep_seconds(overrides: list[str], steps: int, workdir: Path) -> float:
    args = [*SWEEP, *overrides, f"train.max_steps={steps}", f"hydra.sweep.dir={workdir}"]
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "train.py"), "-m", *args], check=True, capture_output=True)
    seconds = time.perf_counter() - start
    assert len(list(workdir.glob("*/metrics.json"))) == 4, "a run of the sweep did not finish"
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="steps per run (default recipe, bundled names)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    times = {name: [] for name in VARIANTS}
    names = list(VARIANTS)
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                times[name].append(sweep_seconds(VARIANTS[name], args.steps, Path(tmp) / f"{r}-{names.index(name)}"))
    base = statistics.median(times[names[0]])
    print(f"4-run sweep ({' '.join(SWEEP)}, {args.steps} steps each), {args.repeats} repeats; {machine()}")
    print(f"{'variant':32} {'median s':>9} {'vs sequential':>14}")
    for name in names:
        median = statistics.median(times[name])
        print(f"{name:32} {median:9.1f} {base / median:13.2f}x")


if __name__ == "__main__":
    main()
