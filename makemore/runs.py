"""Every run under outputs/ and multirun/, one line each: what it changed from the defaults and its losses.

    rows = list_runs([Path("outputs"), Path("multirun")])
    print(format_runs(sort_runs(rows, "val_loss")))

A run is a directory with .hydra/overrides.yaml (the keys its command line set: its differences from the
defaults); its losses come from metrics.json, which only a finished run has.
"""

import json
from pathlib import Path

SORT_KEYS = ("val_loss", "train_loss", "test_loss", "steps", "params", "run")  # run: by directory (time)


def read_overrides(run_dir: Path) -> list[str]:
    path = run_dir / ".hydra" / "overrides.yaml"  # a YAML list of "key=value" strings, one "- " line each
    return [line[2:].strip() for line in path.read_text().splitlines() if line.startswith("- ")]


def list_runs(roots: list[Path]) -> list[dict]:
    """One row per run directory below roots: run, overrides, and metrics.json's losses (None: unfinished)."""
    rows = []
    for root in roots:
        for hydra_dir in sorted(Path(root).glob("**/.hydra")):
            run_dir = hydra_dir.parent
            if not (hydra_dir / "overrides.yaml").is_file() or run_dir.parent.name == ".hydra":
                continue
            metrics = run_dir / "metrics.json"
            found = json.loads(metrics.read_text()) if metrics.is_file() else {}
            row = {"run": str(run_dir), "overrides": read_overrides(run_dir)}
            rows.append(row | {key: found.get(key) for key in SORT_KEYS if key != "run"})
    return rows


def sort_runs(rows: list[dict], key: str) -> list[dict]:
    """Lowest first; unfinished runs (no value) last."""
    return sorted(rows, key=lambda r: (r[key] is None, r[key] if r[key] is not None else 0, r["run"]))


def format_runs(rows: list[dict]) -> str:
    def loss(value):
        return f"{value:8.4f}" if value is not None else f"{'-':>8}"

    lines = [f"{'val':>8} {'train':>8} {'steps':>7} {'params':>8}  run  overrides (differences from the defaults)"]
    for r in rows:
        steps = f"{r['steps']:7d}" if r["steps"] is not None else f"{'-':>7}"
        params = f"{r['params']:8d}" if r["params"] is not None else f"{'-':>8}"
        changed = " ".join(r["overrides"]) or "(defaults)"
        lines.append(f"{loss(r['val_loss'])} {loss(r['train_loss'])} {steps} {params}  {r['run']}  {changed}")
    return "\n".join(lines)
