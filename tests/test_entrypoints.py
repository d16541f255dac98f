"""The real train.py and sample.py, end to end, on tiny configs into tmp_path."""

import json
import select
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from helpers import CONFIGS, ROOT, TINY, compose_config, events, hparams_of, run_script
from makemore.cli.errors import USER_ERRORS
from makemore.cli.overrides import to_dataclass
from makemore.training.trainer import train

METRIC_KEYS = {"train_loss", "val_loss", "test_loss", "best_val_loss", "steps", "train_seconds", "params", "words"}


def scalars(run_dir: Path, tag: str) -> dict[int, float]:
    acc = EventAccumulator(str(run_dir)).Reload()
    return {e.step: e.value for e in acc.Scalars(tag)}


@pytest.mark.slow
def test_every_config_and_experiment_composes():
    groups = {g.name: sorted(p.stem for p in g.glob("*.yaml")) for g in CONFIGS.iterdir() if g.is_dir()}
    assert groups["embedding"] == ["lookup", "onehot"] and "lecture_mlp" in groups["experiment"]
    default = compose_config()
    for group, options in groups.items():
        for option in options:
            add = "+" if group == "member" else ""  # in no defaults list: experiment=zoo_pair's sweep adds it
            cfg = compose_config([f"{add}{group}={option}"])
            if group in ("embedding", "model", "optim"):
                assert getattr(cfg, group).name == option, (group, option)  # the file picks what it is named for
            elif group == "experiment":
                assert cfg != default, option  # a recipe changes the run


def test_zoo_pairs_members_are_best_transformer_and_best_lstm_on_one_thread_each():
    pair = ["experiment=zoo_pair"]
    one_thread = compose_config(["experiment=best_transformer", "train.threads=1", "model.n_embd=64"])  # as measured
    assert compose_config([*pair, "+member=transformer"]) == one_thread
    assert compose_config([*pair, "+member=lstm"]) == compose_config(["experiment=best_lstm"])
    lstm = compose_config(["experiment=best_lstm"])
    assert (lstm.model.name, lstm.model.n_layers, lstm.model.n_hidden, lstm.train.threads) == ("lstm", 2, 256, 1)


def test_lecture_mlp_is_the_lecture_recipe():
    cfg = compose_config(["experiment=lecture_mlp"])
    assert (cfg.data.block_size, cfg.model.n_embd, cfg.model.n_hidden, cfg.model.n_layers) == (3, 10, 200, 1)
    assert (cfg.optim.name, cfg.optim.lr, cfg.optim.schedule, cfg.optim.milestones) == ("sgd", 0.1, "step", [100000])
    assert (cfg.train.max_steps, cfg.train.batch_size, cfg.model.init) == (200000, 32, "lecture")


@pytest.mark.slow
def test_train_then_sample(tmp_path, words_file):
    run_dir = tmp_path / "outputs" / "run1"
    run_script("train.py", f"data.path={words_file}", *TINY, f"hydra.run.dir={run_dir}")
    assert (run_dir / ".hydra" / "config.yaml").is_file()
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["best.pt", "last.pt"]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert set(metrics) == METRIC_KEYS and metrics["steps"] == 60
    assert metrics["best_val_loss"] <= metrics["val_loss"] + 1e-9
    assert set(scalars(run_dir, "loss/val")) == {20, 40, 60}
    assert len(scalars(run_dir, "lr")) == 6 and len(scalars(run_dir, "loss/train")) == 6

    words_file.unlink()  # sampling needs only the checkpoint
    out = run_script("sample.py", f"run={run_dir}", "num_samples=7", "seed=3")
    lines = out.stdout.splitlines()
    assert len(lines) == 7 and all(lines) and "new" in out.stderr
    assert run_script("sample.py", f"run={run_dir}", "num_samples=7", "seed=3").stdout == out.stdout

    # with no run= it takes the newest run under outputs/ of the cwd
    newest = run_script("sample.py", "num_samples=3", "prefix=ma", cwd=tmp_path)
    assert len(newest.stdout.splitlines()) == 3 and all(n.startswith("ma") for n in newest.stdout.split())


@pytest.mark.slow
def test_lookup_and_onehot_sweep_gives_coinciding_curves(tmp_path, words_file):
    sweep = tmp_path / "multirun"
    overrides = [f"data.path={words_file}", *TINY, "train.max_steps=80", "train.log_interval=5"]  # 4 evaluations
    run_script("train.py", "-m", "embedding=lookup,onehot", *overrides, f"hydra.sweep.dir={sweep}")
    runs = [sweep / "0", sweep / "1"]
    assert [compose_config([f"embedding={e}"]).embedding.name for e in ("lookup", "onehot")] == ["lookup", "onehot"]
    for tag in ("loss/train", "loss/val"):
        a, b = (scalars(r, tag) for r in runs)
        assert a.keys() == b.keys() and len(a) >= 4
        assert max(abs(a[s] - b[s]) for s in a) < 1e-4, tag
    # two rows in the HPARAMS tab, one per run, each in its run's own directory
    assert [hparams_of(r)[0]["embedding.name"] for r in runs] == ["lookup", "onehot"]
    # one tag for the table and one for its gradient in both runs (embedding.lookup.weight / embedding.proj.weight
    # under grad/ besides), so that TensorBoard overlays them: the same table, so the same histogram
    for tag in ("embedding/table", "grad/embedding/table"):
        a, b = (events(r).Histograms(tag) for r in runs)
        assert [e.step for e in a] == [e.step for e in b] == [20, 40, 60, 80], tag
        a, b = a[0].histogram_value, b[0].histogram_value  # the words have 25 letters: 26 rows of n_embd=4
        assert a.num == b.num == 26 * 4 and abs(a.sum - b.sum) < 1e-4 and abs(a.max - b.max) < 1e-4, tag


@pytest.mark.slow
def test_same_seed_same_run_bit_for_bit(tiny_cfg, tmp_path):
    m1 = train(tiny_cfg, tmp_path / "a", progress=False)
    m2 = train(tiny_cfg, tmp_path / "b", progress=False)
    m1.pop("train_seconds"), m2.pop("train_seconds")
    assert m1 == m2
    w1 = torch.load(tmp_path / "a" / "checkpoints" / "last.pt", weights_only=True)["model"]
    w2 = torch.load(tmp_path / "b" / "checkpoints" / "last.pt", weights_only=True)["model"]
    assert all(torch.equal(w1[k], w2[k]) for k in w1)


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        (["model.n_embdd=3"], "n_embdd"),  # refused before Hydra composes
        (["optim.lr=fast"], "optim.lr"),  # refused by Hydra's type check
        (["data.path={few}"], "{few}: 5 words are too few for a train/val/test split"),  # refused inside train()
    ],
)
def test_bad_input_gets_one_clear_line(tmp_path, args, message):
    few = tmp_path / "five.txt"
    few.write_text("anna\nbob\ncarl\ndave\neve\n")
    args, message = [a.format(few=few) for a in args], message.format(few=few)
    run_dir = tmp_path / "run"
    proc = run_script("train.py", *args, f"hydra.run.dir={run_dir}", check=False)
    assert proc.returncode != 0
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not (run_dir / "checkpoints").exists() and not (run_dir / "metrics.json").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["train.max_steps=-5"], "train.max_steps=-5"),
        (["model.dropout=1.5"], "model.dropout=1.5"),
        (["data.path=/nonexistent/words.txt"], "/nonexistent/words.txt: no such file"),
    ],
)
def test_bad_values_are_errors_the_entry_points_print_in_one_line(tmp_path, args, message):
    # the same path as the subprocess cases above, in-process: compose, check, train; USER_ERRORS are one line
    with pytest.raises(USER_ERRORS) as err:
        with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
            cfg = to_dataclass(compose(config_name="config", overrides=args))
        train(cfg, tmp_path / "run", progress=False)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "run" / "checkpoints").exists()


@pytest.mark.slow
def test_sample_bad_arguments_get_one_line_and_no_names(tiny_run, tmp_path):
    from test_checkpoint import Boom

    marker, evil = tmp_path / "pwned", tmp_path / "evil.pt"
    torch.save({"format": 1, "payload": Boom(marker)}, evil)
    for args, message in [
        ([f"run={tiny_run}", "top_k=27"], "top_k=27: expected null or 1..26 (the model has 26 tokens)"),
        ([f"run={evil}"], f"checkpoint {evil}: refused to load"),
    ]:
        proc = run_script("sample.py", *args, check=False)
        assert proc.returncode == 2 and proc.stdout == "", args
        assert proc.stderr.startswith(f"error: {message}") and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert not marker.exists()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the resident memory from /proc")
def test_ten_million_names_stream_in_bounded_memory(tiny_run):
    def rss_mb(pid):
        status = Path(f"/proc/{pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) / 1024

    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "sample.py"), f"run={tiny_run}", "num_samples=10000000", "max_len=4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert select.select([proc.stdout], [], [], 120)[0], "no name within 120 s: the names are not streamed"
        proc.stdout.readline()
        first = rss_mb(proc.pid)
        for _ in range(8 * 8192):  # eight chunks later
            assert proc.stdout.readline()
        assert proc.poll() is None  # still going: the ten million were never all made at once
        assert rss_mb(proc.pid) < first + 50, (first, rss_mb(proc.pid))
    finally:
        proc.stdout.close()  # like `| head`: sample.py stops quietly
        stderr = proc.stderr.read()
        proc.wait(timeout=60)
    assert "Traceback" not in stderr


@pytest.mark.slow
def test_sample_help_shows_only_its_own_keys():
    out = run_script("sample.py", "--help").stdout  # score.py and evaluate.py share its help (hydra/help=own_keys)
    assert out.startswith("sample.py takes the keys below") and "temperature: 1.0" in out and "num_samples: 20" in out
    assert not any(group in out for group in ("experiment", "optim", "model:", "embedding", "hparams_search"))


@pytest.mark.slow
@pytest.mark.parametrize("script", ["train.py", "sample.py", "score.py", "evaluate.py"])
def test_help_into_a_pipe_closed_early_ends_quietly(script):
    """`python train.py --help | head -1`: the reader goes away after one line; the rest of the help is no error."""
    proc = subprocess.Popen([sys.executable, str(ROOT / script), "--help"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, bufsize=1)  # fmt: skip
    assert proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 0 and "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


@pytest.mark.slow
def test_sample_bad_input(tmp_path):
    proc = run_script("sample.py", f"run={tmp_path / 'nowhere'}", check=False)
    assert proc.returncode != 0 and "no such run" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""
