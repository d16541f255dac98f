"""Names per second: our batched sampler against the lecture's one-name-at-a-time loop.

    python benchmarks/sampling.py                               # trains a default-recipe model for a few seconds first
    python benchmarks/sampling.py --run outputs/DATE/TIME      # or samples from a trained run
    python benchmarks/sampling.py --run multirun/DATE/TIME/0 multirun/DATE/TIME/1   # or from runs together
    python benchmarks/sampling.py --names 200 --loop-names 20 --repeats 1 --train-steps 50   # a quick look
    python benchmarks/sampling.py --run RUN --dropout-samples 16   # each character from 16 dropout masks

Both sample the same model at the same temperature. "ours" is `makemore.inference.sampling.generate`, what
`python sample.py` runs; "loop" is the lecture's way: one name at a time, one forward pass of a
single context per character. Each repeat times both, interleaved; the table shows medians.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import compose, machine, require_file  # noqa: E402
from makemore.inference.loading import load_trained  # noqa: E402
from makemore.inference.sampling import generate  # noqa: E402
from makemore.training.trainer import train  # noqa: E402


@torch.inference_mode()
def one_at_a_time(model, vocab, n: int, generator, temperature: float, max_len: int) -> list[str]:
    """The lecture's sampling loop; like ours, an empty name is drawn again and names stop at max_len."""
    names = []
    for _ in range(n):
        out, context = [], [0]
        while len(out) < max_len:
            logits = model.next_logits(torch.tensor([context[-model.block_size :]]))  # (1, vocab_size)
            logits = logits / temperature
            if not out:
                logits[0, 0] = -torch.inf
            ix = torch.multinomial(F.softmax(logits, dim=1), num_samples=1, generator=generator).item()
            if ix == 0:
                break
            out.append(ix)
            context = context + [ix]
        names.append(vocab.decode(out))
    return names


def trained_model(runs: list[str] | None, data: str, steps: int, dropout_samples: int = 0):
    if runs is None:
        tmp = tempfile.mkdtemp(prefix="makemore-bench-")
        cfg = compose([f"data.path={data}", f"train.max_steps={steps}", f"train.eval_interval={steps}"])
        with contextlib.redirect_stderr(io.StringIO()):
            train(cfg, Path(tmp), progress=False)
        runs = [tmp]
    trained = load_trained(runs if len(runs) > 1 else runs[0], key="--run", dropout_samples=dropout_samples)
    return trained.model, trained.vocab, trained.source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", nargs="+", default=None, help="a run directory or checkpoint (several: their "
                        "ensemble, makemore/ensemble.py); default: train one first")  # fmt: skip
    parser.add_argument("--data", default=str(ROOT / "data" / "names.txt"), help="data.path (the lectures' list: "
                        "https://github.com/karpathy/makemore/blob/master/names.txt)")  # fmt: skip
    parser.add_argument("--train-steps", type=int, default=2000, help="steps of the default recipe, without --run")
    parser.add_argument("--names", type=int, default=10_000, help="names per timed batched run")
    parser.add_argument("--loop-names", type=int, default=300, help="names per timed one-at-a-time run")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--max-len", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--dropout-samples", type=int, default=0, help="sample.py's dropout_samples: each "
                        "character from the mean of that many dropout masks (inference/dropout_mean.py)")  # fmt: skip
    args = parser.parse_args()
    require_file(args.data)
    torch.set_num_threads(args.threads)

    model, vocab, path = trained_model(args.run, args.data, args.train_steps, args.dropout_samples)
    ours_s, loop_rate, ours_rate, ratios = [], [], [], []
    for r in range(args.repeats):
        g = torch.Generator().manual_seed(r)
        start = time.perf_counter()
        options = dict(temperature=args.temperature, max_len=args.max_len)
        names = list(generate(model, vocab, args.names, g, **options))
        ours_s.append(time.perf_counter() - start)
        assert len(names) == args.names
        start = time.perf_counter()
        one_at_a_time(model, vocab, args.loop_names, g, args.temperature, args.max_len)
        loop_rate.append(args.loop_names / (time.perf_counter() - start))
        ours_rate.append(args.names / ours_s[-1])
        ratios.append(ours_rate[-1] / loop_rate[-1])

    masks = f", the mean of {args.dropout_samples} dropout masks" if args.dropout_samples else ""
    print(f"sampling, model from {path} (temperature {args.temperature}{masks})")
    print(f"{machine(args.threads)}; {args.repeats} repeats, interleaved; medians\n")
    print(f"| {'sampler':<24} | {'names':>6} | {'seconds':>8} | {'names/s':>8} | {'x loop':>6} |")
    print(f"|{'-' * 26}|{'-' * 8}|{'-' * 10}|{'-' * 10}|{'-' * 8}|")
    loop_s = args.loop_names / statistics.median(loop_rate)
    print(
        f"| {'one at a time (lecture)':<24} | {args.loop_names:>6} | {loop_s:>8.3f} | "
        f"{statistics.median(loop_rate):>8.0f} | {1:>6.2f} |"
    )
    print(
        f"| {'batched (ours)':<24} | {args.names:>6} | {statistics.median(ours_s):>8.3f} | "
        f"{statistics.median(ours_rate):>8.0f} | {statistics.median(ratios):>6.1f} |"
    )


if __name__ == "__main__":
    main()
