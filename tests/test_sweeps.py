"""Sweeps on existing engines: Hydra's joblib and submitit launchers, and the Optuna sweeper."""

import json
from pathlib import Path

import pytest
import yaml

from helpers import TINY, run_script


def complete_runs(sweep: Path, failed: set[str] = frozenset()) -> list[Path]:
    """The sweep's runs but the failed ones named; each must be a whole run directory."""
    runs = sorted(p for p in sweep.iterdir() if p.is_dir() and p.name.isdigit() and p.name not in failed)
    for run in runs:  # every run of a sweep stays a whole run directory
        assert (run / ".hydra" / "config.yaml").is_file()
        assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["best.pt", "last.pt"]
        assert (run / "metrics.json").is_file() and list(run.glob("events.out.tfevents.*"))
    return runs


LAUNCHERS = [("joblib", "hydra_joblib_launcher"), ("submitit_local", "hydra_submitit_launcher")]


@pytest.mark.slow
@pytest.mark.parametrize("launcher, plugin", LAUNCHERS)
def test_launchers_run_the_sweep_in_other_processes(tmp_path, words_file, launcher, plugin):
    pytest.importorskip(f"hydra_plugins.{plugin}", reason='needs pip install -e ".[sweep]"')
    sweep = tmp_path / "multirun"
    args = [f"data.path={words_file}", *TINY, f"hydra.sweep.dir={sweep}"]
    proc = run_script("train.py", "-m", f"hydra/launcher={launcher}", "embedding=lookup,onehot", *args)
    runs = complete_runs(sweep)
    assert len(runs) == 2
    summary = json.loads((sweep / "sweep_summary.json").read_text())
    assert [r["val_loss"] for r in summary] == sorted(r["val_loss"] for r in summary)
    assert {o for r in summary for o in r["overrides"] if o.startswith("embedding=")} == {
        "embedding=lookup",
        "embedding=onehot",
    }
    assert "best: val" in proc.stderr
    if launcher == "submitit_local":
        assert (sweep / ".submitit").is_dir()  # submitit really ran the jobs


@pytest.mark.slow
def test_optuna_search_reports_its_best_trial_and_a_refused_trial_is_a_failed_one(tmp_path, words_file):
    """One search proves both (issue 12's fault and the sweeper): a refused trial is a failed trial, not the end."""
    pytest.importorskip("hydra_plugins.hydra_optuna_sweeper", reason='needs pip install -e ".[sweep]"')
    sweep = tmp_path / "multirun"
    short = [o for o in TINY if not o.startswith("model.")]  # the model's size is what the search varies
    args = [f"data.path={words_file}", *short, f"hydra.sweep.dir={sweep}", "hydra.sweeper.n_trials=3"]
    # with the search's seed, trial 0 draws dropout 1.5 (refused by the config check) and trials 1 and 2 draw 0.1
    proc = run_script("train.py", "-m", "hparams_search=mlp_optuna", "model.dropout=choice(0.1,1.5)", *args)
    assert "model.dropout=1.5 is invalid" in json.loads((sweep / "0" / "failed.json").read_text())["reason"]
    assert "Failed experiment" in proc.stdout + proc.stderr  # Optuna recorded the trial as failed, not complete
    runs = complete_runs(sweep, failed={"0"})
    assert [run.name for run in runs] == ["1", "2"]  # the search went on after the refused trial
    vals = {run: json.loads((run / "metrics.json").read_text())["val_loss"] for run in runs}
    best_run = min(vals, key=vals.get)
    results = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert results["best_value"] == pytest.approx(vals[best_run])
    assert set(results["best_params"]) == {
        "optim.lr",
        "model.n_embd",
        "model.n_hidden",
        "data.block_size",
        "model.dropout",
    }
    assert results["best_params"]["model.dropout"] == 0.1
    # the search really varied the space, and the best trial's config is where the report says
    trials = [sweep / "0", *runs]
    assert len({json.dumps(yaml.safe_load((r / ".hydra" / "overrides.yaml").read_text())) for r in trials}) == 3
    assert f"best: val {vals[best_run]:.4f} in {best_run}" in proc.stderr
    # Optuna's real messages stay; alembic's "setup plugin alembic..." lines are gone (configs/config.yaml)
    assert "Study name: mlp_optuna" in proc.stdout + proc.stderr
    assert "setup plugin" not in proc.stdout + proc.stderr


@pytest.mark.slow
def test_zoo_pair_trains_a_transformer_and_an_lstm_at_once_to_be_used_together(tmp_path, words_file):
    """experiment=zoo_pair, shrunk: its sweep over +member runs best_transformer and best_lstm side by side under
    joblib, and evaluate.py on the sweep's directory scores them together, below the mean of the two."""
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher", reason='needs pip install -e ".[sweep]"')
    sweep = tmp_path / "multirun"
    shrunk = ["model.n_layers=1", "train.batch_size=16", "train.diagnostics=false"]
    run_script("train.py", "-m", "experiment=zoo_pair", f"data.path={words_file}", *TINY, *shrunk,
               f"hydra.sweep.dir={sweep}")  # fmt: skip
    runs = complete_runs(sweep)
    configs = [yaml.safe_load((run / ".hydra" / "config.yaml").read_text()) for run in runs]
    assert [(c["model"]["name"], c["train"]["threads"]) for c in configs] == [("transformer", 1), ("lstm", 1)]
    assert configs[1]["model"]["dropout"] == 0.3 and configs[0]["model"]["dropout"] == 0.2
    best = [json.loads((run / "metrics.json").read_text())["best_val_loss"] for run in runs]
    together = json.loads(run_script("evaluate.py", f"run={sweep}", "format=json").stdout)
    assert "val" in together["words"] and together["loss"] <= sum(best) / 2 + 1e-6
