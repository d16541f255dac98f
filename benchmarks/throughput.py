"""Training steps per second: our real loop against a bare lecture-style loop, in one process.

    python benchmarks/throughput.py                          # the lecture's model and batch, 5 repeats
    python benchmarks/throughput.py --steps 300 --repeats 1  # a quick look

"ours" is `makemore.training.trainer.train` -- the code `python train.py` runs, progress bar and
TensorBoard logging on -- on `experiment=lecture_mlp` (block 3, n_embd 10, n_hidden 200,
batch 32, SGD), timed by the wall times TensorBoard records at its first and last `loss/train`
points: the steady loop, without start-up or the one evaluation and checkpoint at the end
(a fixed ~0.1-0.5 s per run, whatever its length). "bare" is the lecture's loop written out below: plain tensors,
`p.data += -lr * p.grad`. Each repeat runs every variant once, in a rotated order, so machine
noise hits them alike; the table shows median steps/s and the median of the per-repeat ratios
to bare. All variants run at the same number of threads (--threads, default torch's).
"""

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import compose, machine, require_file  # noqa: E402
from makemore.data.examples import build_contexts  # noqa: E402
from makemore.data.split import split_words  # noqa: E402
from makemore.data.vocab import Vocab  # noqa: E402
from makemore.data.words import load_words  # noqa: E402
from makemore.training.trainer import train  # noqa: E402

LOG_INTERVAL = 200  # experiment=lecture_mlp's train.log_interval: our loop's clock runs between its loss/train points

# our variants: Hydra overrides on top of experiment=lecture_mlp
VARIANTS = {
    "ours (default)": [],
    "ours (train.compile=true)": ["train.compile=true"],
    "ours (optim.fused=true)": ["optim.fused=true"],
    "ours (embedding=onehot)": ["embedding=onehot"],
}


def bare_lecture_loop(X: torch.Tensor, Y: torch.Tensor, vocab_size: int, steps: int, seed: int) -> float:
    """The lecture's training loop, verbatim in spirit; returns steps per second."""
    g = torch.Generator().manual_seed(seed)
    C = torch.randn((vocab_size, 10), generator=g)
    W1 = torch.randn((30, 200), generator=g)
    b1 = torch.randn(200, generator=g)
    W2 = torch.randn((200, vocab_size), generator=g)
    b2 = torch.randn(vocab_size, generator=g)
    parameters = [C, W1, b1, W2, b2]
    for p in parameters:
        p.requires_grad = True
    for i in range(steps):
        if i == min(LOG_INTERVAL, steps // 2):  # timed from where our loop's first loss/train point falls
            start, first = time.perf_counter(), i
        ix = torch.randint(0, X.shape[0], (32,), generator=g)
        emb = C[X[ix]]  # (32, 3, 10)
        h = torch.tanh(emb.view(-1, 30) @ W1 + b1)  # (32, 200)
        logits = h @ W2 + b2  # (32, 27)
        loss = F.cross_entropy(logits, Y[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < 100_000 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
    return (steps - first) / (time.perf_counter() - start)


def our_loop(overrides: list[str], steps: int, run_dir: Path) -> float:
    """Steps per second between the run's first and last `loss/train` points, from TensorBoard's wall times."""
    log_interval = min(LOG_INTERVAL, steps // 2)
    cfg = compose(
        ["experiment=lecture_mlp", *overrides, f"train.max_steps={steps}", f"train.eval_interval={steps}"]
        + [f"train.log_interval={log_interval}"]
    )
    with contextlib.redirect_stderr(io.StringIO()):  # the bar still draws, into a buffer
        train(cfg, run_dir, progress=True)
    points = EventAccumulator(str(run_dir), size_guidance={"scalars": 0}).Reload().Scalars("loss/train")
    first, last = points[0], points[-1]
    return (last.step - first.step) / (last.wall_time - first.wall_time)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "data" / "names.txt"), help="data.path (the lectures' list: "
                        "https://github.com/karpathy/makemore/blob/master/names.txt)")  # fmt: skip
    parser.add_argument("--steps", type=int, default=5000, help="steps per timed run")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()
    require_file(args.data)
    torch.set_num_threads(args.threads)
    data_override = [f"data.path={args.data}"]

    words = load_words(args.data)
    train_words, _, _ = split_words(words, 42)
    vocab = Vocab.from_words(words)
    X, Y = build_contexts(train_words, vocab, 3)
    names = ["bare lecture loop", *args.variants]
    rates = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        runs = iter(range(10**9))
        # one untimed warm-up each: torch.compile compiles here, caches are filled
        bare_lecture_loop(X, Y, len(vocab), min(args.steps, 200), seed=0)
        for name in args.variants:
            our_loop(VARIANTS[name] + data_override, min(args.steps, 200), Path(tmp) / str(next(runs)))
        for r in range(args.repeats):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                if name == "bare lecture loop":
                    rates[name].append(bare_lecture_loop(X, Y, len(vocab), args.steps, seed=r))
                else:
                    run_dir = Path(tmp) / str(next(runs))
                    rates[name].append(our_loop(VARIANTS[name] + data_override, args.steps, run_dir))

    bare = rates["bare lecture loop"]
    print("training throughput, lecture model (block 3, n_embd 10, n_hidden 200, batch 32, SGD)")
    print(machine(args.threads))
    print(f"{args.repeats} repeats x {args.steps} steps, interleaved; medians\n")
    print(f"| {'loop':<28} | {'steps/s':>8} | {'x bare':>6} |")
    print(f"|{'-' * 30}|{'-' * 10}|{'-' * 8}|")
    for name in names:
        ratio = statistics.median(o / b for o, b in zip(rates[name], bare, strict=True))
        print(f"| {name:<28} | {statistics.median(rates[name]):>8.0f} | {ratio:>6.2f} |")
    if "ours (default)" in rates and "ours (embedding=onehot)" in rates:
        pairs = zip(rates["ours (default)"], rates["ours (embedding=onehot)"], strict=True)
        step_ratio = statistics.median(d / o for d, o in pairs)
        print(f"\nonehot / lookup step time: {step_ratio:.2f}")


if __name__ == "__main__":
    main()
