"""The makemore lectures' pictures, drawn with matplotlib in a notebook. Each returns the Axes it drew on (a new
figure's unless ax= is given).

    plot_bigram_counts(words)                    # part 1: the count of every character pair, with its numbers
    plot_loss(rows)                              # loss/train and loss/val against the step
    plot_embedding(model, vocab)                 # part 2: the characters in embedding space (PCA past 2 dims)
    plot_activations(model, vocab, words)        # part 3: each nonlinearity's outputs, and how saturated they are
    plot_next(model, vocab, "em")                # the model's next-character distribution after a prefix
"""

import random
from pathlib import Path

import torch

from makemore.board.diagnostics import ACTIVATIONS, SATURATED, draw_embedding
from makemore.cli.configs import resolve_data_path
from makemore.data.examples import build_examples
from makemore.data.vocab import Vocab
from makemore.data.words import load_words
from makemore.inference.sampling import encode_prefix

ACTIVATION_WORDS = 500  # training words whose contexts make the batch plot_activations runs (a few thousand rows)


def new_axes(ax, size: tuple[float, float]):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # pyplot: the notebook's inline backend shows the figure

    return plt.subplots(figsize=size)[1]


def bigram_counts(words: str | Path | list[str]) -> tuple[torch.Tensor, Vocab]:
    """(N, the words' vocabulary): N[a, b] counts the times token b follows token a, id 0 the boundary (a word's
    start as a row, its end as a column). words: a list of words or a word file."""
    if isinstance(words, (str, Path)):
        words = load_words(resolve_data_path(str(words)), key="words")
    vocab = Vocab.from_words(words)
    n, stoi = len(vocab), vocab.stoi
    pairs = []  # a * n + b for each pair (a, b)
    for word in words:
        ids = [0, *(stoi[c] for c in word), 0]
        pairs += [a * n + b for a, b in zip(ids, ids[1:])]
    return torch.bincount(torch.tensor(pairs, dtype=torch.int64), minlength=n * n).view(n, n), vocab


def plot_bigram_counts(words: str | Path | list[str], ax=None):
    """Lecture part 1's N: how often each character follows each other ("." the start and end of a word), every
    cell labelled with its pair and its count. words: a list of words or a word file (data/names.txt: 27 x 27)."""
    counts, vocab = bigram_counts(words)
    n = len(vocab)
    ax = new_axes(ax, (n * 0.6, n * 0.6))
    ax.imshow(counts.numpy(), cmap="Blues")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, vocab.itos[i] + vocab.itos[j], ha="center", va="bottom", color="gray", fontsize=7)
            ax.text(j, i, str(counts[i, j].item()), ha="center", va="top", color="gray", fontsize=7)
    ax.set_title(f"bigram counts of {int(counts[0].sum()):,} words (row: a character, column: the next)")
    ax.axis("off")
    return ax


def plot_loss(rows: list[dict], ax=None):
    """The loss curves: loss/train (the mean over each train.log_interval) and loss/val at every evaluation."""
    ax = new_axes(ax, (8, 4.5))
    for tag in ("loss/train", "loss/val"):
        points = [(r["step"], r[tag]) for r in rows if tag in r]
        if points:
            steps, values = zip(*points)
            ax.plot(steps, values, label=tag, marker="o" if tag == "loss/val" else None)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per character)")
    ax.set_title("loss")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def plot_embedding(model: torch.nn.Module, vocab: Vocab, ax=None):
    """Lecture part 2's scatter of the character embeddings: the table TensorBoard's embedding/scatter shows."""
    ax = new_axes(ax, (6, 6))
    draw_embedding(ax, model.embedding.table.detach().cpu(), vocab, "character embeddings")
    return ax


@torch.no_grad()
def activations(model: torch.nn.Module, vocab: Vocab, words: list[str], seed: int = 0) -> dict[str, torch.Tensor]:
    """Every nonlinearity's outputs (flat) on one batch: the contexts of ACTIVATION_WORDS training words, with the
    model in eval mode (dropout off, BatchNorm's running statistics: the model as it samples)."""
    chosen = random.Random(seed).sample(list(words), min(ACTIVATION_WORDS, len(words)))
    X, _ = build_examples(chosen, vocab, model.block_size, model.sequence)
    layers = [(name, m) for name, m in model.named_modules() if isinstance(m, ACTIVATIONS)]
    captured = {name: [] for name, _ in layers}  # a recurrent cell's nonlinearity runs once per position
    hooks = [m.register_forward_hook(lambda m, args, out, name=name: captured[name].append(out)) for name, m in layers]
    was_training = model.training
    model.eval()
    try:
        model(X.to(next(model.parameters()).device))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return {f"{name} ({type(m).__name__})": torch.cat([o.flatten() for o in captured[name]]).cpu()
            for name, m in layers}  # fmt: skip


def plot_activations(model: torch.nn.Module, vocab: Vocab, words: list[str], ax=None):
    """Lecture part 3's histograms: one curve per nonlinearity, its mean, spread and (tanh) the share of outputs
    past |t| > 0.97, where almost no gradient flows back."""
    ax = new_axes(ax, (10, 4.5))
    found = activations(model, vocab, words)
    if not found:
        ax.set_title("this model has no nonlinearity modules to show")
        return ax
    for label, t in found.items():
        density, edges = torch.histogram(t.float(), bins=50, density=True)
        saturated = f", saturated {(t.abs() > SATURATED).float().mean():.1%}" if "Tanh" in label else ""
        ax.plot(((edges[:-1] + edges[1:]) / 2).numpy(), density.numpy(),
                label=f"{label}: mean {t.mean():+.2f}, std {t.std():.2f}{saturated}")  # fmt: skip
    ax.set_title("activation distribution")
    ax.set_xlabel("output")
    ax.legend(fontsize=8)
    return ax


@torch.no_grad()
def plot_next(model: torch.nn.Module, vocab: Vocab, prefix: str = "", ax=None):
    """The model's distribution over the character after `prefix` ("" : a word's first letter), "." the end."""
    ids = encode_prefix(prefix, vocab)  # a SamplingError names a character the model never saw
    device = next(model.parameters()).device
    logits = model.next_logits(torch.tensor([[0, *ids]], device=device))  # (1, vocab_size)
    probs = torch.softmax(logits.float(), dim=-1)[0].cpu()
    ax = new_axes(ax, (10, 3.5))
    ax.bar(range(len(vocab)), probs.numpy())
    ax.set_xticks(range(len(vocab)), list(vocab.itos))
    ax.set_ylabel("probability")
    ax.set_title(f"next character after {prefix!r}" if prefix else "the first character")
    return ax
