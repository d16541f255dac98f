"""List every run, one line each: its losses and what its command line changed from the defaults.

    python runs.py                      # runs under outputs/ and multirun/, lowest val loss first
    python runs.py sort=run             # oldest first (also train_loss, test_loss, steps, params)
    python runs.py roots=multirun       # only -m sweeps (roots=a,b for several folders)

Unfinished runs (no metrics.json: interrupted, or still training) come last, with - for their losses.
"""

import difflib
import os
import sys
from pathlib import Path

from makemore.cli.errors import fail
from makemore.runs.layout import ROOTS
from makemore.runs.listing import SORT_KEYS, format_runs, list_runs, sort_runs


def parse(args: list[str]) -> dict:
    """key=value arguments, as train.py and sample.py take them."""
    options = {"sort": "val_loss", "roots": ",".join(ROOTS)}
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep or key not in options:
            close = difflib.get_close_matches(key, list(options), n=1, cutoff=0.5)
            hint = f"did you mean {close[0]}={value}?" if close and sep else "it takes sort=KEY and roots=DIR[,DIR]"
            fail(f"runs.py: unknown argument {arg!r}; {hint}")
        options[key] = value
    if options["sort"] not in SORT_KEYS:
        close = difflib.get_close_matches(options["sort"], SORT_KEYS, n=1, cutoff=0.5)
        hint = f"did you mean sort={close[0]}?" if close else f"expected one of {', '.join(SORT_KEYS)}"
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
