"""List every run, one line each: its losses and what its command line changed from the defaults, a table per word list.

    python runs.py                      # runs under outputs/ and multirun/, lowest best val loss first
    python runs.py sort=val             # by the final model's val loss (any column: best, val, train, steps, params)
    python runs.py sort=run             # oldest first (also test_loss, data: by word list, words: by its size)
    python runs.py roots=multirun       # only -m sweeps (roots=a,b for several folders)

Runs on different word lists are ranked apart: each list (data.path, and data.column, data.lowercase, data.chars
where set) gets its own table, titled with its word count. best is best.pt's val loss, the checkpoint sample.py,
score.py and evaluate.py read; val is the final model's (metrics.json's val_loss).
Unfinished runs (no metrics.json: interrupted, or still training) come last, with - for their losses.
"""

import difflib
import os
import sys
from pathlib import Path

from makemore.cli.errors import fail
from makemore.runs.layout import ROOTS
from makemore.runs.listing import HEADER_KEYS, SORT_KEYS, format_runs, list_runs, sort_runs


def parse(args: list[str]) -> dict:
    """key=value arguments, as train.py and sample.py take them."""
    options = {"sort": "best_val_loss", "roots": ",".join(ROOTS)}
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep or key not in options:
            close = difflib.get_close_matches(key, list(options), n=1, cutoff=0.5)
            hint = f"did you mean {close[0]}={value}?" if close and sep else "it takes sort=KEY and roots=DIR[,DIR]"
            fail(f"runs.py: unknown argument {arg!r}; {hint}")
        options[key] = value
    keys = [*SORT_KEYS, *HEADER_KEYS]
    if options["sort"] not in keys:
        close = difflib.get_close_matches(options["sort"], keys, n=1, cutoff=0.5)
        hint = f"did you mean sort={close[0]}?" if close else f"expected one of {', '.join(keys)}"
        fail(f"sort={options['sort']} is not a column; {hint}")
    return options


def main(argv: list[str]) -> None:
    if {"-h", "--help"} & set(argv):
        print(__doc__)
        return
    options = parse(argv)
    roots = [Path(r) for r in options["roots"].split(",")]
    rows = list_runs(roots)
    if not rows:
        fail(f"no runs under {' or '.join(map(str, roots))} in {Path.cwd()}; train one with `python train.py`")
    print(format_runs(sort_runs(rows, options["sort"])))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except BrokenPipeError:  # `python runs.py | head` closed stdout: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that the exit's own flush can't fail
