"""How likely a trained model finds each word: log-likelihood, NLL per character and perplexity, likeliest first.

    python score.py words=candidates.txt            # one word per line, scored by the newest run's best.pt
    python score.py run=outputs/2026-11-28/10-00-00 'word=[emma,xqzt]'
    cat candidates.txt | python score.py words=- format=csv

Every word counts its characters and its end token (n + 1 predictions, as the training loss does): the table's
chars+end column, csv's and json's chars. A word with characters the model never saw gets one line on stderr and no
score; the others are still scored.

torch and the model code are imported inside the functions that use them: a refused key or --help answers before
torch loads.
"""

import csv
import json
import math
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import chain

import hydra
from omegaconf import DictConfig

from makemore.cli.configs import register_configs
from makemore.cli.errors import closed_pipe_is_quiet, fail, fail_on_os_error, user_errors
from makemore.cli.overrides import refuse_unknown_overrides, to_dataclass
from makemore.config import ScoreConfig

CHUNK_WORDS = 4096  # words scored at a time (inference/scoring.py score_chunks): what the thread count is chosen for


def words_of(cfg: ScoreConfig) -> Iterable[str]:
    """words=FILE or words=- (stdin), then word=[...]: one stream, in that order, read a block at a time."""
    from makemore.data.words import DataError, check_word_file, stream_words

    given = []
    if cfg.words == "-":
        given.append(chain.from_iterable(stream_words(sys.stdin.buffer, "words - (stdin)")))
    elif cfg.words is not None:
        check_word_file(cfg.words, key="words")  # now, not when the first word is wanted
        given.append(chain.from_iterable(stream_words(cfg.words, key="words")))
    given.append([w for w in cfg.word if w])
    if cfg.words is None and not cfg.word:
        raise DataError("nothing to score: give words=FILE (one word per line), words=- (stdin) or 'word=[emma,xqzt]'")
    return chain.from_iterable(given)


def scored(cfg: ScoreConfig, skipped: Callable[[str], None]) -> tuple[Iterator, str]:
    """The words the model can score, a chunk at a time (inference/scoring.py score_chunks), and the checkpoint;
    skipped(message) hears of each word it can't."""
    import torch

    from makemore.compute.device import resolve_device, threads_for
    from makemore.inference.loading import load_trained
    from makemore.inference.scoring import score_chunks

    words = words_of(cfg)
    trained = load_trained(cfg.run, dropout_samples=cfg.dropout_samples)  # one run, or several predicting together
    model, vocab, path = trained.model, trained.vocab, trained.source
    model.to(resolve_device(cfg.device, key="device"))
    torch.set_num_threads(threads_for(cfg.threads, model, CHUNK_WORDS, key="threads"))  # as training chooses them
    return score_chunks(model, vocab, words, skipped), str(path)


def rows_of(cfg: ScoreConfig) -> tuple[list[dict], list[str], str]:
    """The scored words as rows (COLUMNS), in the order printed, one message per word that could not be scored, and
    the checkpoint: score.py's output as lists (for a few words; main() writes them as they come)."""
    from makemore.inference.scoring import joined

    skipped = []
    parts, path = scored(cfg, skipped.append)
    scores = joined(parts)
    return list(scores.rows(print_order(scores, cfg.sort))), skipped, path


def written(parts: Iterator, sort: bool, counts: Counter) -> tuple[Iterator[dict], int]:
    """(the rows in the order printed, the table's word width). sort=true needs every word's score first: runs of
    scoring.RUN_WORDS words are sorted and merged from temporary files, so memory holds a run; sort=false passes each
    chunk's rows on as it is scored, so memory holds a chunk."""
    from makemore.inference.scoring import likeliest_first

    if sort:  # every word scored before the first row: sorted runs, merged from disk past RUN_WORDS words
        rows, totals = likeliest_first(parts)
        counts.update(words=totals["words"], skipped=totals["skipped"], targets=totals["targets"])
        counts.update(nll=-totals["log_likelihood"])
        return rows, totals["longest"]

    def rows():
        for part in parts:
            counts.update(words=len(part.words), skipped=part.skipped, targets=int(part.targets.sum()))
            counts.update(nll=-part.log_likelihood.sum().item())
            yield from part.rows()

    return rows(), STREAMED_WIDTH


STREAMED_WIDTH = 15  # sort=false's table: the longest word is not known until the end; a longer word shifts its row


def print_order(scores, sort: bool):
    """Likeliest first (stable: equal scores keep the order given), or None: as given."""
    import torch

    return torch.argsort(-scores.log_likelihood, stable=True) if sort else None


def write_rows(out, rows: Iterator[dict], fmt: str, width: int) -> None:
    """The rows in format fmt, written as they come (width: the longest word, for the table)."""
    from makemore.inference.scoring import COLUMNS

    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return
    if fmt == "json":  # json.dumps(rows, indent=1), a row at a time
        out.write("[")
        for i, r in enumerate(rows):
            out.write(("," if i else "") + "\n" + textwrap.indent(json.dumps(r, indent=1, ensure_ascii=False), " "))
        out.write("\n]\n")
        return
    width = max(len("word"), width)
    # chars+end: the predictions a word's score sums, its characters and its end token (csv and json: chars)
    out.write(
        f"{'rank':>5}  {'word':<{width}}  {'log-lik':>9}  {'nll/char':>8}  {'perplexity':>10}  {'chars+end':>9}\n"
    )
    for i, r in enumerate(rows, 1):
        out.write(f"{i:>5}  {r['word']:<{width}}  {r['log_likelihood']:>9.3f}  {r['nll_per_char']:>8.3f}  "
                  f"{r['perplexity']:>10.2f}  {r['chars']:>9}\n")  # fmt: skip


@hydra.main(version_base="1.3", config_path="configs", config_name="score")
def main(dict_cfg: DictConfig) -> None:
    try:
        cfg: ScoreConfig = to_dataclass(dict_cfg)
        parts, path = scored(cfg, lambda message: print(f"warning: {message}", file=sys.stderr))
        counts = Counter()
        rows, width = written(parts, cfg.sort, counts)
        write_rows(sys.stdout, rows, cfg.format, width)
        sys.stdout.flush()
    except user_errors() as e:
        fail(str(e))
    except BrokenPipeError:  # `python score.py ... | head` closed stdout: not an error
        sys.stderr.close()
        return
    except OSError as e:  # a file that can't be read, or stdout: a full disk (or /dev/full)
        fail_on_os_error(e, "scores")
    mean = counts["nll"] / counts["targets"]
    print(f"{counts['words']} words scored ({counts['skipped']} not), {mean:.4f} nats per character over them "
          f"(perplexity {math.exp(mean):.2f}; a word's chars count its end token too, as training's loss does); "
          f"from {path}", file=sys.stderr)  # fmt: skip


if __name__ == "__main__":
    register_configs("score")
    refuse_unknown_overrides(sys.argv[1:], ScoreConfig)  # score.py takes no config groups
    closed_pipe_is_quiet(main)
