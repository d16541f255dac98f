"""What a -m sweep produced: every run of a sweep directory, ranked by validation loss.

    runs = collect_runs(Path("multirun/2026-11-28/10-00-00"))
    print(format_table(runs))
"""

import json
from pathlib import Path

SUMMARY = "sweep_summary.json"


def collect_runs(sweep_dir: Path) -> list[dict]:
    """One row per finished run (a subdirectory with metrics.json), lowest val_loss first."""
    rows = []
    for metrics_path in sorted(Path(sweep_dir).glob("*/metrics.json")):
        run_dir = metrics_path.parent
        overrides_path = run_dir / ".hydra" / "overrides.yaml"
        overrides = []
        if overrides_path.is_file():  # a YAML list of "key=value" strings, one "- " line each
            overrides = [line[2:].strip() for line in overrides_path.read_text().splitlines() if line.startswith("- ")]
        rows.append({"run_dir": str(run_dir), "overrides": overrides, **json.loads(metrics_path.read_text())})
    return sorted(rows, key=lambda r: r["val_loss"])


def format_table(rows: list[dict]) -> str:
    lines = [f"{'val':>8} {'train':>8} {'test':>8} {'params':>8}  run  overrides"]
    for r in rows:
        lines.append(
            f"{r['val_loss']:8.4f} {r['train_loss']:8.4f} {r['test_loss']:8.4f} {r['params']:8d}  "
            f"{Path(r['run_dir']).name:>3}  {' '.join(r['overrides'])}"
        )
    return "\n".join(lines)


def write_summary(sweep_dir: Path, rows: list[dict]) -> Path:
    path = Path(sweep_dir) / SUMMARY
    path.write_text(json.dumps(rows, indent=2) + "\n")
    return path
