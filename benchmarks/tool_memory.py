"""Peak memory of the tools that use a model, on the bundled list and on 100 times as much: is it bounded?

    python benchmarks/tool_memory.py                          # trains a tiny run first, in a temporary folder
    python benchmarks/tool_memory.py --run outputs/DATE/TIME  # a run of yours
    python benchmarks/tool_memory.py --scales 1 10 --tools score   # a quicker look

Each tool runs as its own process, as a person runs it: `score.py words=-` with the words on stdin (sorted, the
default, and sort=false), `evaluate.py
data.path=FILE`, `sample.py num_samples=N` (N: --sample-base, 2,000, times the scale) into /dev/null. Its peak resident
memory is the kernel's (os.wait4's ru_maxrss). The inputs are the bundled names repeated; they live in a temporary
folder, and nothing tracked is written unless --out is given (a CSV of the table).
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine  # noqa: E402

TOOLS = ("score", "score sort=false", "evaluate", "sample")
NAMES = ROOT / "data" / "names.txt"


def train_tiny(folder: Path) -> Path:
    """A small default-recipe run, trained for a few steps: what the tools load is a real checkpoint."""
    run = folder / "run"
    args = ["model.n_embd=8", "model.n_hidden=64", "train.max_steps=50", "train.eval_interval=50",
            "train.diagnostics=false", f"hydra.run.dir={run}"]  # fmt: skip
    subprocess.run([sys.executable, str(ROOT / "train.py"), *args], cwd=folder, check=True, capture_output=True)
    return run


def peak_rss(args: list[str], stdin_path: Path | None, cwd: Path) -> tuple[float, float]:
    """(peak resident MB, seconds) of one tool's process."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL  # noqa: SIM115  closed below
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *args], cwd=cwd, stdin=stdin, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if stdin_path:
        stdin.close()
    if proc.returncode != 0:
        sys.exit(f"error: {' '.join(args)} exited {proc.returncode}: {err.decode()[-2000:]}")
    return usage.ru_maxrss / 1024, time.perf_counter() - started  # ru_maxrss: kB on Linux


def command(tool: str, run: Path, words: Path, n: int) -> tuple[list[str], Path | None]:
    script = str(ROOT / f"{tool.split()[0]}.py")
    if tool.startswith("score"):
        return [script, f"run={run}", "words=-", "format=csv", *tool.split()[1:]], words
    if tool == "evaluate":
        return [script, f"run={run}", f"data.path={words}"], None
    return [script, f"run={run}", f"num_samples={n}"], None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", help="a trained run directory (default: train a tiny one first)")
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 100], help="copies of the bundled list")
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS)
    parser.add_argument(
        "--sample-base",
        type=int,
        default=2000,
        help="names sample.py prints at scale 1 (the whole list's count takes it ~20 s a scale)",
    )
    parser.add_argument("--out", help="also write the table here as CSV")
    args = parser.parse_args()
    names = NAMES.read_text()
    base = len(names.split())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run = Path(args.run).resolve() if args.run else train_tiny(folder)
        rows = []
        for tool in args.tools:
            row = {"tool": tool}
            for scale in args.scales:
                words = folder / f"names_x{scale}.txt"
                if not words.exists():
                    words.write_text(names * scale)
                cmd, stdin = command(tool, run, words, args.sample_base * scale)
                row[f"x{scale}"], row[f"s{scale}"] = peak_rss(cmd, stdin, folder)
            rows.append(row)
    print(f"peak RSS of each tool on the bundled list ({base:,} words; sample.py {args.sample_base:,} names) times "
          f"{', '.join(map(str, args.scales))}; {machine()}")  # fmt: skip
    first, last = args.scales[0], args.scales[-1]
    header = " | ".join(f"x{s} MB (s)" for s in args.scales)
    print(f"\n| tool | {header} | x{last} / x{first} |\n|---|" + "---|" * (len(args.scales) + 1))
    for r in rows:
        cells = " | ".join(f"{r[f'x{s}']:.0f} ({r[f's{s}']:.1f})" for s in args.scales)
        print(f"| {r['tool']} | {cells} | {r[f'x{last}'] / r[f'x{first}']:.2f} |")
    if args.out:
        with open(args.out, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    main()
