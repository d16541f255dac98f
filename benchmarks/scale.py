"""How the default recipe's cost grows with the word list: 10k, 100k, 1M (and 10M) words, each run in its own process.

    python benchmarks/scale.py --threads 1                          # 10k, 100k, 1M words; CSV and plot in /tmp
    python benchmarks/scale.py --threads 1 --baseline-ref main      # and the same runs on a git worktree of main
    python benchmarks/scale.py --threads 1 --baseline-ref main --ten-million --write   # 10M too; into docs/

The word lists are made from the bundled data/names.txt, deterministically: a prefix of one name joined to
a suffix of another (random.Random(0)), so nothing is downloaded; they are written once under --out.
Each size trains the default recipe (`python train.py`, diagnostics and all) for --steps steps in a child
process, which reports
    first_step_s   seconds from starting the process to the first training step (imports, reading and
                   splitting the words, building the examples, the model, TensorBoard)
    steps_per_s    training steps per second between the first and the last step
    final_eval_s   the final evaluation of the three splits (Trainer.finish), and its forward matmul FLOPs
                   over that time (eval_gflops) against torch.mm's rate on 1024x1024 matrices, measured in the
                   same process at the same threads right after (matmul_gflops)
    peak_rss_mb    the child's peak resident memory (getrusage)
`--baseline-ref REF` runs the same children on a temporary git worktree of REF (today's code: main), which
it removes afterwards. The CSV and the log-log plot go to --out; with --write also to docs/scale.csv and
docs/scale.png.
"""

import argparse
import csv
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (10_000, 100_000, 1_000_000)
TEN_MILLION = 10_000_000
FIELDS = ["code", "words", "first_step_s", "steps_per_s", "final_eval_s", "eval_gflops", "matmul_gflops",
          "eval_fraction", "peak_rss_mb"]  # fmt: skip


def make_words(n: int, out: Path) -> Path:
    """n words, each a prefix of one bundled name and a suffix of another, written once to out/words-n.txt."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"words-{n}.txt"
    if path.exists():
        return path
    names = (ROOT / "data" / "names.txt").read_text().split()
    rng = random.Random(0)
    words = []
    for _ in range(n):
        a, b = rng.choice(names), rng.choice(names)
        words.append(a[: rng.randint(1, len(a))] + b[rng.randint(0, len(b) - 1) :])
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(words) + "\n")
    tmp.rename(path)
    return path


def child(args: argparse.Namespace) -> None:
    """One run, in this process: train the default recipe of the tree at --tree, print one SCALE_RESULT line."""
    sys.path.insert(0, str(args.tree))
    os.chdir(args.tree)
    import torch
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf
    from torch.utils.flop_counter import FlopCounterMode

    try:  # the stage subpackages
        from makemore.cli.configs import register_configs
        from makemore.data.examples import RandomBatches
        from makemore.training import trainer as trainer_module

        register_configs()
    except ImportError:  # a tree from before them (a --baseline-ref): importing train.py registers the config
        import train  # noqa: F401
        from makemore import trainer as trainer_module
        from makemore.examples import RandomBatches

    overrides = [f"data.path={args.words}", f"train.max_steps={args.steps}", f"train.threads={args.threads}"]
    with initialize_config_dir(config_dir=str(Path(args.tree) / "configs"), version_base="1.3"):
        cfg = OmegaConf.to_object(compose(config_name="config", overrides=overrides))
    times = []  # the start of every training step: its minibatch is drawn first, in every version of the loop
    draw = RandomBatches.next

    def timed_draw(self, *a):
        times.append(time.time())
        return draw(self, *a)

    RandomBatches.next = timed_draw
    trainer = trainer_module.prepare(cfg, Path(args.run_dir))
    finish = trainer.finish
    final = {}

    def timed_finish(*a):
        start = time.perf_counter()
        out = finish(*a)
        final["seconds"] = time.perf_counter() - start
        return out

    trainer.finish = timed_finish
    trainer.run(progress_bar=False)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the run's, before the probes below

    rows = sum(len(e[0]) if isinstance(e, tuple) else len(e) for e in trainer.examples.values())
    model = trainer.model.eval()
    probe = torch.zeros(64, model.block_size, dtype=torch.long)
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        model(probe)
    eval_flops = counter.get_total_flops() / len(probe) * rows
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    best = float("inf")
    for _ in range(10):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    result = {
        "first_step_s": times[0] - args.started,
        "steps_per_s": (len(times) - 1) / (times[-1] - times[0]),
        "final_eval_s": final["seconds"],
        "eval_gflops": eval_flops / final["seconds"] / 1e9,
        "matmul_gflops": 2 * 1024**3 / best / 1e9,
        "peak_rss_mb": peak_rss_mb,
    }
    print("SCALE_RESULT " + json.dumps(result), flush=True)


def run_child(tree: Path, words: Path, steps: int, threads: int, run_dir: Path, timeout: float) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--tree", str(tree), "--words", str(words),
               "--steps", str(steps), "--threads", str(threads), "--run-dir", str(run_dir),
               "--started", repr(time.time())]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("SCALE_RESULT ")]
    if proc.returncode or not lines:
        sys.exit(f"error: the run on {words} ({tree}) failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]}")
    return json.loads(lines[-1].split(" ", 1)[1])


def plot(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("first_step_s", "seconds to the first step"), ("final_eval_s", "final evaluation, seconds"),
              ("peak_rss_mb", "peak RSS, MB"), ("steps_per_s", "training steps / s")]  # fmt: skip
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.6))
    for ax, (key, label) in zip(axes, panels, strict=True):
        for code in dict.fromkeys(r["code"] for r in rows):
            mine = [r for r in rows if r["code"] == code]
            ax.plot([r["words"] for r in mine], [r[key] for r in mine], "o-", label=code)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("words")
        ax.set_title(label, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="train.threads and the matmul's threads")
    parser.add_argument("--steps", type=int, default=500, help="training steps per run")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES), help="word-list sizes")
    parser.add_argument("--ten-million", action="store_true", help="add 10,000,000 words (minutes per run)")
    parser.add_argument("--baseline-ref", help="also run a git worktree of this ref (e.g. main), today's code")
    parser.add_argument(
        "--baseline-max-words",
        type=int,
        default=1_000_000,
        help="the baseline's largest size (today's code needs ~1.4 GB and minutes per million words)",
    )
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "makemore-scale",
                        help="where the word lists, runs, scale.csv and scale.png go")  # fmt: skip
    parser.add_argument("--write", action="store_true", help="also write docs/scale.csv and docs/scale.png")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tree", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--words", help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    if args.steps < 2:
        sys.exit(f"error: --steps {args.steps}: expected at least 2 (steps/s is timed between the first and last)")
    sizes = sorted(set(args.sizes) | ({TEN_MILLION} if args.ten_million else set()))
    args.out.mkdir(parents=True, exist_ok=True)
    trees = {"ours": ROOT}
    if args.baseline_ref:
        worktree = args.out / f"baseline-{args.baseline_ref.replace('/', '-')}"
        if not worktree.exists():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(worktree), args.baseline_ref],
                           check=True, capture_output=True)  # fmt: skip
        trees[args.baseline_ref] = worktree
    rows = []
    try:
        for n in sizes:
            words = make_words(n, args.out)
            for code, tree in trees.items():
                if code != "ours" and n > args.baseline_max_words:
                    continue
                run_dir = args.out / "runs" / f"{code.replace('/', '-')}-{n}"
                shutil.rmtree(run_dir, ignore_errors=True)
                result = run_child(tree, words, args.steps, args.threads, run_dir, args.timeout)
                fraction = result["eval_gflops"] / result["matmul_gflops"]
                row = {"code": code, "words": n, **result, "eval_fraction": fraction}
                rows.append(row)
                print(f"{code:>8} {n:>10,} words: first step {row['first_step_s']:6.2f} s, {row['steps_per_s']:6.1f} "
                      f"steps/s, final eval {row['final_eval_s']:7.2f} s ({row['eval_gflops']:5.1f} GFLOP/s, "
                      f"{row['eval_fraction']:.0%} of matmul {row['matmul_gflops']:.1f}), peak RSS "
                      f"{row['peak_rss_mb']:6.0f} MB, load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    finally:
        if args.baseline_ref:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(trees[args.baseline_ref])],
                           capture_output=True)  # fmt: skip
    title = f"default recipe, {args.steps} steps, {args.threads} thread(s), load {os.getloadavg()[0]:.1f}"
    outputs = [args.out] + ([ROOT / "docs"] if args.write else [])
    for where in outputs:
        with open(where / "scale.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows({k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in rows)
        plot(rows, where / "scale.png", title)
        print(f"wrote {where / 'scale.csv'} and {where / 'scale.png'}")


if __name__ == "__main__":
    main()
