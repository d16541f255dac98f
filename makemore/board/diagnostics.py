"""What the network looks like inside, written to TensorBoard at evaluation steps only.

    diagnostics = Diagnostics(writer, model, vocab, Xtr, Ytr, batch_size=128, seed=1337, projector=Projector(...))
    diagnostics.record(step, lr)                   # at each evaluation
    write_hparams(writer, config_dict, metrics)    # once, at the end of the run

(makemore/board/writer.py wires them into a run.)
Per evaluation (the lecture part 3 toolkit, and the part 2 embedding plot):
    preact/<layer>, act/<layer>      histograms of each nonlinearity's input and output (tanh, GELU, ...)
    saturation/<layer>               fraction of tanh outputs with |t| > 0.97
    grad/<param>                     histograms of each parameter's gradient
    update_ratio/<param>             log10(std(lr * grad) / std(param))
    grad_norm                        L2 norm of all gradients together
    embedding/table                  histogram of the character table, the same tag whichever embedding module holds it
    grad/embedding/table             histogram of the table's gradient (also grad/<param> under the module's own name)
    embedding (projector)            the character table, one labelled row per token (makemore/board/projector.py)
    embedding/scatter                the table in 2-D (PCA when n_embd > 2), as an image
    samples                          a few names, as text

<layer> is the nonlinearity module's name and <param> the parameter's name in the model's state dict
(`hidden.2`, `hidden.0.weight`), so a tag points at the weights it describes.

None of this may change the run: the activations and gradients come from one fixed diagnostic
batch (drawn once, from its own generator), through torch.autograd.grad (the optimizer's .grad
is untouched), under a forked global RNG (dropout's draws) and with the model's buffers
(BatchNorm's running statistics) put back afterwards. Training with diagnostics on or off gives
the same weights, bit for bit.
"""

import unicodedata

import numpy as np
import torch
from torch import nn
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams, text

from makemore.board.projector import Projector
from makemore.config import flat_keys
from makemore.data.examples import Examples
from makemore.data.vocab import Vocab
from makemore.inference.sampling import sample_batch

ACTIVATIONS = (nn.Tanh, nn.GELU, nn.ReLU, nn.Sigmoid)  # the nonlinearities whose inputs and outputs are histogrammed
SATURATED = 0.97  # |tanh| above this passes almost no gradient (1 - t^2 < 0.06): lecture part 3's threshold
NUM_SAMPLES = 8  # names written as text at each evaluation
MAX_LABELS = 128  # characters labelled in the embedding scatter: a picture 600 px wide holds no more
VOWELS = set("aeiou")


def token_labels(vocab: Vocab) -> list[list[str]]:
    """[label, kind] per token for the projector: whitespace shown escaped, the boundary named as such."""
    rows = []
    for i, tok in enumerate(vocab.itos):
        label = tok if tok.isprintable() and not tok.isspace() else repr(tok)
        if i == 0:
            rows.append([f"{label} (boundary)", "boundary"])
            continue
        base = unicodedata.normalize("NFD", tok)[:1].lower()
        kind = "vowel" if base in VOWELS else "letter" if base.isalpha() else "other"
        rows.append([label, kind])
    return rows


def project_2d(table: torch.Tensor) -> tuple[np.ndarray, str, str]:
    """(vocab_size, n_embd) -> (vocab_size, 2) points and axis labels: the raw dims up to 2, else PCA."""
    table = table.detach().double().cpu()
    n_embd = table.shape[1]
    if n_embd == 1:
        return torch.cat([table, torch.zeros_like(table)], 1).numpy(), "dim 0", ""
    if n_embd == 2:
        return table.numpy(), "dim 0", "dim 1"
    centred = table - table.mean(0)
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)  # vh: (k, n_embd), principal directions
    axes = vh[:2]  # (2, n_embd)
    # an SVD's signs are arbitrary; fix them so the picture doesn't flip between evaluations
    signs = torch.sign(axes.gather(1, axes.abs().argmax(1, keepdim=True)))  # (2, 1)
    points = centred @ (axes * signs).T  # (vocab_size, 2)
    share = (s**2 / (s**2).sum()).tolist()
    return points.numpy(), f"PC1 ({share[0]:.0%} of variance)", f"PC2 ({share[1]:.0%})"


def draw_embedding(ax, table: torch.Tensor, vocab: Vocab, title: str, counts: torch.Tensor | None = None) -> None:
    """The lecture's plot of the characters in embedding space (part 2), drawn on a matplotlib Axes: TensorBoard's
    image (scatter_image) and the notebook's run.plot_embedding() are this one picture.

    Every token is a point; at most MAX_LABELS carry their character: the most frequent ones (counts: (vocab_size,)
    occurrences in the training words; None: the first ids), and only those the font can draw, so that a
    30,000-character alphabet costs a picture, not 30,000 labels and as many "Glyph missing" warnings."""
    points, xlabel, ylabel = project_2d(table)
    kinds = [kind for _, kind in token_labels(vocab)]
    colours = {"boundary": "tab:red", "vowel": "tab:orange", "letter": "tab:blue", "other": "tab:gray"}
    size = 260 if len(vocab) <= MAX_LABELS else 20
    ax.scatter(points[:, 0], points[:, 1], s=size, c=[colours[k] for k in kinds])
    for i in labelled(vocab, counts):
        x, y = points[i]
        ax.text(x, y, vocab.itos[i], ha="center", va="center", color="white" if size > 20 else "black", fontsize=9,
                fontweight="bold")  # fmt: skip
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title} (red: boundary, orange: vowels)")
    ax.grid(alpha=0.3)


def labelled(vocab: Vocab, counts: torch.Tensor | None) -> list[int]:
    """The ids draw_embedding labels: all of a small vocabulary; else the MAX_LABELS most frequent that the font
    has glyphs for (the boundary always)."""
    if len(vocab) <= MAX_LABELS and all(map(drawable, vocab.itos)):
        return list(range(len(vocab)))
    order = range(len(vocab)) if counts is None else torch.argsort(counts, descending=True, stable=True).tolist()
    chosen = [0]
    for i in order:
        if len(chosen) == MAX_LABELS:
            break
        if i != 0 and drawable(vocab.itos[i]):
            chosen.append(i)
    return chosen


def drawable(token: str) -> bool:
    """Whether matplotlib's default font has a glyph for every character of token."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    global _font
    if _font is None:
        _font = FT2Font(font_manager.findfont(font_manager.FontProperties(weight="bold")))
    return all(_font.get_char_index(ord(c)) for c in token)


_font = None  # matplotlib's default font, loaded at the first drawable()


def scatter_image(table: torch.Tensor, vocab: Vocab, step: int, counts: torch.Tensor | None = None) -> np.ndarray:
    """draw_embedding as an (H, W, 3) uint8 image, for TensorBoard."""
    # imported here, at the first evaluation: matplotlib is 0.3 s of a run's start, before its first step
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 6), dpi=100)
    FigureCanvasAgg(fig)
    draw_embedding(fig.add_subplot(), table, vocab, f"embeddings at step {step}", counts)
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()  # (H, W, 3)


class Diagnostics:
    """Records the per-evaluation diagnostics of one run; see the module docstring for the tags."""

    def __init__(
        self, writer: SummaryWriter, model: nn.Module, vocab: Vocab, examples: Examples, batch_size: int,
        seed: int, projector: Projector,
    ):  # fmt: skip
        self.writer, self.model, self.vocab, self.seed, self.projector = writer, model, vocab, seed, projector
        self.device = examples.device
        own = torch.Generator(device=self.device).manual_seed(seed)  # not the training batches' generator
        ix = torch.randint(0, len(examples), (batch_size,), device=self.device, generator=own)
        self.X, self.Y = examples.rows(ix)  # (batch_size, ...): the same batch every time
        self.labels = token_labels(vocab)
        self.counts = torch.bincount(examples.stream.long().cpu(), minlength=len(vocab))  # (vocab_size,) for labels
        self.layers = [(name, m) for name, m in model.named_modules() if isinstance(m, ACTIVATIONS)]

    def record(self, step: int, lr: float) -> None:
        cuda = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=cuda):
            self._health(step, lr)
            self._embedding(step)
            self._samples(step)

    def _health(self, step: int, lr: float) -> None:
        model, w = self.model, self.writer
        captured = {name: [] for name, _ in self.layers}  # a recurrent cell's nonlinearity runs once per position
        hooks = [
            module.register_forward_hook(lambda m, args, out, name=name: captured[name].append((args[0], out)))
            for name, module in self.layers
        ]
        buffers = {name: b.clone() for name, b in model.named_buffers()}
        named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
        try:
            _, loss = model(self.X, self.Y)  # in the mode training runs in: dropout and batch statistics on
            grads = torch.autograd.grad(loss, [p for _, p in named])
        finally:
            for hook in hooks:
                hook.remove()
            with torch.no_grad():
                for name, b in model.named_buffers():
                    b.copy_(buffers[name])
        for name, calls in captured.items():
            if not calls:
                continue
            pre, act = (torch.cat([c[i].detach().flatten() for c in calls]) for i in (0, 1))
            w.add_histogram(f"preact/{name}", pre.detach(), step)
            w.add_histogram(f"act/{name}", act.detach(), step)
            if isinstance(dict(self.layers)[name], nn.Tanh):  # saturation is a tanh's trouble
                w.add_scalar(f"saturation/{name}", (act.detach().abs() > SATURATED).float().mean().item(), step)
        norms = []
        for (name, p), g in zip(named, grads, strict=True):
            w.add_histogram(f"grad/{name}", g, step)
            norms.append(g.norm())
            if p.numel() > 1:
                ratio = (lr * g).std() / p.detach().std()
                if torch.isfinite(ratio) and ratio > 0:  # a parameter still all equal (a fresh norm's ones) has none
                    w.add_scalar(f"update_ratio/{name}", ratio.log10().item(), step)
        w.add_scalar("grad_norm", torch.stack(norms).norm().item(), step)
        # lookup's table is embedding.lookup.weight, one-hot's embedding.proj.weight (transposed): one tag for both,
        # so that the two runs' histograms overlay (a histogram doesn't see the transpose)
        table = next(self.model.embedding.parameters())
        w.add_histogram("embedding/table", table.detach(), step)
        w.add_histogram("grad/embedding/table", dict(zip([p for _, p in named], grads, strict=True))[table], step)

    def _embedding(self, step: int) -> None:
        table = self.model.embedding.table.detach().cpu()  # (vocab_size, n_embd)
        self.projector.add(table, self.labels, step)
        image = scatter_image(table, self.vocab, step, self.counts)  # (H, W, 3)
        self.writer.add_image("embedding/scatter", image, step, dataformats="HWC")

    def _samples(self, step: int) -> None:
        was_training = self.model.training
        self.model.eval()
        try:
            # the same random numbers at every evaluation: the names change only because the model did
            generator = torch.Generator(device=self.device).manual_seed(self.seed)
            names = sample_batch(self.model, self.vocab, NUM_SAMPLES, generator)
        finally:
            self.model.train(was_training)
        summary = text("samples", "\n".join(f"    {name}" for name in names))  # a markdown code block
        summary.value[0].tag = "samples"  # add_text would call it samples/text_summary
        self.writer.file_writer.add_summary(summary, step)


def flatten(config: dict) -> dict:
    """{"model": {"n_embd": 24}} -> {"model.n_embd": 24}, with values HPARAMS can show (lists as text)."""
    return {k: v if isinstance(v, (bool, int, float, str)) else str(v) for k, v in flat_keys(config).items()}


def write_hparams(writer: SummaryWriter, config: dict, metrics: dict) -> None:
    """The run's hyperparameters and final losses, for the HPARAMS tab, into this run's own event file.

    SummaryWriter.add_hparams would open a new timestamped sub-run and split the run in two; this
    writes the same three summaries, plus the metric scalars they point at, through the run's writer.
    """
    values = {f"metrics/{k}": v for k, v in metrics.items() if k.endswith("_loss")}
    for summary in hparams(flatten(config), values):  # experiment, session start, session end
        writer.file_writer.add_summary(summary)
    for tag, value in values.items():
        writer.add_scalar(tag, value, metrics["steps"])
