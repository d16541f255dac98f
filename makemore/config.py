"""The run configuration: plain dataclasses, one per config group.

The entry points register these with Hydra's ConfigStore (makemore/cli/configs.py), so every YAML file and
command-line override is checked against these fields and types at start-up. Only the entry points, makemore/cli/
and makemore/api/ import Hydra: `train(Config(...))` works from a test or a notebook.

The defaults here are the default recipe (`python train.py`): a modern MLP that trains in about a minute on two
CPU cores (docs/results.md). `experiment=lecture_mlp` swaps in the lecture's.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any


class ConfigError(ValueError):
    """A config value that is out of range; the message names the key and what is allowed."""


def _check(ok: bool, key: str, value, allowed: str) -> None:
    if not ok:
        raise ConfigError(f"config key {key}={value!r} is invalid: expected {allowed}")


def flat_keys(config: dict, prefix: str = "") -> dict:
    """{"model": {"n_embd": 24}} -> {"model.n_embd": 24}: a nested config dict under its command-line keys."""
    out = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(flat_keys(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


EMBEDDINGS = ("lookup", "onehot")  # makemore.models.embedding.EMBEDDINGS, in its order
MODELS = ("bigram", "mlp", "hierarchical", "rnn", "gru", "lstm", "bow", "transformer")  # makemore.models.MODELS
NORMS = ("none", "batchnorm", "layernorm")
INITS = ("scaled", "lecture")
OPTIMIZERS = ("sgd", "adamw")
SCHEDULES = ("constant", "step", "cosine")
SCHEDULE_OVER = ("steps", "time")
DEVICES = ("auto", "cpu", "cuda", "mps")  # and cuda:N
PRECISIONS = ("fp32", "bf16")


def _char_class(chars: str) -> bool:
    """chars is the inside of one regex class: [chars] compiles, and no bare ] closes it early."""
    try:
        re.compile(f"[{chars}]")
    except re.error:
        return False
    return bool(chars) and "]" not in re.sub(r"\\.", "", chars)


@dataclass
class DataConfig:
    path: str = "data/names.txt"  # one word per line; relative paths are tried in the cwd, then beside train.py
    # characters of context that predict the next one; null: the model's own (mlp 5, bigram 1,
    # hierarchical 2 ** n_layers, rnn/gru/lstm/bow/transformer the longest word + 1)
    block_size: int | None = None
    split_seed: int = 42  # random.Random(42).shuffle gives the makemore lectures' exact 80/10/10 split
    column: str | None = None  # a table (CSV, TSV: a header, a delimiter on every line): the header's column to read
    lowercase: bool = False  # fold capitals into lowercase first (Emma and emma: one word, one set of letters)
    chars: str | None = None  # keep only words made of these characters, a regex class (a-z, "a-z'-"); null: all

    def __post_init__(self):
        _check(bool(self.path), "data.path", self.path, "a path to a text file with one word per line")
        _check(self.column is None or bool(str(self.column)), "data.column", self.column, "a column name, or null")
        _check(self.chars is None or _char_class(self.chars), "data.chars", self.chars,
               "characters as a regex class, e.g. a-z or a-z'- (null: every word)")  # fmt: skip
        ok = self.block_size is None or self.block_size >= 1
        _check(ok, "data.block_size", self.block_size, "null (the model's own) or an integer >= 1")


@dataclass
class EmbeddingConfig:
    name: str = "lookup"  # lookup: nn.Embedding; onehot: one_hot(x) @ W, the same function computed the slow way

    def __post_init__(self):
        _check(self.name in EMBEDDINGS, "embedding.name", self.name, f"one of {', '.join(EMBEDDINGS)}")


@dataclass
class ModelConfig:
    name: str = "mlp"  # the model family: bigram | mlp | hierarchical | rnn | gru | lstm | bow | transformer
    n_embd: int = 24  # size of each character's embedding vector (transformer: the residual stream's width)
    n_hidden: int = 320  # units per hidden layer; rnn/gru/lstm: the hidden state's size; bow: its MLP's width
    n_layers: int = 2  # hidden layers (Linear -> norm -> tanh -> dropout), at least 1; transformer: blocks
    n_head: int = 4  # transformer only: attention heads, each n_embd // n_head wide
    norm: str = "layernorm"  # none | batchnorm | layernorm, before each tanh (lecture part 3)
    dropout: float = (
        0.1  # after each tanh (transformer: attention, residuals, embeddings): the names overfit a model this size
    )
    init: str = "scaled"  # scaled: tanh-gain/sqrt(fan_in) and a small output layer; lecture: torch.randn everywhere

    def __post_init__(self):
        _check(self.name in MODELS, "model.name", self.name, f"one of {', '.join(MODELS)}")
        _check(self.n_embd >= 1, "model.n_embd", self.n_embd, "an integer >= 1")
        _check(self.n_hidden >= 1, "model.n_hidden", self.n_hidden, "an integer >= 1")
        _check(self.n_layers >= 1, "model.n_layers", self.n_layers, "an integer >= 1")
        _check(self.n_head >= 1, "model.n_head", self.n_head, "an integer >= 1")
        if self.name == "transformer":
            divides = self.n_embd % self.n_head == 0
            _check(divides, "model.n_head", self.n_head, f"a divisor of model.n_embd={self.n_embd}")
        _check(self.norm in NORMS, "model.norm", self.norm, f"one of {', '.join(NORMS)}")
        _check(0.0 <= self.dropout < 1.0, "model.dropout", self.dropout, "a number in [0, 1)")
        _check(self.init in INITS, "model.init", self.init, f"one of {', '.join(INITS)}")


@dataclass
class OptimConfig:
    name: str = "adamw"  # sgd | adamw
    lr: float = 3e-3  # peak learning rate
    weight_decay: float = 0.01  # decoupled for adamw, L2 for sgd
    momentum: float = 0.0  # sgd only; the lecture uses plain SGD
    beta1: float = 0.9  # adamw only
    beta2: float = 0.99  # adamw only; a little shorter memory than 0.999 suits short runs
    schedule: str = "cosine"  # constant | step | cosine
    warmup_steps: int = 200  # linear warm-up from 0 to lr, for any schedule
    milestones: list[int] = field(default_factory=lambda: [100_000])  # step: multiply lr by gamma at each
    gamma: float = 0.1  # step: the lecture's 0.1 -> 0.01
    min_lr: float = 3e-5  # cosine: the lr it decays to at train.max_steps (or at train.max_time)
    schedule_over: str = "steps"  # steps | time: the cosine runs over train.max_steps, or over train.max_time's minutes
    fused: bool = True  # one fused kernel per step for all parameters instead of a Python loop over them; same update

    def __post_init__(self):
        _check(self.name in OPTIMIZERS, "optim.name", self.name, f"one of {', '.join(OPTIMIZERS)}")
        _check(self.lr > 0, "optim.lr", self.lr, "a number > 0")
        _check(self.weight_decay >= 0, "optim.weight_decay", self.weight_decay, "a number >= 0")
        _check(0 <= self.momentum < 1, "optim.momentum", self.momentum, "a number in [0, 1)")
        _check(0 <= self.beta1 < 1, "optim.beta1", self.beta1, "a number in [0, 1)")
        _check(0 <= self.beta2 < 1, "optim.beta2", self.beta2, "a number in [0, 1)")
        _check(self.schedule in SCHEDULES, "optim.schedule", self.schedule, f"one of {', '.join(SCHEDULES)}")
        _check(self.warmup_steps >= 0, "optim.warmup_steps", self.warmup_steps, "an integer >= 0")
        _check(all(m >= 0 for m in self.milestones), "optim.milestones", self.milestones, "steps >= 0")
        _check(self.gamma > 0, "optim.gamma", self.gamma, "a number > 0")
        _check(0 <= self.min_lr <= self.lr, "optim.min_lr", self.min_lr, f"a number in [0, optim.lr={self.lr}]")
        over = self.schedule_over
        _check(over in SCHEDULE_OVER, "optim.schedule_over", over, f"one of {', '.join(SCHEDULE_OVER)}")


@dataclass
class TrainConfig:
    max_steps: int = 12_000  # optimizer steps in the whole run
    batch_size: int = 128  # contexts per step, drawn at random from the training split
    eval_interval: int = 1000  # steps between evaluations on the whole validation split
    log_interval: int = 50  # steps between train-loss points (the mean over the interval)
    device: str = "auto"  # auto (cuda, else Apple's mps, else cpu) | cpu | cuda | cuda:N | mps
    diagnostics: bool = True  # at each evaluation: histograms, saturation, update ratios, projector, scatter, samples
    quality_samples: int = 1000  # names sampled at each evaluation for quality/* (new, distinct, ...); 0: none
    resume: str | None = None  # a run directory or checkpoint to go on from, exactly; latest: the newest unfinished run
    max_time: float | None = None  # minutes of training; stop at the first loss/train point past them. null: no limit
    patience: int | None = None  # evaluations in a row without a new best val before stopping; null: never stop early
    init_from: str | None = None  # fine-tune: a run directory or checkpoint whose weights (and shape) start this run
    threads: int = 0  # torch's intra-op CPU threads; 0: auto, 1 for a small model's step, else torch's default
    compile: bool = False  # torch.compile the training forward/backward: a one-off compile, needs a C++ compiler
    precision: str = "fp32"  # fp32 | bf16: autocast of the training steps (for GPUs; evaluation stays fp32)

    def __post_init__(self):
        _check(self.max_steps >= 1, "train.max_steps", self.max_steps, "an integer >= 1")
        _check(self.batch_size >= 1, "train.batch_size", self.batch_size, "an integer >= 1")
        _check(self.eval_interval >= 1, "train.eval_interval", self.eval_interval, "an integer >= 1")
        _check(self.log_interval >= 1, "train.log_interval", self.log_interval, "an integer >= 1")
        _check(self.quality_samples >= 0, "train.quality_samples", self.quality_samples, "an integer >= 0 (0: off)")
        _check(self.threads >= 0, "train.threads", self.threads, "an integer >= 0 (0: torch's default)")
        _check(self.precision in PRECISIONS, "train.precision", self.precision, f"one of {', '.join(PRECISIONS)}")
        ok = self.device in DEVICES or self.device.startswith("cuda:")
        _check(ok, "train.device", self.device, "auto, cpu, cuda, cuda:N or mps")
        _check(self.max_time is None or self.max_time > 0, "train.max_time", self.max_time, "minutes > 0, or null")
        _check(self.patience is None or self.patience >= 1, "train.patience", self.patience, "an integer >= 1, or null")
        _check(not (self.resume and self.init_from), "train.init_from", self.init_from,
               "no train.init_from with train.resume (a resumed run has its weights already)")  # fmt: skip


SEEDS = "an integer from -2**63 to 2**64 - 1 (what torch.manual_seed takes)"


def _seed_ok(seed: int) -> bool:
    return -(2**63) <= seed < 2**64


def _run_value(run: Any) -> str | list[str] | None:
    """run=: None, one path (str), or several (a list of str: an ensemble)."""
    if run is None or isinstance(run, str):
        return run
    if isinstance(run, (list, tuple)):
        return [str(r) for r in run]
    return str(run)


@dataclass
class Config:
    seed: int = 1337  # seeds the weights, the minibatches and dropout: same seed, same run, bit for bit
    data: DataConfig = field(default_factory=DataConfig)
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self):
        timed = self.optim.schedule_over != "time" or self.train.max_time is not None
        _check(timed, "optim.schedule_over", self.optim.schedule_over, "steps when train.max_time is null")
        _check(_seed_ok(self.seed), "seed", self.seed, SEEDS)


@dataclass
class UseConfig:
    """What sample.py, score.py and evaluate.py share: the trained run they use, where, and how it predicts."""

    # a run directory or a checkpoint file; default (or latest): the newest run under outputs/. Several: run=[A,B] or
    # a -m sweep's directory, whose models predict together (the mean of their distributions: inference/ensemble.py)
    run: Any = None
    device: str = "cpu"  # where to compute: cpu | cuda | cuda:N | mps | auto
    # torch's CPU threads; 0: auto, as training chooses them (1 for a small model, else one per core); evaluate.py's
    # auto is the run's own train.threads choice, so that a run's own split gives back its loss bit for bit
    threads: int = 0
    dropout_samples: int = 0  # > 0: predict as the mean over this many dropout masks (Monte Carlo dropout,
    # makemore/inference/dropout_mean.py); 0: dropout off, the number training reports

    def __post_init__(self):
        self.run = _run_value(self.run)
        ok = self.device in DEVICES or self.device.startswith("cuda:")
        _check(ok, "device", self.device, "auto, cpu, cuda, cuda:N or mps")
        _check(self.dropout_samples >= 0, "dropout_samples", self.dropout_samples, "an integer >= 0 (0: dropout off)")
        _check(self.threads >= 0, "threads", self.threads, "an integer >= 0 (0: auto)")


@dataclass
class SampleConfig(UseConfig):
    num_samples: int = 20  # names printed, one per line
    seed: int = 0  # same seed, same names
    temperature: float = 1.0  # < 1 sharper and safer, > 1 wilder
    top_k: int | None = None  # sample only among the k likeliest characters; null: all of them
    prefix: str = ""  # every name starts with these letters
    max_len: int = 32  # characters per name at most, prefix included
    only_new: bool = False  # print only names that are not in the training words
    top_p: float = 1.0  # nucleus sampling: only the likeliest characters that make up this much probability; 1: all
    unique: bool = False  # never print a name twice
    mode: str = "sample"  # sample: at random | greedy: the likeliest character each time | likeliest: beam search
    beam_width: int = 100  # mode=likeliest: unfinished names kept at each length
    # mode=likeliest: the fewest characters a name has (the shortest are the likeliest: s, ha); null: the length of
    # the shortest twentieth of the training words (4 on the bundled names)
    min_len: int | None = None
    # after the names, on stderr: how new, distinct and training-like they are (quality.py); keeps the names to measure
    # them together (~70 bytes each), where without it sample.py's memory is a chunk's whatever num_samples
    stats: bool = False

    # num_samples, temperature, top_k, top_p, prefix and max_len are checked against the model's vocabulary by
    # makemore.inference.sampling.check_options, before the first name is made
    def __post_init__(self):
        super().__post_init__()
        self.prefix = as_in_a_file(self.prefix)
        _check(_seed_ok(self.seed), "seed", self.seed, SEEDS)
        _check(self.mode in DECODE_MODES, "mode", self.mode, f"one of {', '.join(DECODE_MODES)}")
        _check(self.beam_width >= 1, "beam_width", self.beam_width, "an integer >= 1 (names kept at each length)")
        ok = self.min_len is None or 1 <= self.min_len <= self.max_len
        _check(ok, "min_len", self.min_len, f"null or an integer from 1 to max_len={self.max_len}")
        if self.mode != "sample":  # the likeliest names, not random ones: nothing here would shape a draw
            for key, value, default in (("temperature", self.temperature, 1.0), ("top_k", self.top_k, None),
                                        ("top_p", self.top_p, 1.0)):  # fmt: skip
                why = f"{default} with mode={self.mode}, which takes the likeliest characters (only mode=sample draws)"
                _check(value == default, key, value, why)
            why = "false with mode=greedy, which makes one name (mode=likeliest only_new=true: the likeliest new ones)"
            _check(not (self.mode == "greedy" and self.only_new), "only_new", self.only_new, why)


def as_in_a_file(text: str) -> str:
    """Letters typed on the command line (score.py word=, sample.py prefix=) as a word file's are read
    (makemore/data/words.py): NFC, so that "café" typed as e + a combining accent is the file's "café"; a byte-order
    mark and the whitespace around dropped."""
    return unicodedata.normalize("NFC", text.strip().lstrip(BOM).strip())


BOM = "\ufeff"  # a byte-order mark: Windows editors start files with one, and `cat` puts them inside lists


DECODE_MODES = ("sample", "greedy", "likeliest")
FORMATS = ("table", "csv", "json")
SPLITS = ("train", "val", "test")


@dataclass
class ScoreConfig(UseConfig):
    words: str | None = None  # a file with one word per line, or - for stdin
    word: Any = None  # words given inline: word=emma or 'word=[emma,xqzt]'
    format: str = "table"  # table (aligned, for people) | csv | json
    sort: bool = True  # likeliest first; false: in the order given

    def __post_init__(self):
        super().__post_init__()
        if self.word is not None and not isinstance(self.word, list):
            self.word = [self.word]  # word=emma: one word
        self.word = [as_in_a_file(str(w)) for w in self.word or []]
        _check(self.format in FORMATS, "format", self.format, f"one of {', '.join(FORMATS)}")


@dataclass
class EvalDataConfig:
    path: str | None = None  # a word file to evaluate on, whole; null: the run's own split (split=)


@dataclass
class EvaluateConfig(UseConfig):
    data: EvalDataConfig = field(default_factory=EvalDataConfig)
    split: str | None = None  # train | val | test of the run's own words; null: val, unless data.path is given
    format: str = "table"  # table | json

    def __post_init__(self):
        super().__post_init__()
        _check(self.split is None or self.split in SPLITS, "split", self.split, f"one of {', '.join(SPLITS)}")
        _check(not (self.split and self.data.path), "split", self.split,
               "no split with data.path (a given file is evaluated whole)")  # fmt: skip
        _check(self.format in ("table", "json"), "format", self.format, "table or json")
