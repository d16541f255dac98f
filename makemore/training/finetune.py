"""Fine-tuning: `python train.py data.path=new_words.txt train.init_from=RUN` starts from a trained run's weights.

    ckpt, path = load_source(cfg.train.init_from)          # RUN's best.pt (else last.pt), or a .pt file
    cfg = adopt_shape(cfg, ckpt, path, overrides)          # the model's shape is the checkpoint's
    model = build_model(cfg, len(vocab))                   # fresh weights for the new words' vocabulary (seeded)
    copy_weights(model, ckpt, vocab, cfg)                  # the checkpoint's weights, mapped onto that vocabulary

The new vocabulary is mapped onto the old one: a character both know keeps its embedding row and its output
weights; a new character keeps the fresh row build_model drew for it; a character only the old words had is
dropped. The boundary token (id 0) is shared, however it is shown. Which axes of which tensors the vocabulary
indexes is found by building the model for one token more and seeing which sizes grow, so every model family
is mapped the same way, without a list of its layers. Optimizer, step, schedule and best val start fresh.
"""

import dataclasses
import logging
from pathlib import Path

import torch
from torch import nn

from makemore.config import Config, ConfigError, DataConfig, EmbeddingConfig, ModelConfig, flat_keys
from makemore.data.vocab import Vocab
from makemore.models import build_model
from makemore.runs.checkpoint import CheckpointError, config_to_dict, load_checkpoint
from makemore.runs.layout import BEST, LAST, find_checkpoint

log = logging.getLogger(__name__)

SHAPE_GROUPS = ("model.", "embedding.")  # every key of these groups, and data.block_size, come from the checkpoint


def load_source(init_from: str | Path) -> tuple[dict, Path]:
    """The checkpoint train.init_from means: a .pt file, or a run directory's best.pt (else its last.pt)."""
    path = find_checkpoint(init_from, prefer=(BEST, LAST), key="train.init_from")
    return load_checkpoint(path), path


def was_fine_tuned(ckpt: dict) -> bool:
    """Whether the checkpoint's run started from another (its shape then came from that one, not its command)."""
    return bool(ckpt["config"]["train"].get("init_from"))


def is_shape_key(key: str) -> bool:
    return key.startswith(SHAPE_GROUPS) or key == "data.block_size"


def adopt_shape(cfg: Config, ckpt: dict, path: Path, overrides: tuple[str, ...]) -> Config:
    """cfg with the checkpoint's model.*, embedding.* and data.block_size; one line if the command line (overrides:
    the keys it set) asked for a different one."""
    old, new = flat_keys(ckpt["config"]), flat_keys(config_to_dict(cfg))
    for key in overrides:
        if is_shape_key(key) and key in old and new.get(key) != old[key]:
            raise ConfigError(
                f"train.init_from={path}: {key}={new.get(key)} conflicts with the checkpoint's {key}={old[key]}; "
                "the model's shape comes from the checkpoint, drop the override"
            )
    source = ckpt["config"]
    data = DataConfig(**{**dataclasses.asdict(cfg.data), "block_size": source["data"]["block_size"]})
    model, embedding = ModelConfig(**source["model"]), EmbeddingConfig(**source["embedding"])
    return dataclasses.replace(cfg, data=data, model=model, embedding=embedding)


def shared_ids(new: tuple[str, ...], old: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """The ids, in the new and in the old vocabulary, of the tokens both have; the boundary (id 0) always."""
    old_id = {token: i for i, token in enumerate(old) if i > 0}
    pairs = [(0, 0)] + [(i, old_id[token]) for i, token in enumerate(new) if i > 0 and token in old_id]
    new_ids, old_ids = zip(*pairs)
    return torch.tensor(new_ids), torch.tensor(old_ids)


def vocab_axes(model: nn.Module, cfg: Config, vocab_size: int) -> dict[str, list[int]]:
    """For every state-dict tensor, the axes the vocabulary indexes: those that grow by one in a model built for one
    token more. (Built under a forked RNG, so the run's random numbers stay those of a run from scratch.)"""
    with torch.random.fork_rng(devices=[]):
        bigger = build_model(cfg, vocab_size + 1).state_dict()
    axes = {}
    for name, tensor in model.state_dict().items():
        grown = [(a, m - n) for a, (n, m) in enumerate(zip(tensor.shape, bigger[name].shape)) if m != n]
        if any(by != 1 for _, by in grown):
            raise CheckpointError(f"train.init_from: {name} grows by {grown} per token, can't map its vocabulary")
        axes[name] = [a for a, _ in grown]
    return axes


def mapped(fresh: torch.Tensor, old: torch.Tensor, axes: list[int], new_ids: torch.Tensor, old_ids: torch.Tensor):
    """fresh, with old's entries written where both index shared tokens along every vocabulary axis.

    One axis at a time: the shared slices of the first axis are mapped along the remaining ones, then put back.
    """
    if not axes:
        return old
    inner = mapped(fresh.index_select(axes[0], new_ids), old.index_select(axes[0], old_ids), axes[1:], new_ids, old_ids)
    return fresh.index_copy(axes[0], new_ids, inner)


@torch.no_grad()
def copy_weights(model: nn.Module, ckpt: dict, vocab: Vocab, cfg: Config) -> None:
    """Load the checkpoint's weights into model (built for vocab), token rows mapped as the module docstring says."""
    state, source = model.state_dict(), ckpt["model"]
    if state.keys() != source.keys():
        raise CheckpointError(f"train.init_from: the checkpoint's weights don't fit {cfg.model.name}")
    new_ids, old_ids = shared_ids(vocab.itos, ckpt["vocab"])
    for name, axes in vocab_axes(model, cfg, len(vocab)).items():
        state[name].copy_(mapped(state[name], source[name].to(state[name].dtype), axes, new_ids, old_ids))
    new = [t for t in vocab.itos[1:] if t not in ckpt["vocab"]]
    dropped = [t for t in ckpt["vocab"][1:] if t not in vocab.itos]
    log.info(
        f"fine-tuning from {len(ckpt['vocab'])}-token weights: {len(new_ids)} tokens shared, "
        f"{len(new)} new ({''.join(new)}), {len(dropped)} dropped ({''.join(dropped)})"
    )
