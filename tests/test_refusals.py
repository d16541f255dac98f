"""Refused commands say one line and leave nothing behind: unknown keys, bad data, refused or finished resumes."""

import json

import pytest
from hydra import compose, initialize_config_dir

from helpers import CONFIGS, TINY, run_script
from makemore.cli.configs import register_configs
from makemore.cli.overrides import config_groups, refuse_unknown_overrides, schema_keys, to_dataclass
from makemore.config import Config, ConfigError, SampleConfig

GROUPS = config_groups(CONFIGS)


def compose_dict(overrides):
    register_configs()  # base_config, which configs/config.yaml's defaults name, whichever test runs first
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return compose(config_name="config", overrides=overrides)


def unknown(key: str, hint: str) -> str:
    return f"error: unknown config key {key} (not in makemore/config.py); {hint}"


@pytest.mark.parametrize(
    "script, arg, message",
    [
        ("train.py", "train.maxsteps=10", unknown("train.maxsteps", "did you mean train.max_steps?")),
        ("sample.py", "temp=0.5", unknown("temp", "did you mean temperature?")),
        ("runs.py", "sortt=val_loss", "error: runs.py: unknown argument 'sortt=val_loss'; did you mean sort=val_loss?"),
    ],
)  # fmt: skip
def test_unknown_keys_are_refused_in_one_line_and_leave_no_run_dir(tmp_path, script, arg, message):
    proc = run_script(script, arg, cwd=tmp_path, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == message  # not Hydra's six lines
    assert not (tmp_path / "outputs").exists()  # refused before Hydra makes a run dir


@pytest.mark.parametrize(
    "script, args, message",
    [
        ("train.py", ["-m", "--cfg", "job"], "error: --multirun and --cfg cannot go together: Hydra does one of --run, "
         "--multirun, --cfg, --info, --shell-completion per command; --cfg job without -m prints one run's config"),
        ("sample.py", ["--cfg", "job", "--info"], "error: --cfg and --info cannot go together: Hydra does one of "
         "--run, --multirun, --cfg, --info, --shell-completion per command"),
    ],
)  # fmt: skip
def test_two_hydra_modes_at_once_are_one_line_not_hydras_traceback(tmp_path, script, args, message):
    proc = run_script(script, *args, cwd=tmp_path, check=False)
    assert proc.returncode == 2 and proc.stdout == "" and proc.stderr.strip() == message


@pytest.mark.parametrize(
    "schema, groups, arg, message",
    [
        (Config, GROUPS, "+train.maxsteps=10", unknown("train.maxsteps", "did you mean train.max_steps?")),
        (Config, GROUPS, "+model.n_embed=8", unknown("model.n_embed", "did you mean model.n_embd?")),
        (Config, GROUPS, "trian.max_steps=8", unknown("trian.max_steps", "did you mean train.max_steps?")),
        (Config, GROUPS, "modle=rnn", unknown("modle", "did you mean model?")),
        (Config, GROUPS, "~foo", unknown("foo", "known keys here: seed, data, embedding, model, optim, train, "
                                                "experiment, hparams_search, member")),
        (SampleConfig, (), "+temp=0.5", unknown("temp", "did you mean temperature?")),
        (SampleConfig, (), "model=mlp", unknown("model", "did you mean mode?")),  # a group of train.py's, not a key
        (SampleConfig, (), "xyz=1", unknown("xyz", f"known keys here: {', '.join(schema_keys(SampleConfig))}")),
    ],
)  # fmt: skip
def test_every_form_of_an_unknown_key_is_one_line(capsys, schema, groups, arg, message):
    with pytest.raises(SystemExit) as exit:
        refuse_unknown_overrides(["-m", "seed=1", arg, "hydra.run.dir=x", "hydra/launcher=joblib"], schema, groups)
    assert exit.value.code == 2 and capsys.readouterr().err.strip() == message


@pytest.mark.parametrize(
    "argv",
    [["train.max_steps=10", "model=rnn", "experiment=bigram", "+hparams_search=mlp_optuna", "hydra.job.chdir=true"],
     ["-m", "optim.milestones.0=5", "~train.patience", "seed=1,2"], ["--cfg", "job", "seed=1"], ["--help"]],
)  # fmt: skip
def test_known_keys_groups_and_hydras_own_pass(argv):
    refuse_unknown_overrides(argv, Config, GROUPS)  # no SystemExit


def test_a_key_only_a_yaml_file_adds_is_refused_after_composing():
    cfg = compose_dict(["+train.maxsteps=10"])
    with pytest.raises(ConfigError, match=r"^unknown config key train.maxsteps .*did you mean train.max_steps\?$"):
        to_dataclass(cfg)


def test_missing_data_leaves_no_run_dir(tmp_path):
    proc = run_script("train.py", "data.path=missing.txt", cwd=tmp_path, check=False)
    assert proc.returncode == 2 and proc.stderr.strip() == "error: data.path missing.txt: no such file"
    assert not (tmp_path / "outputs").exists()


def tree(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_refused_and_finished_resumes_leave_the_run_as_it_was(tmp_path, words_file):
    run_dir = tmp_path / "outputs" / "run1"
    run_script("train.py", f"data.path={words_file}", *TINY, "train.threads=1", f"hydra.run.dir={run_dir}")
    before, log = tree(run_dir), (run_dir / "train.log").read_bytes()
    resume = [f"data.path={words_file}", *TINY, "train.threads=1", f"train.resume={run_dir}"]

    refused = run_script("train.py", *resume, "train.max_steps=80", "model.n_embd=5", cwd=tmp_path, check=False)
    assert refused.returncode == 2 and "differs from the checkpoint's (model.n_embd=5)" in refused.stderr
    assert tree(run_dir) == before and (run_dir / "train.log").read_bytes() == log  # no .hydra/resume-*, no lines

    finished = run_script("train.py", *resume, cwd=tmp_path)
    val = json.loads((run_dir / "metrics.json").read_text())["val_loss"]
    assert finished.stderr.strip() == (
        f"{run_dir} already finished its 60 steps (val {val:.4f}); nothing to resume. "
        "Raise train.max_steps to train it further."
    )
    assert tree(run_dir) == before and (run_dir / "train.log").read_bytes() == log  # no evaluation, no event file


def test_sampling_a_text_file_says_it_is_not_a_checkpoint(tmp_path, words_file):
    proc = run_script("sample.py", f"run={words_file}", cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: checkpoint {words_file}: not a checkpoint (not a file torch.save wrote")
