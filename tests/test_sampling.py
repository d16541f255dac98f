import itertools
import math
import re
from pathlib import Path

import pytest
import torch

from makemore.config import Config, ModelConfig
from makemore.data.vocab import Vocab
from makemore.inference import sampling
from makemore.inference.sampling import SamplingError, generate, sample_batch
from makemore.models import build_model
from makemore.runs.layout import BEST, LAST, RunNotFound, find_checkpoint

VOCAB = Vocab.from_words(["abcdefghijklmnopqrstuvwxyz"])


def small(**model) -> Config:
    config = Config(model=ModelConfig(**model))
    config.data.block_size = 3
    return config


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model(small(n_embd=4, n_hidden=16, n_layers=1), len(VOCAB)).eval()


def names(model, n=50, seed=0, **kw):
    return sample_batch(model, VOCAB, n, torch.Generator().manual_seed(seed), **kw)


def test_seeded_sampling_is_reproducible(model):
    assert names(model, seed=1) == names(model, seed=1)
    assert names(model, seed=1) != names(model, seed=2)


def test_names_are_non_empty_and_bounded(model):
    out = names(model, n=500, max_len=6)
    assert len(out) == 500
    assert all(1 <= len(n) <= 6 for n in out)
    assert all(set(n) <= set(VOCAB.itos[1:]) for n in out)


def test_prefix_and_top_k(model):
    assert all(n.startswith("ka") for n in names(model, prefix="ka"))
    greedy = names(model, n=5, top_k=1, max_len=8)
    assert len(set(greedy)) == 1  # top_k=1 is greedy decoding: every name is the same


def test_first_character_is_never_the_boundary():
    # a model that puts almost all its mass on the boundary still yields non-empty names
    torch.manual_seed(0)
    m = build_model(small(n_embd=2, n_hidden=4, n_layers=1), len(VOCAB)).eval()
    with torch.no_grad():
        m.head.bias.zero_()
        m.head.bias[0] = 20.0
    out = names(m, n=200, max_len=5)
    assert all(len(n) >= 1 for n in out)


@pytest.mark.slow
def test_generate_yields_exactly_n_and_only_new_excludes(model):
    common = set(names(model, n=2000, seed=3))
    out = list(generate(model, VOCAB, 300, torch.Generator().manual_seed(4), exclude=common, max_len=8))
    assert len(out) == 300 and not (set(out) & common)
    assert len(list(generate(model, VOCAB, 10_000, torch.Generator().manual_seed(0), max_len=4))) == 10_000


def test_unknown_prefix_characters_are_named_with_what_is_allowed(model):
    with pytest.raises(SamplingError, match="'Q'.*it knows 'abcdefghijklmnopqrstuvwxyz'"):
        names(model, prefix="Qa")


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(n=0), "num_samples=0"),
        (dict(temperature=0.0), "temperature=0.0"),
        (dict(temperature=-1.0), "temperature=-1.0"),
        (dict(temperature=math.nan), "temperature=nan"),
        (dict(temperature=math.inf), "temperature=inf"),
        (dict(top_k=0), "top_k=0"),
        (dict(top_k=-2), "top_k=-2"),
        (dict(top_k=len(VOCAB) + 1), f"top_k={len(VOCAB) + 1}: expected null or 1..{len(VOCAB)}"),
        (dict(max_len=0), "max_len=0"),
        (dict(prefix="abc", max_len=3), "max_len=3 leaves no room"),
        (dict(prefix="a-b"), "'-'"),
    ],
)
def test_every_bad_sampling_argument_is_refused_before_any_name(model, options, message):
    n = options.pop("n", 5)
    with pytest.raises(SamplingError, match=re.escape(message)):
        generate(model, VOCAB, n, torch.Generator().manual_seed(0), **options)  # raises before the first name
    with pytest.raises(SamplingError, match=re.escape(message)):
        sample_batch(model, VOCAB, n, torch.Generator().manual_seed(0), **options)


def test_the_edges_of_the_ranges_are_allowed(model):
    assert len(names(model, n=3, top_k=len(VOCAB), max_len=1)) == 3
    assert names(model, n=2, prefix="ab", max_len=3, temperature=1e-3)[0].startswith("ab")


def test_millions_of_names_are_generated_lazily_in_bounded_chunks(model, monkeypatch):
    asked = []
    real = sampling._chunk

    def spy(model, vocab, n, *args, **kwargs):
        asked.append(n)
        return real(model, vocab, n, *args, **kwargs)

    monkeypatch.setattr(sampling, "_chunk", spy)
    monkeypatch.setattr(sampling, "CHUNK", 1000)
    stream = generate(model, VOCAB, 5_000_000, torch.Generator().manual_seed(0), max_len=4)
    assert asked == []  # nothing is made before it is asked for
    first = list(itertools.islice(stream, 2500))
    assert len(first) == 2500 and asked == [1000, 1000, 1000]  # three chunks, not five million names


def test_find_checkpoint(tmp_path, monkeypatch):
    import os

    monkeypatch.chdir(tmp_path)

    def find(run):
        return find_checkpoint(run, prefer=(BEST, LAST), key="run")

    with pytest.raises(RunNotFound, match="python train.py"):
        find(None)
    for i, run in enumerate(["outputs/a", "outputs/b", "multirun/c/0"]):
        p = tmp_path / run / "checkpoints" / "best.pt"
        p.parent.mkdir(parents=True)
        p.write_bytes(b"x")
        os.utime(p, (1000 + i, 1000 + (i if run != "outputs/b" else 10)))
    assert find(None) == Path("outputs/b/checkpoints/best.pt")  # the newest, multirun/ included
    assert find("outputs/a") == Path("outputs/a/checkpoints/best.pt")
    last = tmp_path / "outputs/a/checkpoints/last.pt"
    last.write_bytes(b"y")
    assert find("outputs/a") == Path("outputs/a/checkpoints/best.pt")  # sampling prefers the best model
    assert find_checkpoint("outputs/a", prefer=(LAST,), key="train.resume") == Path("outputs/a/checkpoints/last.pt")
    with pytest.raises(RunNotFound, match="no such run"):
        find("outputs/zzz")


def test_draw_follows_the_softmax_and_never_picks_masked_entries():
    from makemore.inference.sampling import draw

    logits = torch.tensor([[0.0, 1.0, 2.0, -torch.inf]]).repeat(100_000, 1)
    ids = draw(logits, torch.Generator().manual_seed(0))
    freq = torch.bincount(ids, minlength=4) / len(ids)
    assert freq[3] == 0
    assert torch.allclose(freq, torch.softmax(logits[0], 0), atol=0.01)
