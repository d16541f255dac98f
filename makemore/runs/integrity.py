"""What a checkpoint must be before anything uses it: whole (its digest matches its contents) and well formed (every
field of the type and shape the rest of makemore assumes). load_checkpoint (makemore/runs/checkpoint.py) runs both on
every file it opens, so sample.py, score.py, evaluate.py, train.resume and train.init_from refuse a damaged or
malformed file alike, in one line naming the file and the field.

    fields["digest"] = digest_of(fields)       # at save: sha256 over every field but the digest itself
    check_digest(ckpt, path)                   # at load: refuse a file whose bytes changed since (files written
                                               # before digests existed have none, and load as they always did)
    check_fields(ckpt, path, cfg)              # the model's tensors against the model the config and vocab build

torch.load does not check the zip's CRCs, so a flipped bit inside a weight's bytes would load as a silently
different weight: the digest is what catches it.
"""

import hashlib
import math
from collections import Counter
from pathlib import Path

import torch

from makemore.config import Config
from makemore.models import build_model

DIGEST = "digest"  # checkpoint key: "sha256:<hex>" over every other field (digest_of)
MAX_VOCAB = 0x110000 + 1  # one token per Unicode character, and the boundary: a longer vocabulary is no vocabulary
RNG_STATES = ("torch", "batches")  # the CPU generators every resumable checkpoint holds


class CheckpointError(ValueError):
    """A file that is not a usable makemore checkpoint; the message names the file."""


def digest_of(fields: dict) -> str:
    """sha256 over the fields' contents in a canonical order: tensors by dtype, shape and bytes; dicts by key."""
    h = hashlib.sha256()
    _feed(h, {k: v for k, v in fields.items() if k != DIGEST})
    return "sha256:" + h.hexdigest()


def _feed(h, value) -> None:
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)};".encode())
        h.update(memoryview(t.reshape(-1).view(torch.uint8).numpy()))
    elif isinstance(value, dict):
        h.update(f"D{len(value)};".encode())
        for key in sorted(value, key=repr):
            _feed(h, key)
            _feed(h, value[key])
    elif isinstance(value, (list, tuple)):
        h.update(f"L{len(value)};".encode())
        for item in value:
            _feed(h, item)
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")  # a tampered str may hold lone surrogates: hash them all the same
        h.update(f"S{len(data)};".encode())
        h.update(data)
    else:  # int, float, bool, None: repr is exact (floats round-trip)
        h.update(f"{type(value).__name__}:{value!r};".encode())


def check_digest(ckpt: dict, path: Path) -> None:
    stored = ckpt.get(DIGEST)
    if stored is None:  # written before checkpoints carried a digest
        return
    if stored != digest_of(ckpt):
        raise CheckpointError(
            f"checkpoint {path}: damaged, its contents do not match the sha256 digest written with it (changed on "
            "disk since it was saved); use the run's other checkpoint (best.pt or last.pt) or train again"
        )


def check_fields(ckpt: dict, path: Path, cfg: Config) -> None:
    """Refuse anything the loaders would trip over later, or use silently wrong: see the checks below."""
    where = f"checkpoint {path}"
    check_numbers(ckpt, where)
    vocab = check_vocab(ckpt["vocab"], where)
    reference = check_model(ckpt["model"], cfg, len(vocab), where)
    check_words(ckpt["train_words"], vocab, where)
    check_optimizer(ckpt["optimizer"], len(list(reference.parameters())), where)
    if "rng" in ckpt:
        check_rng(ckpt["rng"], where)
    if "loss_window" in ckpt:
        window = ckpt["loss_window"]
        ok = isinstance(window, torch.Tensor) and window.is_floating_point() and window.dim() == 1
        if not ok or len(window) > cfg.train.log_interval:
            raise CheckpointError(
                f"{where}: loss_window is not the minibatch losses since the last loss/train point "
                f"(expected a 1-d float tensor of at most train.log_interval={cfg.train.log_interval} values)"
            )


def is_count(value) -> bool:
    return type(value) is int and value >= 0


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_numbers(ckpt: dict, where: str) -> None:
    for key in ("step", "best_step"):
        if key in ckpt and not is_count(ckpt[key]):
            raise CheckpointError(f"{where}: {key}={ckpt[key]!r} is not a step count (expected an integer >= 0)")
    if not is_number(ckpt["best_val_loss"]) or math.isnan(ckpt["best_val_loss"]):
        raise CheckpointError(f"{where}: best_val_loss={ckpt['best_val_loss']!r} is not a loss (expected a number)")
    seconds = ckpt.get("train_seconds", 0.0)
    if not is_number(seconds) or not (0 <= seconds < math.inf):
        raise CheckpointError(f"{where}: train_seconds={seconds!r} is not a duration (expected a number >= 0)")


def check_vocab(vocab, where: str) -> list[str]:
    if not (isinstance(vocab, (list, tuple)) and vocab and all(isinstance(t, str) and t for t in vocab)):
        raise CheckpointError(f"{where}: vocab is not a list of token strings")
    if len(vocab) > MAX_VOCAB:
        raise CheckpointError(f"{where}: vocab holds {len(vocab)} tokens, more than Unicode has characters")
    repeated = sorted(t for t, n in Counter(vocab).items() if n > 1)
    if repeated:
        raise CheckpointError(f"{where}: vocab holds {', '.join(map(repr, repeated[:3]))} more than once")
    longer = [t for t in vocab[1:] if len(t) != 1]
    if longer:
        raise CheckpointError(f"{where}: vocab entry {longer[0]!r} is not one character (only vocab[0] is)")
    return list(vocab)


def check_words(words, vocab: list[str], where: str) -> None:
    """train_words: one str joined by "\\n" (or, in older files, a list of strs), in the vocabulary's characters."""
    if isinstance(words, (list, tuple)) and all(isinstance(w, str) for w in words):
        words = "\n".join(words)
    if not isinstance(words, str):
        raise CheckpointError(f"{where}: train_words is not the training words (expected strings)")
    try:
        words.encode("utf-8")
    except UnicodeEncodeError as e:
        raise CheckpointError(f"{where}: train_words hold undecodable bytes ({e.reason} at {e.start})") from None
    foreign = set(words) - {"\n"} - set(vocab[1:])
    if foreign:
        shown = "".join(sorted(foreign)[:10]).encode("ascii", "backslashreplace").decode()
        raise CheckpointError(f"{where}: train_words hold characters the vocab lacks: {shown}")


def check_model(state, cfg: Config, vocab_size: int, where: str) -> torch.nn.Module:
    """The weights against the model the checkpoint's own config and vocab build (on the meta device: shapes only,
    no memory, no random numbers drawn): the same names, shapes and kinds, and every value finite."""
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in state.items()):  # fmt: skip
        raise CheckpointError(f"{where}: model is not a state dict (names to tensors)")
    try:
        with torch.random.fork_rng(devices=[]), torch.device("meta"):
            reference = build_model(cfg, vocab_size)
    except (ValueError, TypeError, KeyError, RuntimeError) as e:
        raise CheckpointError(f"{where}: its config builds no model: {first_line(e)}") from None
    expected = reference.state_dict()
    missing, extra = sorted(expected.keys() - state.keys()), sorted(state.keys() - expected.keys())
    if missing or extra:
        what = f"lacks {', '.join(missing[:3])}" if missing else f"has unknown {', '.join(extra[:3])}"
        raise CheckpointError(f"{where}: model {what} for a {cfg.model.name} model of {vocab_size} tokens")
    for name, want in expected.items():
        t = state[name]
        if t.shape != want.shape or t.is_floating_point() != want.is_floating_point():
            raise CheckpointError(
                f"{where}: model weight {name} is {t.dtype} {tuple(t.shape)}, the config and vocab of "
                f"{vocab_size} tokens build {want.dtype} {tuple(want.shape)}"
            )
    bad = [name for name, t in state.items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if bad:
        raise CheckpointError(f"{where}: weights {', '.join(bad[:3])} hold NaN or infinite values")
    return reference


def check_optimizer(state, n_params: int, where: str) -> None:
    """A torch optimizer state dict for n_params parameters. (That each state tensor has its parameter's shape is
    checked where the optimizer is built, training/resume.py: which parameter is which depends on its groups.)"""
    groups = state.get("param_groups") if isinstance(state, dict) else None
    ok = isinstance(groups, list) and isinstance(state.get("state"), dict)
    ok = ok and all(isinstance(g, dict) and isinstance(g.get("params"), list) for g in groups)
    ids = [i for g in groups for i in g["params"]] if ok else []
    if not ok or not all(is_count(i) for i in ids) or sorted(ids) != list(range(n_params)):
        raise CheckpointError(
            f"{where}: optimizer is not an optimizer state for the model's {n_params} parameters (torch's state dict: "
            "state and param_groups)"
        )
    if not set(state["state"]) <= set(ids) or not all(isinstance(s, dict) for s in state["state"].values()):
        raise CheckpointError(f"{where}: optimizer state names parameters the model does not have")


def check_rng(rng, where: str) -> None:
    if not isinstance(rng, dict) or any(k not in rng for k in RNG_STATES):
        raise CheckpointError(f"{where}: rng lacks the {' and '.join(RNG_STATES)} generator states; can't resume it")
    size = torch.get_rng_state().numel()
    for key in RNG_STATES:
        state = rng[key]
        if not (isinstance(state, torch.Tensor) and state.dtype == torch.uint8 and state.numel() == size):
            raise CheckpointError(f"{where}: rng {key} is not a CPU generator state ({size} bytes); can't resume it")
    for key in ("cuda", "mps"):
        state = rng.get(key)
        if state is not None and not (isinstance(state, torch.Tensor) and state.dtype == torch.uint8):
            raise CheckpointError(f"{where}: rng {key} is not a generator state; can't resume it")


def first_line(e: BaseException) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
