"""The model zoo on one table: every family's val/test loss, parameters and training seconds, beside the
same model trained with makemore.py's recipe for the same number of steps, and the best any bigram can do.

    python benchmarks/zoo.py --steps 2000                              # every family, both recipes, bundled names
    python benchmarks/zoo.py --data names.txt --steps 5000 --families transformer gru --threads 1

"ours" is `python train.py experiment=<family>` (mlp: the default recipe; hierarchical: experiment=best_mlp),
capped at --steps.
"makemore.py" is the same family at makemore.py's reference shape (n_layer 4, n_head 4, n_embd 64,
n_embd2 64) trained the way makemore.py trains it: AdamW at a constant 5e-4, weight decay 0.01,
betas (0.9, 0.99), batch 32 words (window models: 32 words' worth of contexts), no dropout; for
`hierarchical`, which makemore.py lacks, lecture part 5's recipe (SGD 0.1, batch 32, batchnorm).
Both run through `makemore.training.trainer.train` on the same split and report the same number: the mean
negative log-likelihood per predicted character (every character of every word plus its end token).

"bigram counts" is lecture part 1's closed-form model, P(next | previous) from smoothed counts of
the training split, at the smoothing that is best on the validation split: no bigram of any
training can have a lower val loss than that (up to the smoothing grid), so it is the floor the
`bigram` family is measured against.
"""

import argparse
import contextlib
import io
import json
import math
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import compose, machine, require_file  # noqa: E402
from makemore.data.split import load_corpus  # noqa: E402
from makemore.data.words import DataError  # noqa: E402
from makemore.training.trainer import train  # noqa: E402

FAMILIES = ("bigram", "mlp", "hierarchical", "rnn", "gru", "lstm", "bow", "transformer")
MAKEMORE_OPTIM = [
    "optim.name=adamw", "optim.lr=5e-4", "optim.weight_decay=0.01", "optim.beta1=0.9", "optim.beta2=0.99",
    "optim.schedule=constant", "optim.warmup_steps=0",
]  # fmt: skip
# makemore.py's shapes: model=<family> already holds them, except the MLP (our default is a different recipe)
MAKEMORE_MODEL = {
    "mlp": ["model.n_embd=64", "model.n_hidden=64", "model.n_layers=1", "model.norm=none", "data.block_size=16"],
}
LECTURE5 = [  # "makemore part 5": the hierarchical net, SGD 0.1 then 0.01, batch 32, batchnorm
    "model=hierarchical", "model.n_embd=24", "model.n_hidden=128", "model.n_layers=3", "model.norm=batchnorm",
    "optim=sgd", "optim.lr=0.1", "optim.schedule=step", "optim.milestones=[150000]", "optim.warmup_steps=0",
    "optim.weight_decay=0", "train.batch_size=32",
]  # fmt: skip
SEQUENCE = {"rnn", "gru", "lstm", "bow", "transformer"}
CONTEXTS_PER_WORD = 8  # about a name's length + 1: 32 words of makemore.py's batch are ~256 window contexts


OURS = {"mlp": [], "hierarchical": ["experiment=best_mlp"]}  # the default recipe; best_mlp is hierarchical


def ours(family: str) -> list[str]:
    return OURS.get(family, [f"experiment={family}"])


def makemore_recipe(family: str) -> list[str]:
    if family == "hierarchical":
        return LECTURE5
    batch = 32 if family in SEQUENCE else 32 * CONTEXTS_PER_WORD
    return [f"model={family}", *MAKEMORE_MODEL.get(family, []), *MAKEMORE_OPTIM, "model.dropout=0.0",
            f"train.batch_size={batch}"]  # fmt: skip


def run(overrides: list[str], data: str, steps: int, threads: int, workdir: Path) -> dict:
    cfg = compose([*overrides, f"data.path={data}", f"train.threads={threads}", "train.diagnostics=false"])
    cfg.train.max_steps = min(cfg.train.max_steps, steps)
    cfg.train.eval_interval = min(cfg.train.eval_interval, cfg.train.max_steps)
    cfg.optim.warmup_steps = min(cfg.optim.warmup_steps, cfg.train.max_steps // 10)
    run_dir = Path(tempfile.mkdtemp(dir=workdir))
    with contextlib.redirect_stderr(io.StringIO()):
        metrics = train(cfg, run_dir, progress=False)
    return metrics


def bigram_floor(data: str) -> tuple[float, float]:
    """(val NLL, smoothing) of the count model at the best smoothing on a grid: lecture part 1, in closed form."""
    corpus = load_corpus(compose([f"data.path={data}"]).data)
    stoi, V = corpus.vocab.stoi, len(corpus.vocab)

    def pairs(words):
        ids = [[0, *(stoi[c] for c in w), 0] for w in words]
        return torch.tensor([(a, b) for seq in ids for a, b in zip(seq, seq[1:])])

    train_pairs, val_pairs = pairs(corpus.splits["train"]), pairs(corpus.splits["val"])
    counts = torch.zeros(V, V, dtype=torch.float64).index_put_(
        (train_pairs[:, 0], train_pairs[:, 1]), torch.ones(len(train_pairs), dtype=torch.float64), accumulate=True
    )
    best = (math.inf, None)
    for alpha in (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0):
        logp = ((counts + alpha) / (counts + alpha).sum(1, keepdim=True)).log()
        nll = -logp[val_pairs[:, 0], val_pairs[:, 1]].mean().item()
        best = min(best, (nll, alpha))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "data" / "names.txt"), help="data.path (the lectures' list: "
                        "https://github.com/karpathy/makemore/blob/master/names.txt)")  # fmt: skip
    parser.add_argument("--steps", type=int, default=2000, help="training steps per run, both recipes (a cap)")
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=FAMILIES)
    parser.add_argument("--threads", type=int, default=1, help="train.threads for every run")
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args()
    require_file(args.data)
    torch.set_num_threads(args.threads)
    before = machine(args.threads)

    rows = []
    with tempfile.TemporaryDirectory(prefix="makemore-zoo-") as tmp:
        for family in args.families:
            for recipe, overrides in (("ours", ours(family)), ("makemore.py", makemore_recipe(family))):
                try:
                    m = run(overrides, args.data, args.steps, args.threads, Path(tmp))
                except DataError as e:
                    sys.exit(f"error: {e}")
                rows.append(dict(family=family, recipe=recipe, steps=m["steps"], val=m["val_loss"],
                                 test=m["test_loss"], params=m["params"], seconds=m["train_seconds"]))  # fmt: skip
                print(f"{family:>12} {recipe:<11} val {m['val_loss']:.4f}", file=sys.stderr, flush=True)
    floor, alpha = bigram_floor(args.data)

    print(f"model zoo on {args.data}, at most {args.steps} steps per run")
    print(f"{before} (before); {machine(args.threads)} (after)\n")
    header = ("family", "recipe", "steps", "val", "test", "params", "seconds")
    print("| " + " | ".join(f"{h:<12}" if i < 2 else f"{h:>7}" for i, h in enumerate(header)) + " |")
    print("|" + "|".join("-" * (14 if i < 2 else 9) for i in range(len(header))) + "|")
    for r in rows:
        print(
            f"| {r['family']:<12} | {r['recipe']:<12} | {r['steps']:>7} | {r['val']:>7.4f} | {r['test']:>7.4f} | "
            f"{r['params']:>7} | {r['seconds']:>7.1f} |"
        )
    print(f"\nbigram counts (closed form, smoothing {alpha} best on val): val {floor:.4f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "bigram_counts_val": floor}, indent=2) + "\n")


if __name__ == "__main__":
    main()
