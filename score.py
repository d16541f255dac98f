"""How likely a trained model finds each word: log-likelihood, NLL per character and perplexity, likeliest first.

    python score.py words=candidates.txt            # one word per line, scored by the newest run's best.pt
    python score.py run=outputs/2026-11-28/10-00-00 'word=[emma,xqzt]'
    cat candidates.txt | python score.py words=- format=csv

Every word counts its characters and its end token (n + 1 predictions, as the training loss does). A word with
characters the model never saw gets one line on stderr and no score; the others are still scored.
"""

import csv
import io
import json
import math
import sys

import hydra
from omegaconf import DictConfig

from makemore.cli.configs import register_configs
from makemore.cli.errors import USER_ERRORS, closed_pipe_is_quiet, fail, fail_on_os_error
from makemore.cli.overrides import refuse_unknown_overrides, to_dataclass
from makemore.compute.device import resolve_device
from makemore.config import ScoreConfig
from makemore.data.words import MAX_FILE_BYTES, DataError, load_words, parse_words
from makemore.inference.loading import load_trained
from makemore.inference.scoring import COLUMNS, score_rows


def read_words(cfg: ScoreConfig) -> list[str]:
    """words=FILE or words=- (stdin), then word=[...]: one list, in that order."""
    words = []
    if cfg.words == "-":
        words += parse_words(sys.stdin.buffer.read(MAX_FILE_BYTES + 1), "words - (stdin)")
    elif cfg.words is not None:
        words += load_words(cfg.words, key="words")
    words += [w.strip() for w in cfg.word if w.strip()]
    if not words:
        raise DataError("nothing to score: give words=FILE (one word per line), words=- (stdin) or 'word=[emma,xqzt]'")
    return words


def rows_of(cfg: ScoreConfig) -> tuple[list[dict], list[str], str]:
    """The scored words as rows (COLUMNS), one message per word that could not be scored, and the checkpoint."""
    words = read_words(cfg)
    trained = load_trained(cfg.run, dropout_samples=cfg.dropout_samples)  # one run, or several predicting together
    model, vocab, path = trained.model, trained.vocab, trained.source
    model.to(resolve_device(cfg.device, key="device"))
    rows, skipped = score_rows(model, vocab, words)
    if cfg.sort:
        rows.sort(key=lambda r: -r["log_likelihood"])  # stable: equal scores keep the order given
    return rows, skipped, str(path)


def format_rows(rows: list[dict], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, indent=1, ensure_ascii=False) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()
    width = max(len("word"), *(len(r["word"]) for r in rows))
    lines = [f"{'rank':>5}  {'word':<{width}}  {'log-lik':>9}  {'nll/char':>8}  {'perplexity':>10}  {'chars':>5}"]
    for i, r in enumerate(rows, 1):
        lines.append(f"{i:>5}  {r['word']:<{width}}  {r['log_likelihood']:>9.3f}  {r['nll_per_char']:>8.3f}  "
                     f"{r['perplexity']:>10.2f}  {r['chars']:>5}")  # fmt: skip
    return "\n".join(lines) + "\n"


@hydra.main(version_base="1.3", config_path="configs", config_name="score")
def main(dict_cfg: DictConfig) -> None:
    try:
        cfg: ScoreConfig = to_dataclass(dict_cfg)
        rows, skipped, path = rows_of(cfg)
        for message in skipped:
            print(f"warning: {message}", file=sys.stderr)
        sys.stdout.write(format_rows(rows, cfg.format))
        sys.stdout.flush()
    except USER_ERRORS as e:
        fail(str(e))
    except BrokenPipeError:  # `python score.py ... | head` closed stdout: not an error
        sys.stderr.close()
        return
    except OSError as e:  # a file that can't be read, or stdout: a full disk (or /dev/full)
        fail_on_os_error(e, "scores")
    mean = sum(r["nll_per_char"] * r["chars"] for r in rows) / sum(r["chars"] for r in rows)
    print(f"{len(rows)} words scored ({len(skipped)} not), {mean:.4f} nats per character over them "
          f"(perplexity {math.exp(mean):.2f}); from {path}", file=sys.stderr)  # fmt: skip


if __name__ == "__main__":
    register_configs()
    refuse_unknown_overrides(sys.argv[1:], ScoreConfig)  # score.py takes no config groups
    closed_pipe_is_quiet(main)
