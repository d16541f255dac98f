"""Runs as rows of a table: every run under outputs/ and multirun/ (runs.py), or one -m sweep's runs (its report).

    rows = list_runs([Path("outputs"), Path("multirun")])
    print(format_runs(sort_runs(rows, "best_val_loss")))                      # a table per word list
    print(format_table(collect_runs(Path("multirun/2026-11-28/10-00-00"))))   # a sweep, best first

A run is a directory with .hydra/overrides.yaml (the keys its command line set: its differences from the
defaults); its losses come from metrics.json, which only a finished run has: best_val_loss is best.pt's, the
checkpoint sample.py, score.py and evaluate.py read, val_loss the final model's. Its word list is .hydra/config.yaml's
data (the path, and how it was read), its word count the one train.log's first lines report. A run of a sweep that
is refused or diverges doesn't end the sweep: train.py records why in the run's failed.json (record_failure) and
collect_failures finds them for the report.
"""

import json
import re
from pathlib import Path

import yaml

from makemore.runs.layout import read_metrics, write_atomically

LOSSES = ("best_val_loss", "val_loss", "train_loss", "test_loss", "steps", "params")  # metrics.json's, in each row
SORT_KEYS = (*LOSSES, "run", "data", "words")  # run: by directory (time); data: by word list, words: by its size
# runs.py's sort= also takes a column's header: sort=best
HEADER_KEYS = {"best": "best_val_loss", "val": "val_loss", "train": "train_loss", "test": "test_loss"}
READ_AS = ("column", "lowercase", "chars")  # data keys that change which words a file gives (makemore/data/clean.py)
WORD_COUNT = re.compile(r": (\d+) words \(\d+ distinct")  # makemore/data/split.py load_corpus's log line
SUMMARY = "sweep_summary.json"
FAILED = "failed.json"  # in a failed run's directory: {"reason": the one-line error}


def read_overrides(run_dir: Path) -> list[str]:
    """The keys the run's command line set, as "key=value" strings ([] without .hydra/overrides.yaml)."""
    path = Path(run_dir) / ".hydra" / "overrides.yaml"
    try:
        if not path.is_file():
            return []
        text = path.read_text()
    except OSError as e:  # another user's run: listed all the same, saying why its overrides are missing
        return [f"({path}: {(e.strerror or str(e)).lower()})"]
    # a YAML list of "key=value" strings, one "- " line each
    return [line[2:].strip() for line in text.splitlines() if line.startswith("- ")]


def read_data(run_dir: Path) -> str | None:
    """The run's word list: its data.path, with the keys that changed how it was read (data.column=name), or None
    without a readable .hydra/config.yaml."""
    try:
        data = yaml.safe_load((Path(run_dir) / ".hydra" / "config.yaml").read_text())["data"]
        read_as = [f"data.{k}={data[k]}" for k in READ_AS if data.get(k) not in (None, False)]
        return " ".join([str(data["path"]), *read_as])
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return None


def read_word_count(run_dir: Path) -> int | None:
    """How many words the run's list held, as its train.log says (the last session's line), or None."""
    try:
        found = WORD_COUNT.findall((Path(run_dir) / "train.log").read_text(errors="replace"))
    except OSError:
        return None
    return int(found[-1]) if found else None


def list_runs(roots: list[Path]) -> list[dict]:
    """One row per run directory below roots: run, overrides, its word list and word count, and metrics.json's
    losses (None: unfinished)."""
    rows = []
    for root in roots:
        for hydra_dir in sorted(Path(root).glob("**/.hydra")):
            run_dir = hydra_dir.parent
            if run_dir.parent.name == ".hydra" or not is_file_or_unreadable(hydra_dir / "overrides.yaml"):
                continue
            found = read_metrics(run_dir) or {}
            words = found.get("words") or read_word_count(run_dir)  # metrics.json's, else (unfinished, older) the log's
            row = {
                "run": str(run_dir),
                "overrides": read_overrides(run_dir),
                "data": read_data(run_dir),
                "words": words,
            }
            rows.append(row | {key: found.get(key) for key in LOSSES})
    return rows


def is_file_or_unreadable(path: Path) -> bool:
    """path is a file, or this user may not look (another user's run: listed, its overrides saying why)."""
    try:
        return path.is_file()
    except OSError:
        return True


def sort_runs(rows: list[dict], key: str) -> list[dict]:
    """Lowest first (key: one of SORT_KEYS, or a header of HEADER_KEYS); runs without a value (unfinished) last."""
    key = HEADER_KEYS.get(key, key)
    return sorted(rows, key=lambda r: (r[key] is None, r[key] if r[key] is not None else 0, r["run"]))


def by_word_list(rows: list[dict]) -> dict[str | None, list[dict]]:
    """The rows grouped by word list, each group in the rows' order, the groups in the order of their first row."""
    groups = {}
    for r in rows:
        groups.setdefault(r["data"], []).append(r)
    return groups


def record_failure(run_dir: Path, reason: str) -> Path:
    path = Path(run_dir) / FAILED
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps({"reason": reason}, indent=2) + "\n")
    return path


def collect_failures(sweep_dir: Path) -> list[dict]:
    """One row per failed run of the sweep (a subdirectory with failed.json), in run order."""
    rows = []
    for path in sorted(Path(sweep_dir).glob(f"*/{FAILED}"), key=lambda p: (len(p.parent.name), p.parent.name)):
        try:
            reason = json.loads(path.read_text())["reason"]
        except (OSError, ValueError, KeyError, TypeError):  # killed while writing it: failed all the same
            reason = f"{path} is unreadable"
        rows.append({"run_dir": str(path.parent), "overrides": read_overrides(path.parent), "failed": reason})
    return rows


def collect_runs(sweep_dir: Path) -> list[dict]:
    """One row per finished run (a subdirectory with a readable metrics.json), lowest val_loss first."""
    rows = []
    for metrics_path in sorted(Path(sweep_dir).glob("*/metrics.json")):
        run_dir = metrics_path.parent
        if (metrics := read_metrics(run_dir)) is not None:
            rows.append({"run_dir": str(run_dir), "overrides": read_overrides(run_dir), **metrics})
    return sorted(rows, key=lambda r: r["val_loss"])


# (header, width, the row's key, format): the columns each table shows; a missing value shows as -
LOSS = "8.4f"
RUNS_COLUMNS = (("best", 8, "best_val_loss", LOSS), ("val", 8, "val_loss", LOSS), ("train", 8, "train_loss", LOSS),
                ("steps", 7, "steps", "7d"), ("params", 8, "params", "8d"))  # fmt: skip
SWEEP_COLUMNS = (("val", 8, "val_loss", LOSS), ("train", 8, "train_loss", LOSS), ("test", 8, "test_loss", LOSS),
                 ("params", 8, "params", "8d"))  # fmt: skip


def table(rows: list[dict], columns: tuple, run_header: str, run_of, overrides_of) -> str:
    """The one layout of both tables: the number columns, then the run, then its overrides."""
    lines = [" ".join(f"{header:>{width}}" for header, width, _, _ in columns) + f"  {run_header}"]
    for r in rows:
        cells = [f"{r[key]:{fmt}}" if r.get(key) is not None else f"{'-':>{width}}" for _, width, key, fmt in columns]
        lines.append(" ".join(cells) + f"  {run_of(r)}  {overrides_of(r)}")
    return "\n".join(lines)


def format_runs(rows: list[dict]) -> str:
    """runs.py's tables, one per word list (a loss on one list says nothing of a loss on another): every run with
    its whole directory, unfinished ones with - for their losses. best: best.pt's val loss, what sample.py, score.py
    and evaluate.py use; val: the final model's."""
    tables = []
    for data, group in by_word_list(rows).items():
        counts = sorted({r["words"] for r in group if r["words"] is not None})
        words = f"{' or '.join(f'{n:,}' for n in counts)} words" if counts else "word count unknown"
        title = f"{data} ({words})" if data else "word list unknown (no .hydra/config.yaml)"
        body = table(group, RUNS_COLUMNS, "run  overrides (differences from the defaults)", lambda r: r["run"],
                     lambda r: " ".join(r["overrides"]) or "(defaults)")  # fmt: skip
        tables.append(f"{title}\n{body}")
    return "\n\n".join(tables)


def format_table(rows: list[dict]) -> str:
    """A sweep's report: its finished runs by their number in the sweep."""
    return table(rows, SWEEP_COLUMNS, "run  overrides", lambda r: f"{Path(r['run_dir']).name:>3}",
                 lambda r: " ".join(r["overrides"]))  # fmt: skip


def format_failures(rows: list[dict]) -> str:
    return "\n".join(f"  {Path(r['run_dir']).name:>3}  {' '.join(r['overrides'])}: {r['failed']}" for r in rows)


def write_summary(sweep_dir: Path, rows: list[dict], failed: list[dict] = ()) -> Path:
    """The finished runs, best first, then the failed ones (with "failed": the reason, and no losses)."""
    path = Path(sweep_dir) / SUMMARY
    write_atomically(path, json.dumps([*rows, *failed], indent=2) + "\n")
    return path
