import math

import pytest
import torch

import makemore.config
import makemore.models
import makemore.models.embedding
from makemore.config import Config, ConfigError, DataConfig, EmbeddingConfig, ModelConfig
from makemore.data.examples import Examples
from makemore.data.vocab import Vocab
from makemore.inference.evaluation import evaluate
from makemore.models import MLP, build_model, count_params


def config(block_size, embedding="lookup", **model) -> Config:
    data, model = DataConfig(block_size=block_size), ModelConfig(**model)
    return Config(data=data, embedding=EmbeddingConfig(embedding), model=model)


def make(embedding="lookup", seed=0, **kw):
    torch.manual_seed(seed)
    return build_model(config(3, embedding, **kw), vocab_size=27)


def test_interface_shapes_and_loss():
    model = make()
    idx = torch.randint(0, 27, (5, 3))
    logits, loss = model(idx)
    assert logits.shape == (5, 27) and loss is None
    logits, loss = model(idx, torch.randint(0, 27, (5,)))
    assert loss.shape == () and torch.isfinite(loss)


def test_lecture_model_parameter_count():
    # lecture part 2: C 27x10, W1 30x200, b1 200, W2 200x27, b2 27
    model = make(n_embd=10, n_hidden=200, n_layers=1, norm="none", dropout=0.0, init="lecture")
    assert count_params(model) == 27 * 10 + 30 * 200 + 200 + 200 * 27 + 27 == 11897


def test_scaled_init_starts_near_uniform():
    model = make(dropout=0.0).eval()
    _, loss = model(torch.randint(0, 27, (4096, 3)), torch.randint(0, 27, (4096,)))
    assert abs(loss.item() - math.log(27)) < 0.05  # not "confidently wrong"


def test_batchnorm_is_in_eval_mode_for_evaluation():
    model = make(norm="batchnorm", dropout=0.0)
    model.train()
    words = ["".join(chr(97 + int(i)) for i in torch.randint(0, 26, (n,))) for n in torch.randint(1, 8, (20,))]
    examples = Examples.build(words, Vocab.from_words([chr(97 + i) for i in range(26)]), 3, sequence=False)
    X, Y = examples.chunk(0, len(examples))
    bn = model.hidden[1]
    before = bn.running_mean.clone()
    loss = evaluate(model, examples)
    assert torch.equal(bn.running_mean, before)  # evaluation never updates the running statistics
    assert model.training  # and hands the model back as it found it
    model.eval()
    with torch.no_grad():
        assert loss == pytest.approx(model(X, Y)[1].item(), rel=1e-6)


def test_dropout_layers_only_when_asked():
    assert not any(isinstance(m, torch.nn.Dropout) for m in make(dropout=0.0).modules())
    assert sum(isinstance(m, torch.nn.Dropout) for m in make(dropout=0.2, n_layers=3).modules()) == 3
    assert isinstance(make(), MLP)


def make_hierarchical(embedding="lookup", **kw):
    torch.manual_seed(0)
    cfg = config(8, embedding, name="hierarchical", n_embd=4, n_hidden=8, n_layers=3, dropout=0.0, **kw)
    return build_model(cfg, vocab_size=27)


@pytest.mark.parametrize("norm", ["none", "batchnorm", "layernorm"])
def test_hierarchical_fuses_neighbours_in_pairs(norm):
    model = make_hierarchical(norm=norm).eval()
    idx = torch.randint(0, 27, (5, 8))
    logits, _ = model(idx)
    # by hand: pair up positions (0,1) (2,3) ..., apply the level, repeat
    x = model.embedding(idx)  # (5, 8, 4)
    for level in model.levels:
        x = torch.cat([x[:, 0::2], x[:, 1::2]], dim=2)  # (5, T/2, 2C): each even position beside its right neighbour
        x = level(x)
    assert torch.allclose(logits, model.head(x[:, 0]), atol=1e-6)
    # the first character of the context still reaches the logits, through every level
    changed = idx.clone()
    changed[:, 0] = (changed[:, 0] + 1) % 27
    assert not torch.allclose(model(changed)[0], logits)


def test_hierarchical_needs_block_size_a_power_of_two():
    with pytest.raises(ConfigError, match=r"data.block_size=5 .* expected 2 \*\* n_layers = 8"):
        build_model(config(5, name="hierarchical", n_layers=3), vocab_size=27)


def test_model_and_embedding_names_are_checked_when_the_config_is_loaded():
    with pytest.raises(ConfigError, match=r"model.name='cnn' is invalid: expected one of bigram, mlp, "):
        ModelConfig(name="cnn")
    with pytest.raises(ConfigError, match=r"embedding.name='table' is invalid"):
        EmbeddingConfig(name="table")


def test_config_name_lists_are_the_registries():
    assert tuple(makemore.models.MODELS) == makemore.config.MODELS
    assert tuple(makemore.models.embedding.EMBEDDINGS) == makemore.config.EMBEDDINGS


def test_old_checkpoint_keys_still_load():
    # the state_dict keys of the single-file models.py, before the package: old checkpoints load as they are
    mlp = make(norm="layernorm", n_layers=2, dropout=0.1)
    assert list(mlp.state_dict()) == [
        "embedding.lookup.weight", "hidden.0.weight", "hidden.1.weight", "hidden.1.bias",
        "hidden.4.weight", "hidden.5.weight", "hidden.5.bias", "head.weight", "head.bias",
    ]  # fmt: skip
    keys = make_hierarchical("onehot", norm="batchnorm").state_dict()
    assert {"embedding.proj.weight", "levels.0.0.weight", "levels.0.1.running_mean", "levels.2.0.weight"} <= set(keys)
