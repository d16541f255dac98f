"""makemore/data/examples.py: a split stored once as a token stream, rows gathered from it; and evaluation over it."""

from pathlib import Path

import pytest
import torch

import makemore.data.examples
import makemore.inference.evaluation
from makemore.compute.device import torch_threads
from makemore.config import ModelConfig
from makemore.data.examples import Examples, RandomBatches, build_contexts, build_sequences
from makemore.data.vocab import Vocab
from makemore.inference.evaluation import evaluate
from makemore.models import build_model

WORDS = (Path(__file__).resolve().parents[1] / "data" / "names.txt").read_text().split()[:300] + ["a", "ñandú"]
VOCAB = Vocab.from_words(WORDS)


def reference_sequences(words, vocab, T):
    """build_sequences' rows written out with Python lists, one word at a time."""
    X, Y = [], []
    for w in words:
        s = [0, *vocab.encode(w), 0]  # the inputs are s[:-1], the targets s[1:]
        n = len(s) - 1  # targets
        X.append((s[:n] + [0] * T)[:T])  # the first row: the word's start, padded with 0 (inputs), -1 (targets)
        Y.append((s[1:] + [-1] * T)[:T])
        for last in range(T, n):  # one more row per target beyond the first row's
            X.append(s[last - T + 1 : last + 1])
            Y.append([-1] * (T - 1) + [s[last + 1]])
    return torch.tensor(X).view(-1, T), torch.tensor(Y).view(-1, T)


@pytest.mark.parametrize("T", [1, 3, 8, 20])
def test_sequence_rows_match_a_python_loop(T):
    X, Y = build_sequences(WORDS, VOCAB, T)
    Xr, Yr = reference_sequences(WORDS, VOCAB, T)
    assert torch.equal(X, Xr) and torch.equal(Y, Yr)


@pytest.mark.parametrize("sequence", [False, True])
def test_minibatch_rows_are_the_materialised_rows_at_ix(sequence):
    examples = Examples.build(WORDS, VOCAB, 5, sequence)
    X, Y = examples.chunk(0, len(examples))
    ix = torch.randint(0, len(examples), (64,), generator=torch.Generator().manual_seed(0))
    xb, yb = examples.rows(ix)
    assert xb.dtype == yb.dtype == torch.int64
    assert torch.equal(xb, X[ix]) and torch.equal(yb, Y[ix])
    # RandomBatches draws the indices the old (X, Y) sampler drew: the same generator, the same calls
    batches = RandomBatches(examples, 64, seed=1337)
    expected = torch.randint(0, len(X), (64,), generator=torch.Generator().manual_seed(1337))
    xb, yb = batches.next()
    assert torch.equal(xb, X[expected]) and torch.equal(yb, Y[expected])


@pytest.mark.parametrize("T", [1, 3, 8])
def test_a_small_window_split_gathers_from_its_table_the_rows_the_stream_gives(T, monkeypatch):
    """Under TABLE_BYTES a window split keeps its rows as int64 X and Y tables from the first minibatch on: the same
    rows as the compact path's gather; over it no table is made, whatever the block size."""
    ix = torch.randint(0, 1000, (64,), generator=torch.Generator().manual_seed(2))
    small = Examples.build(WORDS, VOCAB, T, sequence=False)
    compact_bytes = small.nbytes
    monkeypatch.setattr(makemore.data.examples, "TABLE_BYTES", 0)
    large = Examples.build(WORDS, VOCAB, T, sequence=False)
    (xs, ys), (xl, yl) = small.rows(ix), large.rows(ix)
    assert small.table is not None and small.table[0].dtype == torch.int64 and large.table is None
    assert torch.equal(xs, xl) and torch.equal(ys, yl) and xs.dtype == ys.dtype == torch.int64
    X, Y = build_contexts(WORDS, VOCAB, T)
    assert torch.equal(xs, X[ix]) and torch.equal(ys, Y[ix])
    assert small.nbytes == compact_bytes + 8 * len(small) * (T + 1) and large.nbytes == compact_bytes


@pytest.mark.parametrize("T", [5, 20])
def test_a_sequence_minibatch_stops_at_its_longest_row(T):
    """RandomBatches' rows are the materialised rows cut after the last column any of them has a target in: with
    T=20 every word fits one row, so a batch is as wide as its longest word + 1; with T=5 later rows keep all 5."""
    examples = Examples.build(WORDS, VOCAB, T, sequence=True)
    X, Y = examples.chunk(0, len(examples))
    expected = torch.randint(0, len(X), (8,), generator=torch.Generator().manual_seed(1337))
    xb, yb = RandomBatches(examples, 8, seed=1337).next()
    width = int((Y[expected] != -1).sum(1).max()) if T == 20 else T
    assert xb.shape == yb.shape == (8, width)
    assert width < T or T == 5
    assert torch.equal(xb, X[expected, :width]) and torch.equal(yb, Y[expected, :width])
    assert (Y[expected, width:] == -1).all()  # no target is dropped


@pytest.mark.parametrize("name", ["transformer", "gru", "bow"])
def test_a_trimmed_minibatch_gives_the_same_loss_and_gradients(name):
    """Causal models: the columns cut off change nothing before them (to float32 rounding of the attention's sums)."""
    torch.manual_seed(0)
    model = build_model_for(name, sequence=True)
    examples = Examples.build(WORDS, VOCAB, model.block_size, sequence=True)
    ix = torch.arange(40, 56)
    losses, grads = [], []
    for trim in (False, True):
        model.zero_grad()
        X, Y = examples.rows(ix, trim=trim)
        _, loss = model(X, Y)
        loss.backward()
        losses.append(loss.item())
        grads.append([p.grad.clone() for p in model.parameters()])
        assert X.shape[1] == (model.block_size if not trim else int((Y != -1).sum(1).max()))
    assert X.shape[1] < model.block_size
    assert losses[0] == pytest.approx(losses[1], rel=1e-6)
    for full, cut in zip(*grads, strict=True):
        assert torch.allclose(full, cut, atol=1e-7)


def test_memory_per_word_does_not_grow_with_the_block_size():
    sizes = {T: Examples.build(WORDS, VOCAB, T, sequence=False).nbytes for T in (1, 3, 8, 32)}
    targets = sum(len(w) + 1 for w in WORDS)
    for T, size in sizes.items():  # a byte per id of the stream, 2T zeros around it, a byte of code per row
        assert size == (targets + 1) + 2 * T + targets
    assert Examples.build(WORDS, VOCAB, 3, sequence=False).stream.dtype == torch.uint8
    wide = Examples.build(WORDS, VOCAB, 300, sequence=False)  # codes up to 300: two bytes, the rows the same
    assert wide.codes.dtype == torch.int16 and wide.nbytes == (targets + 1) + 600 + 2 * targets
    X, Y = wide.chunk(0, len(wide))
    assert torch.equal(X, build_contexts(WORDS, VOCAB, 300)[0]) and torch.equal(Y, build_contexts(WORDS, VOCAB, 300)[1])


def test_a_vocabulary_beyond_a_byte_keeps_its_ids():
    words = ["".join(chr(0x4E00 + 7 * i + j) for j in range(1 + i % 5)) for i in range(100)]  # 300 distinct chars
    vocab = Vocab.from_words(words)
    assert len(vocab) > 256
    examples = Examples.build(words, vocab, 3, sequence=False)
    X, Y = examples.chunk(0, len(examples))
    assert int(Y.max()) == len(vocab) - 1 or int(X.max()) == len(vocab) - 1
    assert Y.tolist() == [i for w in words for i in [*vocab.encode(w), 0]]


@pytest.mark.parametrize("name, sequence", [("mlp", False), ("gru", True)])
def test_evaluation_does_not_depend_on_the_chunk_size(name, sequence, monkeypatch):
    """Every target's loss is summed in float64: 7-row and 2048-position chunks give the same mean, which is the
    model's own mean loss over all rows in one forward pass."""
    torch.manual_seed(0)
    model = build_model_for(name, sequence)
    examples = Examples.build(WORDS, VOCAB, model.block_size, sequence)
    with torch_threads(1):  # at 2 threads a matmul splits its rows by the batch's size: another rounding per batch
        whole = evaluate(model, examples)
        monkeypatch.setattr(
            makemore.inference.evaluation, "CPU_EVAL_POSITIONS", 7 * (model.block_size if sequence else 1)
        )
        monkeypatch.setattr(makemore.inference.evaluation, "chunk_rows", lambda ex: 7)
        # equal to float32 rounding of single rows: a GRU's matmuls round a row's logits differently in a batch of 7
        # than in one of 170 (1e-10 apart here); the MLP's agree to 1e-12
        chunked = evaluate(model, examples)
    assert chunked == pytest.approx(whole, rel=1e-12 if name == "mlp" else 1e-8)
    X, Y = examples.chunk(0, len(examples))
    with torch.no_grad():
        _, loss = model.eval()(X, Y)
    assert whole == pytest.approx(loss.item(), rel=1e-5)


def build_model_for(name, sequence):
    from makemore.config import Config, DataConfig

    cfg = Config(model=ModelConfig(name=name, n_embd=8, n_hidden=16, n_layers=1, dropout=0.0),
                 data=DataConfig(block_size=12 if sequence else 4))  # fmt: skip
    return build_model(cfg, len(VOCAB))


def test_lecture_counts_from_the_stream():
    counts = [len(Examples.build(part, VOCAB, 3, False)) for part in (WORDS[:200], WORDS[200:])]
    assert counts == [sum(len(w) + 1 for w in WORDS[:200]), sum(len(w) + 1 for w in WORDS[200:])]
    assert build_contexts([], VOCAB, 3)[0].shape == (0, 3)


@pytest.mark.parametrize("T", [1, 3, 8])
def test_the_stream_and_codes_built_a_few_characters_and_words_at_a_time_are_the_same(T, monkeypatch):
    """token_stream translates CHUNK characters at a time and window_codes works out CODE_WORDS words at a time:
    with tiny chunks (edges inside words, a word split between two) the rows are the lecture's, and so is a
    vocabulary beyond a byte's."""
    whole = Examples.build(WORDS, VOCAB, T, sequence=False)
    monkeypatch.setattr(makemore.data.examples, "CHUNK", 3)
    monkeypatch.setattr(makemore.data.examples, "CODE_WORDS", 2)
    chunked = Examples.build(WORDS, VOCAB, T, sequence=False)
    assert torch.equal(chunked.stream, whole.stream) and torch.equal(chunked.codes, whole.codes)
    X, Y = chunked.chunk(0, len(chunked))
    assert torch.equal(X, build_contexts(WORDS, VOCAB, T)[0]) and torch.equal(Y, build_contexts(WORDS, VOCAB, T)[1])
    wide = ["".join(chr(0x4E00 + 7 * i + j) for j in range(1 + i % 5)) for i in range(100)]
    vocab = Vocab.from_words(wide)
    X, Y = Examples.build(wide, vocab, T, sequence=False).chunk(0, sum(len(w) + 1 for w in wide))
    assert torch.equal(X, build_contexts(wide, vocab, T)[0]) and torch.equal(Y, build_contexts(wide, vocab, T)[1])
