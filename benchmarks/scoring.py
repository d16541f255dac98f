"""Words scored per second: score.py's batched scoring against a one-word-at-a-time loop; and mode=likeliest's time.

    python benchmarks/scoring.py --run outputs/DATE/TIME --threads 2   # a trained run (the default recipe's)
    python benchmarks/scoring.py                                       # trains a default-recipe model first
    python benchmarks/scoring.py --words 2000 --loop-words 100 --repeats 1 --train-steps 50   # a quick look

The words: the bundled names, then copies of them with one letter changed at random (seeded), until there are
--words distinct words, so that no word is scored twice and most look like names. "batched" is
makemore.inference.scoring.score_words, what score.py runs; "one at a time" scores each word by itself through the same
function (one forward pass over its own examples), the way a loop over a word list would. Each repeat times both,
interleaved; the table shows medians. Then `sample.py mode=likeliest num_samples=20`'s search, timed the same way.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine, require_file  # noqa: E402
from benchmarks.sampling import trained_model  # noqa: E402
from makemore.data.words import load_words  # noqa: E402
from makemore.inference.decoding import likeliest  # noqa: E402
from makemore.inference.scoring import score_words  # noqa: E402


def distinct_words(names: list[str], n: int, alphabet: str, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    words = list(dict.fromkeys(names))[:n]
    seen = set(words)
    while len(words) < n:
        w = list(rng.choice(names))
        w[rng.randrange(len(w))] = rng.choice(alphabet)
        w = "".join(w)
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default=None, help="a run directory or checkpoint; default: train one first")
    parser.add_argument("--data", default=str(ROOT / "data" / "names.txt"), help="the names the words come from")
    parser.add_argument("--train-steps", type=int, default=2000, help="steps of the default recipe, without --run")
    parser.add_argument("--words", type=int, default=100_000, help="words per timed batched run")
    parser.add_argument("--loop-words", type=int, default=2_000, help="words per timed one-at-a-time run")
    parser.add_argument("--likeliest", type=int, default=20, help="num_samples of the timed mode=likeliest")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    require_file(args.data)
    torch.set_num_threads(args.threads)

    model, vocab, path = trained_model(args.run, args.data, args.train_steps)
    names = [w for w in load_words(args.data) if set(w) <= set(vocab.itos[1:])]
    words = distinct_words(names, args.words, "".join(vocab.itos[1:]))
    loop = words[: args.loop_words]
    score_words(model, vocab, words[:1000])  # warm-up
    batched_s, loop_rate, ratios, beam_s = [], [], [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        scores = score_words(model, vocab, words)
        batched_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        one = [score_words(model, vocab, [w]).log_likelihood[0].item() for w in loop]
        loop_rate.append(len(loop) / (time.perf_counter() - start))
        ratios.append(len(words) / batched_s[-1] / loop_rate[-1])
        assert torch.allclose(scores.log_likelihood[: len(loop)], torch.tensor(one, dtype=torch.float64), atol=1e-4)
        start = time.perf_counter()
        found = likeliest(model, vocab, args.likeliest)
        beam_s.append(time.perf_counter() - start)
        assert len({n for n, _ in found}) == args.likeliest

    print(f"scoring, model from {path}")
    print(f"{machine(args.threads)}; {args.repeats} repeats, interleaved; medians\n")
    print(f"| {'scorer':<24} | {'words':>7} | {'seconds':>8} | {'words/s':>9} | {'x loop':>6} |")
    print(f"|{'-' * 26}|{'-' * 9}|{'-' * 10}|{'-' * 11}|{'-' * 8}|")
    loop_s = len(loop) / statistics.median(loop_rate)
    print(f"| {'one word at a time':<24} | {len(loop):>7} | {loop_s:>8.3f} | {statistics.median(loop_rate):>9.0f} | "
          f"{1:>6.2f} |")  # fmt: skip
    print(f"| {'batched (score.py)':<24} | {len(words):>7} | {statistics.median(batched_s):>8.3f} | "
          f"{len(words) / statistics.median(batched_s):>9.0f} | {statistics.median(ratios):>6.1f} |")  # fmt: skip
    print(
        f"\nmode=likeliest num_samples={args.likeliest} (beam_width 100): {statistics.median(beam_s):.3f} s "
        f"(median), {args.likeliest} distinct names, likeliest {found[0][0]!r} ({found[0][1]:.3f})"
    )


if __name__ == "__main__":
    main()
