"""What a one-hot embedding costs against a lookup, as the vocabulary grows from characters to words.

    python benchmarks/embedding_cost.py           # 27 .. 50,000 tokens; prints the table
    python benchmarks/embedding_cost.py --write   # ... and updates docs/embedding_cost.{csv,png}
    python benchmarks/embedding_cost.py --vocab-sizes 27,1000 --repeats 3 --csv /tmp/e.csv --png /tmp/e.png

For each vocabulary size both modules of makemore/models/embedding.py (`LookupEmbedding`,
`OneHotEmbedding`) embed the same (batch, block_size) ids and backpropagate the same upstream
gradient, at a fixed batch and context. Reported per module and size:

  time   median wall time of one forward+backward over --repeats runs (after a warm-up), the two
         modules alternating so machine noise hits both alike; on one CPU thread by default, because
         on a busy machine multi-threaded kernels wait for a free core in scheduler-slice steps
         (~15 ms here), which buries the arithmetic being compared;
  memory peak bytes the forward+backward allocates on top of what existed before (the table, the
         ids and the upstream gradient): the running total of every allocation and free that
         torch.profiler(profile_memory=True) records, in order. On CUDA, torch.cuda.max_memory_allocated
         minus the bytes allocated before.

The one-hot's peak is analytically 5 * N * V bytes for N = batch * block_size ids and V tokens:
comparing the ids against 0..V-1 makes a bool (N, V) matrix (1 byte each) and .to(float32) a copy
(4 bytes) while the bool one still exists. The lookup's is N * n_embd * 4 (the output) + V * n_embd * 4 (the dense
gradient of the table). The CSV carries both the measured and the analytic bytes.
"""

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from torch.profiler import ProfilerActivity, profile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's makemore, whatever is installed

from makemore.models.embedding import EMBEDDINGS, init_table  # noqa: E402

DEFAULT_SIZES = "27,100,300,1000,3000,10000,30000,50000"
FIELDS = ["module", "vocab_size", "batch_size", "block_size", "n_embd", "ms", "peak_bytes", "analytic_bytes"]


def analytic_bytes(name: str, n_ids: int, vocab_size: int, n_embd: int) -> int:
    if name == "onehot":
        return 5 * n_ids * vocab_size
    return 4 * (n_ids * n_embd + vocab_size * n_embd)


def step(module: torch.nn.Module, idx: torch.Tensor, upstream: torch.Tensor) -> None:
    module.zero_grad(set_to_none=True)
    module(idx).backward(upstream)  # (B, T) -> (B, T, n_embd)


def peak_bytes(module: torch.nn.Module, idx: torch.Tensor, upstream: torch.Tensor) -> int:
    module.zero_grad(set_to_none=True)  # the gradient's bytes count in the peak, as in training
    if idx.device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        step(module, idx, upstream)
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - before
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step(module, idx, upstream)
    live = peak = 0
    for event in sorted(prof.events(), key=lambda e: e.time_range.start):
        live += event.self_cpu_memory_usage  # allocations (+) and frees (-) attributed to this op alone
        peak = max(peak, live)
    return peak


def seconds(module: torch.nn.Module, idx: torch.Tensor, upstream: torch.Tensor) -> float:
    if idx.device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    step(module, idx, upstream)
    if idx.device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def measure(vocab_sizes, batch_size, block_size, n_embd, repeats, device) -> list[dict]:
    rows = []
    for vocab_size in vocab_sizes:
        gen = torch.Generator().manual_seed(vocab_size)
        idx = torch.randint(0, vocab_size, (batch_size, block_size), generator=gen).to(device)  # (B, T)
        upstream = torch.randn(batch_size, block_size, n_embd, generator=gen).to(device)  # (B, T, n_embd)
        modules = {}
        for name, cls in EMBEDDINGS.items():
            modules[name] = cls(vocab_size, n_embd)
            init_table(modules[name])
            modules[name].to(device)
            step(modules[name], idx, upstream)  # warm-up
        times = {name: [] for name in modules}
        for r in range(repeats):
            for name in modules if r % 2 == 0 else reversed(modules):
                times[name].append(seconds(modules[name], idx, upstream))
        for name, module in modules.items():
            rows.append(
                dict(
                    module=name,
                    vocab_size=vocab_size,
                    batch_size=batch_size,
                    block_size=block_size,
                    n_embd=n_embd,
                    ms=round(1e3 * statistics.median(times[name]), 4),
                    peak_bytes=peak_bytes(module, idx, upstream),
                    analytic_bytes=analytic_bytes(name, batch_size * block_size, vocab_size, n_embd),
                )
            )
        del modules
    return rows


def plot(rows: list[dict], path: Path, title: str) -> None:
    fig = Figure(figsize=(10, 4.2), dpi=90)
    FigureCanvasAgg(fig)
    time_ax, mem_ax = fig.subplots(1, 2)
    for name, style in (("lookup", "o-"), ("onehot", "s-")):
        mine = [r for r in rows if r["module"] == name]
        sizes = [r["vocab_size"] for r in mine]
        time_ax.plot(sizes, [r["ms"] for r in mine], style, label=name)
        mem_ax.plot(sizes, [r["peak_bytes"] / 2**20 for r in mine], style, label=name)
    for ax, ylabel in ((time_ax, "forward+backward, ms (median)"), (mem_ax, "peak memory allocated, MiB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("vocabulary size")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, which="both")
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab-sizes", default=DEFAULT_SIZES, help="comma-separated vocabulary sizes")
    parser.add_argument("--batch-size", type=int, default=128, help="contexts per step (train.batch_size)")
    parser.add_argument("--block-size", type=int, default=5, help="ids per context (data.block_size)")
    parser.add_argument("--n-embd", type=int, default=24, help="model.n_embd")
    parser.add_argument("--repeats", type=int, default=9, help="timed forward+backward runs per module and size")
    parser.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1: steady on a shared machine)")
    parser.add_argument("--write", action="store_true", help="update the tracked docs/embedding_cost.{csv,png}")
    parser.add_argument("--csv", type=Path, default=None, help="write the rows here (--write: docs/embedding_cost.csv)")
    parser.add_argument("--png", type=Path, default=None, help="draw the plot here (--write: docs/embedding_cost.png)")
    args = parser.parse_args(argv)
    if args.write:  # the tracked files change only when asked
        args.csv = args.csv or ROOT / "docs" / "embedding_cost.csv"
        args.png = args.png or ROOT / "docs" / "embedding_cost.png"

    sizes = [int(v) for v in args.vocab_sizes.split(",")]
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    rows = measure(sizes, args.batch_size, args.block_size, args.n_embd, args.repeats, device)

    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        with open(args.csv, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
    threads = torch.get_num_threads()
    where = f"{device}" + (f", {threads} thread{'s' * (threads > 1)}" if device.type == "cpu" else "")
    title = (
        f"embedding cost: batch {args.batch_size} x block {args.block_size} ids, n_embd {args.n_embd} "
        f"({where}, torch {torch.__version__})"
    )
    if args.png:
        args.png.parent.mkdir(parents=True, exist_ok=True)
        plot(rows, args.png, title)

    print(title)
    print(f"{'vocab':>8}{'lookup ms':>12}{'onehot ms':>12}{'x':>8}{'lookup MiB':>13}{'onehot MiB':>13}{'x':>8}")
    by = {(r["module"], r["vocab_size"]): r for r in rows}
    for v in sizes:
        lk, oh = by["lookup", v], by["onehot", v]
        print(
            f"{v:>8}{lk['ms']:>12.3f}{oh['ms']:>12.3f}{oh['ms'] / lk['ms']:>8.1f}"
            f"{lk['peak_bytes'] / 2**20:>13.3f}{oh['peak_bytes'] / 2**20:>13.3f}"
            f"{oh['peak_bytes'] / max(lk['peak_bytes'], 1):>8.1f}"
        )
    written = [str(p) for p in (args.csv, args.png) if p]
    print(f"wrote {' and '.join(written)}" if written else "wrote nothing (--write updates docs/embedding_cost.*)")
    return rows


if __name__ == "__main__":
    main()
