"""What a -m sweep produced: every run of a sweep directory, ranked by validation loss, then the runs that failed.

    runs = collect_runs(Path("multirun/2026-11-28/10-00-00"))
    print(format_table(runs))

A run of a sweep that is refused or diverges doesn't end the sweep: train.py records why in the run's
failed.json (record_failure) and the sweep goes on; collect_failures finds them for the report.
"""

import json
from pathlib import Path

SUMMARY = "sweep_summary.json"
FAILED = "failed.json"  # in a failed run's directory: {"reason": the one-line error}


def _overrides(run_dir: Path) -> list[str]:
    overrides_path = run_dir / ".hydra" / "overrides.yaml"
    if not overrides_path.is_file():
        return []
    # a YAML list of "key=value" strings, one "- " line each
    return [line[2:].strip() for line in overrides_path.read_text().splitlines() if line.startswith("- ")]


def record_failure(run_dir: Path, reason: str) -> Path:
    path = Path(run_dir) / FAILED
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"reason": reason}, indent=2) + "\n")
    return path


def collect_failures(sweep_dir: Path) -> list[dict]:
    """One row per failed run of the sweep (a subdirectory with failed.json), in run order."""
    rows = []
    for path in sorted(Path(sweep_dir).glob(f"*/{FAILED}"), key=lambda p: (len(p.parent.name), p.parent.name)):
        reason = json.loads(path.read_text())["reason"]
        rows.append({"run_dir": str(path.parent), "overrides": _overrides(path.parent), "failed": reason})
    return rows


def collect_runs(sweep_dir: Path) -> list[dict]:
    """One row per finished run (a subdirectory with metrics.json), lowest val_loss first."""
    rows = []
    for metrics_path in sorted(Path(sweep_dir).glob("*/metrics.json")):
        run_dir = metrics_path.parent
        rows.append({"run_dir": str(run_dir), "overrides": _overrides(run_dir), **json.loads(metrics_path.read_text())})
    return sorted(rows, key=lambda r: r["val_loss"])


def format_table(rows: list[dict]) -> str:
    lines = [f"{'val':>8} {'train':>8} {'test':>8} {'params':>8}  run  overrides"]
    for r in rows:
        lines.append(
            f"{r['val_loss']:8.4f} {r['train_loss']:8.4f} {r['test_loss']:8.4f} {r['params']:8d}  "
            f"{Path(r['run_dir']).name:>3}  {' '.join(r['overrides'])}"
        )
    return "\n".join(lines)


def format_failures(rows: list[dict]) -> str:
    return "\n".join(f"  {Path(r['run_dir']).name:>3}  {' '.join(r['overrides'])}: {r['failed']}" for r in rows)


def write_summary(sweep_dir: Path, rows: list[dict], failed: list[dict] = ()) -> Path:
    """The finished runs, best first, then the failed ones (with "failed": the reason, and no losses)."""
    path = Path(sweep_dir) / SUMMARY
    path.write_text(json.dumps([*rows, *failed], indent=2) + "\n")
    return path
