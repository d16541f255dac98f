"""Seconds to build the block-size contexts of a word list: ours against the lecture's per-character loop.

    python benchmarks/data.py                              # the bundled names (--data names.txt: the lectures' 32k)
    python benchmarks/data.py --words 500 --repeats 1      # a quick look

"ours" is `makemore.data.build_contexts`, what training runs; "loop" is the lecture's build_dataset
(a Python list grown one character at a time, then torch.tensor). Both build the same tensors
(checked); each repeat times both, interleaved; the table shows medians.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine, require_file  # noqa: E402
from makemore.data.examples import build_contexts  # noqa: E402
from makemore.data.vocab import Vocab  # noqa: E402
from makemore.data.words import load_words  # noqa: E402


def lecture_loop(words: list[str], vocab: Vocab, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    stoi = vocab.stoi
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + vocab.boundary:
            ix = stoi[ch] if ch != vocab.boundary else 0
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "data" / "names.txt"), help="data.path (the lectures' list: "
                        "https://github.com/karpathy/makemore/blob/master/names.txt)")  # fmt: skip
    parser.add_argument("--words", type=int, default=None, help="use only the first N words")
    parser.add_argument("--block-size", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    require_file(args.data)
    torch.set_num_threads(args.threads)

    words = load_words(args.data)[: args.words]
    vocab = Vocab.from_words(words)
    ours, loop = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        X, Y = build_contexts(words, vocab, args.block_size)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        Xl, Yl = lecture_loop(words, vocab, args.block_size)
        loop.append(time.perf_counter() - start)
        assert torch.equal(X, Xl) and torch.equal(Y, Yl), "build_contexts disagrees with the lecture's loop"

    print(f"contexts of {len(words)} words ({len(X)} examples, block size {args.block_size}) from {args.data}")
    print(f"{machine(args.threads)}; {args.repeats} repeats, interleaved; medians\n")
    print(f"| {'builder':<28} | {'seconds':>8} | {'x loop':>6} |")
    print(f"|{'-' * 30}|{'-' * 10}|{'-' * 8}|")
    print(f"| {'per-character loop (lecture)':<28} | {statistics.median(loop):>8.4f} | {1:>6.2f} |")
    ratio = statistics.median(lp / o for lp, o in zip(loop, ours, strict=True))
    print(f"| {'build_contexts (ours)':<28} | {statistics.median(ours):>8.4f} | {ratio:>6.1f} |")


if __name__ == "__main__":
    main()
