"""Will the run fit? Its memory, estimated before anything is allocated, against what the machine has.

    check_fits(cfg, corpus, device)   # ConfigError naming the key to shrink and the largest value that fits

The model is built and run once on one row (for CPU-sized models on the CPU, else on torch's "meta" device:
shapes, no storage), so the estimate holds for any model of the zoo:
    parameters   4 bytes each, x4: weights, gradients and AdamW's two moments (an upper bound for SGD)
    activations  every module's output per row, for a training minibatch (x2: backward keeps them and their
                 gradients) or an evaluation chunk, whichever is bigger
    examples     every split's token stream (a byte per character) and 4 bytes per row (an upper bound: a code is
                 a byte up to block_size 255; makemore/data/examples.py)
against what is free: MemAvailable (/proc/meminfo) and the address-space limit (ulimit -v) on the CPU, the
GPU's free memory on CUDA. Where neither is known nothing is refused.
"""

import copy
import ctypes
import resource
from pathlib import Path

import torch
from torch import nn

from makemore.config import Config, ConfigError, ModelConfig, TrainConfig
from makemore.data.split import Corpus
from makemore.inference.evaluation import EVAL_CHUNK
from makemore.models import build_model, count_params

GB = 2**30
# the keys that size a run, with their defaults: the one furthest above its default is the one to shrink
SIZE_KEYS = {
    "model.n_hidden": ModelConfig.n_hidden,
    "model.n_embd": ModelConfig.n_embd,
    "model.n_layers": ModelConfig.n_layers,
    "train.batch_size": TrainConfig.batch_size,
    "data.block_size": 5,  # null by default (the model's own); 5 is the mlp's
}
REAL_BUILD = 4  # model sizes up to 4x the defaults are estimated on a real model (the largest: ~50 MB, for a moment)
REAL_VOCAB = 4096  # ... over a vocabulary up to this: the bigram's table is vocab_size squared (64 MB at 4096)


def available_bytes(device: torch.device) -> tuple[int, str] | None:
    """The bytes this process may still allocate on `device`, and where that number comes from."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0], "free on the GPU"
    found = []
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        fields = dict(line.split(":", 1) for line in meminfo.read_text().splitlines() if ":" in line)
        if "MemAvailable" in fields:
            found.append((int(fields["MemAvailable"].split()[0]) * 1024, "available (MemAvailable)"))
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    status = Path("/proc/self/status")
    if limit != resource.RLIM_INFINITY and status.is_file():
        vm_size = next(line for line in status.read_text().splitlines() if line.startswith("VmSize"))
        used = int(vm_size.split()[1]) * 1024
        found.append((max(limit - used, 0), "left under the address-space limit (ulimit -v)"))
    return min(found) if found else None


def estimate(cfg: Config, corpus: Corpus) -> dict[str, int]:
    """Bytes the run needs: {"parameters", "activations", "examples"}; raises ConfigError for a model it can't build."""
    model, per_row = model_sizes(cfg, len(corpus.vocab))
    T, val, splits = model.block_size, corpus.splits["val"], corpus.splits.values()
    targets = sum(split.characters + len(split) for split in splits)  # every character and word end
    if model.sequence:  # a row per word and one per target beyond T: 4 + 8 bytes (code, start), 24 while built
        n_rows = sum(max(n + 1 - T, 0) + 1 for split in splits for n in split.lengths)
        examples, val_rows = targets + 36 * n_rows, sum(max(n + 1 - T, 0) + 1 for n in val.lengths)
    else:  # a row per target: its code, 4 bytes, and 8 while built
        examples, val_rows = 13 * targets, val.characters + len(val)
    rows = max(2 * cfg.train.batch_size, min(EVAL_CHUNK, val_rows))
    return {"parameters": 4 * 4 * count_params(model), "activations": 4 * per_row * rows, "examples": examples}


def model_sizes(cfg: Config, vocab_size: int) -> tuple[nn.Module, int]:
    """The model (without usable weights) and the numbers its modules output for one row: from a forward of one
    row, on the CPU for a model within REAL_BUILD times its default sizes, else on the "meta" device (shapes, no
    storage). Both give the same numbers; meta's Python kernels would stay resident: ~80 MB and 1 s of imports."""
    model_keys = [key for key in SIZE_KEYS if key != "train.batch_size"]
    real = all(_get(cfg, key) <= REAL_BUILD * SIZE_KEYS[key] for key in model_keys) and vocab_size <= REAL_VOCAB
    # the real model's random draws must not move the run's: the global generator is put back afterwards
    with torch.random.fork_rng(devices=[]), torch.no_grad(), torch.device("cpu" if real else "meta"):
        model = build_model(cfg, vocab_size).eval()  # eval: BatchNorm takes one row; the shapes are the same
        per_row = []
        hooks = [m.register_forward_hook(lambda m, i, out: per_row.append(_numel(out))) for m in model.modules()]
        model(torch.zeros(1, model.block_size, dtype=torch.long))  # one row: a context, or a whole word
    for hook in hooks:
        hook.remove()
    return model, sum(per_row)


def _numel(out) -> int:
    if isinstance(out, torch.Tensor):
        return out.numel()
    return sum(_numel(o) for o in out) if isinstance(out, (tuple, list)) else 0


def check_fits(cfg: Config, corpus: Corpus, device: torch.device) -> None:
    """Refuse, before anything is allocated, a run that can't fit: one line naming the key and a value that fits."""
    free = available_bytes(device)
    if free is None:
        return
    budget, where = free
    need = estimate(cfg, corpus)
    if sum(need.values()) <= budget:
        return
    key = max(SIZE_KEYS, key=lambda k: _get(cfg, k) / SIZE_KEYS[k])
    fits = largest_fitting(cfg, corpus, key, budget)
    parts = ", ".join(f"{name} {b / GB:,.1f}" for name, b in need.items())
    advice = f"{key}={fits} or less would fit" if fits else "a smaller model, train.batch_size or data.block_size"
    vocab = len(corpus.vocab)
    if not fits and vocab > REAL_VOCAB:  # the alphabet, not a size key: 40,000 CJK characters, say
        raise ConfigError(
            f"{cfg.data.path}: its vocabulary of {vocab:,} characters is too big for model={cfg.model.name} on this "
            f"machine: the run needs about {sum(need.values()) / GB:,.1f} GB ({parts}) and {budget / GB:,.1f} GB is "
            f"{where}; use a list with fewer distinct characters, or a model whose size grows less with them (mlp)"
        )
    raise ConfigError(
        f"config key {key}={_get(cfg, key)} is too big for this machine: the run needs about "
        f"{sum(need.values()) / GB:,.1f} GB ({parts}) and {budget / GB:,.1f} GB is {where}; {advice}"
    )


def largest_fitting(cfg: Config, corpus: Corpus, key: str, budget: int) -> int | None:
    """The largest value of `key` (below its value in cfg) whose run fits in budget bytes, or None."""

    def fits(value: int) -> bool:
        trial = copy.deepcopy(cfg)
        group, name = key.split(".")
        setattr(getattr(trial, group), name, value)
        try:
            return sum(estimate(trial, corpus).values()) <= budget
        except ConfigError:  # e.g. the hierarchical model's block_size must be 2 ** n_layers
            return False

    if not fits(1):
        return None
    low, high = 1, _get(cfg, key)  # fits(low), not fits(high)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if fits(mid) else (low, mid)
    return low


def _get(cfg: Config, key: str) -> int:
    group, name = key.split(".")
    return getattr(getattr(cfg, group), name)


def release_free_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's malloc_trim), once everything is built: reading,
    splitting and encoding a big word list frees tens of MB the allocator would otherwise keep for the whole run
    (40 MB at 1M words). Where there is no malloc_trim (macOS, musl), nothing happens."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
