"""The model zoo: every family behind one contract (makemore/models/base.py) and one builder.

    model = build_model(cfg, vocab_size)   # cfg: the whole run Config
    logits, loss = model(idx, targets)
    logits = model.next_logits(history)

A new family is one file here, a line in MODELS and its name in config.MODELS (where
model.name is checked when the config is loaded).
"""

from torch import nn

from makemore.config import Config, ConfigError
from makemore.models.bigram import Bigram
from makemore.models.bow import BoW
from makemore.models.hierarchical import Hierarchical
from makemore.models.mlp import MLP
from makemore.models.recurrent import GRU, LSTM, RNN
from makemore.models.transformer import Transformer

MODELS = {
    "bigram": Bigram,
    "mlp": MLP,
    "hierarchical": Hierarchical,
    "rnn": RNN,
    "gru": GRU,
    "lstm": LSTM,
    "bow": BoW,
    "transformer": Transformer,
}


def block_size_for(cfg: Config, longest_word: int) -> int:
    """data.block_size when it is given, else the model's natural context length for these words."""
    if cfg.data.block_size is not None:
        return cfg.data.block_size
    return MODELS[cfg.model.name].natural_block_size(cfg.model, longest_word)


def build_model(cfg: Config, vocab_size: int) -> nn.Module:
    """The model cfg.model names, over cfg.data.block_size ids, with the cfg.embedding.name table."""
    block_size = cfg.data.block_size
    if block_size is None:
        raise ConfigError(
            "config key data.block_size=None: resolve it before building, "
            "with makemore.models.block_size_for(cfg, longest_word)"
        )
    return MODELS[cfg.model.name](cfg.model, vocab_size, block_size, cfg.embedding.name)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
