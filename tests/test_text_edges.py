"""Text at the edges (issue 27, class 3): letters typed on the command line read as a file's are, byte-order marks
inside a list, and alphabets of tens of thousands of characters (CJK, emoji) that train with bounded diagnostics."""

import random
import resource
import time
import warnings
from collections import Counter

import pytest
import torch

from helpers import TINY, compose_config, run_script
from makemore.board.diagnostics import MAX_LABELS, labelled, scatter_image
from makemore.data.vocab import Vocab
from makemore.data.words import DataError, read_words
from makemore.inference import quality
from makemore.inference.quality import bigrams
from makemore.training.trainer import train

DECOMPOSED = "cafe\u0301"  # e + COMBINING ACUTE ACCENT, as some keyboards and macOS file names give it
BOM = "\ufeff"


def test_inline_words_and_prefixes_are_normalised_as_a_files_words_are(tmp_path):
    (tmp_path / "words.txt").write_text(DECOMPOSED + "\n")
    assert read_words(tmp_path / "words.txt") == ["café"]  # a file's words: NFC
    score = compose_config([f'word="{DECOMPOSED}"'], config_name="score")  # quoted: Hydra reads é only so
    assert score.word == ["café"] and len(score.word[0]) == 4
    sample = compose_config([f'prefix="{BOM}{DECOMPOSED}"'], config_name="sample")
    assert sample.prefix == "café"


def test_byte_order_marks_of_concatenated_files_are_dropped_and_one_inside_a_word_is_named(tmp_path):
    windows = lambda *words: (BOM + "\r\n".join(words) + "\r\n").encode()  # noqa: E731  a Windows editor's file
    path = tmp_path / "words.txt"
    path.write_bytes(windows("emma", "ava") + windows("olivia") + windows(" mia"))  # cat a.txt b.txt c.txt
    words = read_words(path)
    assert words == ["emma", "ava", "olivia", "mia"]
    assert BOM not in Vocab.from_words(words).itos
    path.write_bytes(windows("emma", "av" + BOM + "a"))
    with pytest.raises(DataError, match=r"line 2 holds U\+FEFF \(ZERO WIDTH NO-BREAK SPACE, a byte-order mark\)"):
        read_words(path)


def alphabet(n: int, seed: int = 0) -> list[str]:
    """n distinct characters: CJK ideographs, then emoji (outside the BMP) and CJK extension B."""
    points = [*range(0x4E00, 0x9FFF), *range(0x1F300, 0x1FAFF), *range(0x20000, 0x2A6DF)]
    return [chr(c) for c in random.Random(seed).sample(points, n)]


def word_list(chars: list[str], n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    words = ["".join(rng.choice(chars) for _ in range(rng.randint(2, 6))) for _ in range(n)]
    return [*words, *chars]  # every character at least once


def test_bigrams_of_a_large_alphabet_count_only_the_pairs_that_occur(monkeypatch):
    words = word_list(alphabet(30_000), 5_000)  # 900 million possible pairs: a table of them all is 7 GB
    started = time.monotonic()
    counts = bigrams(words)
    assert time.monotonic() - started < 10
    assert sum(counts.values()) == sum(len(w) + 1 for w in words)
    small = ["emma", "olivia", "ava", "zoë"]
    monkeypatch.setattr(quality, "DENSE_PAIRS", 0)  # the sparse count, on words the dense one counts too
    assert bigrams(small) == Counter(pair for w in small for pair in zip(["", *w], [*w, ""]))  # "": the boundary


def test_the_embedding_scatter_labels_the_most_frequent_drawable_characters_only():
    chars = alphabet(20_000)
    vocab = Vocab.from_words(chars + ["ab"])
    counts = torch.arange(len(vocab))  # the later ids the more frequent
    ids = labelled(vocab, counts)
    assert len(ids) <= MAX_LABELS and ids[0] == 0
    chosen = [vocab.itos[i] for i in ids[1:]]
    assert "b" in chosen  # drawable and among the most frequent
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a "Glyph ... missing from font(s)" warning fails the test
        started = time.monotonic()
        image = scatter_image(torch.randn(len(vocab), 4), vocab, step=0, counts=counts)
    assert image.shape[2] == 3 and time.monotonic() - started < 15


def test_a_large_alphabet_trains_with_diagnostics_on(tmp_path):
    path = tmp_path / "cjk.txt"
    path.write_text("\n".join(word_list(alphabet(3_000), 600)) + "\n")
    cfg = compose_config([f"data.path={path}", *TINY, "train.max_steps=1", "train.quality_samples=50"])
    assert cfg.train.diagnostics
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no "Glyph missing" warnings
        metrics = train(cfg, tmp_path / "run", progress=False)
    assert metrics["steps"] == 1


@pytest.mark.slow
def test_an_alphabet_too_large_for_the_model_is_refused_up_front_naming_it(tmp_path):
    path = tmp_path / "cjk.txt"
    path.write_text("\n".join(word_list(alphabet(20_000), 200)) + "\n")  # a bigram table of 400M weights: 6.4 GB

    def limit():  # 3 GB of address space: an allocation of the table would fail, not swap the machine
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    proc = run_script("train.py", f"data.path={path}", "model=bigram", cwd=tmp_path, check=False, preexec_fn=limit)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert f"{path}: its vocabulary of 20,001 characters is too big for model=bigram" in proc.stderr
