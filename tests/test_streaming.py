"""Memory that does not grow with the input (issue 27, class 4): score.py and evaluate.py take words a chunk at a
time, with the numbers of one pass over them all; benchmarks/tool_memory.py measures the processes' peak memory."""

import json
import sys

import pytest
import torch

import score
from helpers import SCORED_VOCAB, SCORED_WORDS, family
from makemore.data.words import Words
from makemore.inference import scoring
from makemore.inference.report import loss_report
from makemore.inference.scoring import score_all, score_rows

WORDS = [w for i in range(9) for w in SCORED_WORDS[i % 3 :]] + ["zoq"]  # 63 known words, and one the model can't


@pytest.fixture
def small_chunks(monkeypatch):
    """SCORE_CHUNK = 7 words, and every chunk score_words is given, recorded."""
    monkeypatch.setattr(scoring, "SCORE_CHUNK", 7)
    given, real = [], scoring.score_words

    def score_words(model, vocab, words):
        given.append(len(words))
        return real(model, vocab, words)

    monkeypatch.setattr(scoring, "score_words", score_words)
    monkeypatch.setattr("makemore.inference.report.score_words", score_words)
    return given


@pytest.mark.parametrize("name", ["mlp", "transformer"])
def test_score_all_scores_a_chunk_at_a_time_with_the_numbers_of_one_pass(small_chunks, name):
    model = family(name)
    rows, skipped = score_rows(model, SCORED_VOCAB, WORDS)  # one pass over them all
    heard = []
    scores = score_all(model, SCORED_VOCAB, iter(WORDS), heard.append)  # a stream: never all in a list
    assert max(small_chunks[1:]) <= 7 and sum(small_chunks[1:]) == len(WORDS) - 1
    assert heard == skipped and scores.skipped == 1 and scores.words == [r["word"] for r in rows]
    assert torch.allclose(
        scores.log_likelihood, torch.tensor([r["log_likelihood"] for r in rows], dtype=torch.float64), rtol=1e-6
    )
    for got, want in zip(scores.rows(), rows, strict=True):  # row by row: pytest.approx takes no list of dicts
        assert got["word"] == want["word"] and got["chars"] == want["chars"]
        for key in ("log_likelihood", "nll_per_char", "perplexity"):
            assert got[key] == pytest.approx(want[key], rel=1e-6), (want["word"], key)


def test_loss_report_over_chunks_is_the_report_over_all_words(monkeypatch, small_chunks):
    model = family("gru")
    words = WORDS[:-1]
    chunked = loss_report(model, SCORED_VOCAB, Words.of(words), "words", "ckpt")
    assert max(small_chunks) == 7
    monkeypatch.setattr(scoring, "SCORE_CHUNK", 10_000)
    whole = loss_report(model, SCORED_VOCAB, words, "words", "ckpt")
    assert chunked["targets"] == whole["targets"] == sum(len(w) + 1 for w in words)
    assert chunked["num_words"] == whole["num_words"] == len(words)
    assert chunked["loss"] == pytest.approx(whole["loss"], rel=1e-9)
    assert chunked["by_position"] == [pytest.approx(row) for row in whole["by_position"]]


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_scores_are_written_as_they_come_in_every_format(capsys, fmt):
    rows = [dict(word=w, log_likelihood=-1.5 * i, nll_per_char=0.5, perplexity=1.6, chars=len(w) + 1)
            for i, w in enumerate(["emma", "zoë", "ava"])]  # fmt: skip
    score.write_rows(sys.stdout, iter(rows), fmt, width=4)
    out = capsys.readouterr().out
    if fmt == "json":
        assert out == json.dumps(rows, indent=1, ensure_ascii=False) + "\n"  # what score.py printed before
    elif fmt == "csv":
        assert out.splitlines()[0] == ",".join(scoring.COLUMNS) and out.splitlines()[2].startswith("zoë,-1.5,")
    else:
        assert out.splitlines()[2] == "    2  zoë      -1.500     0.500        1.60          4"  # chars+end


def test_sorted_scores_past_a_run_are_merged_from_disk_in_the_order_of_one_sort(small_chunks):
    """score.py's default sort: runs of run_words words sorted and merged from temporary files give the rows and
    totals of one sort in memory, equal scores in the order given (WORDS repeats words: many ties)."""
    model = family("mlp")
    skipped = []
    whole = list(score.written(scoring.score_chunks(model, SCORED_VOCAB, WORDS, skipped.append), True, {})[0])
    parts = scoring.score_chunks(model, SCORED_VOCAB, WORDS, lambda m: None)
    rows, totals = scoring.likeliest_first(parts, run_words=10)  # chunks of 7 words: several runs on disk
    merged = list(rows)
    assert merged == whole and len(merged) == len(WORDS) - 1 and skipped
    lls = [r["log_likelihood"] for r in merged]
    assert lls == sorted(lls, reverse=True)
    assert totals["words"] == len(WORDS) - 1 and totals["skipped"] == 1 and totals["longest"] == max(map(len, WORDS))
