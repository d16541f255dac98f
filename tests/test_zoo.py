"""Every family keeps the contract of makemore/models/base.py, at tiny sizes."""

import pytest
import torch
import torch.nn.functional as F

from helpers import LONGEST, ZOO, V, batch, build
from makemore.config import Config, ConfigError, DataConfig, EmbeddingConfig, ModelConfig
from makemore.data.examples import build_contexts, build_sequences
from makemore.data.vocab import Vocab
from makemore.models import MODELS, block_size_for, build_model
from makemore.models.embedding import build_embedding

SEQUENCE = ["rnn", "gru", "lstm", "bow", "transformer"]
NATURAL = {"bigram": 1, "mlp": 5, "hierarchical": 4, **{m: LONGEST + 1 for m in SEQUENCE}}


def test_registry_covers_every_family_and_its_kind():
    assert set(MODELS) == set(ZOO) == set(NATURAL)
    assert [m for m in MODELS if MODELS[m].sequence] == SEQUENCE


@pytest.mark.parametrize("name", list(MODELS))
def test_natural_block_size(name):
    assert MODELS[name].natural_block_size(ModelConfig(name=name, **ZOO[name]), LONGEST) == NATURAL[name]
    assert build(name).block_size == NATURAL[name]
    given = Config(data=DataConfig(block_size=8), model=ModelConfig(name=name, **ZOO[name]))
    assert block_size_for(given, LONGEST) == 8
    given.data.block_size = None  # not given: the model's own
    assert block_size_for(given, LONGEST) == NATURAL[name]


@pytest.mark.parametrize("name", list(MODELS))
def test_shapes_and_loss_is_the_mean_over_targets_not_ignored(name):
    model = build(name).eval()
    n_embd = V if name == "bigram" else ZOO[name]["n_embd"]
    assert model.embedding.table.shape == (V, n_embd)  # what diagnostics reads
    idx, targets = batch(model)
    logits, loss = model(idx)
    assert loss is None
    logits, loss = model(idx, targets)
    assert logits.shape == ((6, model.block_size, V) if model.sequence else (6, V))
    logp = logits.log_softmax(-1).reshape(-1, V)
    flat = targets.reshape(-1)
    kept = flat != -1
    assert torch.allclose(loss, -logp[kept, flat[kept]].mean(), atol=1e-6)


@pytest.mark.parametrize("name", SEQUENCE)
def test_sequence_models_take_shorter_inputs_and_are_causal(name):
    model = build(name).eval()
    idx, _ = batch(model)
    logits, _ = model(idx)
    short, _ = model(idx[:, :3])
    assert short.shape == (6, 3, V) and torch.allclose(short, logits[:, :3], atol=1e-6)
    changed = idx.clone()
    changed[:, 3] = (changed[:, 3] + 1) % V
    after, _ = model(changed)
    assert torch.equal(after[:, :3], logits[:, :3])  # a later token never reaches an earlier position
    assert not torch.allclose(after[:, 3], logits[:, 3])  # but does reach its own


@pytest.mark.parametrize("name", list(MODELS))
def test_nonlinearities_are_modules_that_diagnostics_can_hook(name):
    model = build(name).eval()
    seen = []
    kinds = (torch.nn.Tanh, torch.nn.GELU, torch.nn.ReLU, torch.nn.Sigmoid)
    for m in model.modules():
        if isinstance(m, kinds):
            m.register_forward_hook(lambda mod, inp, out: seen.append(type(mod)))
    model(batch(model)[0])
    assert bool(seen) == (name != "bigram")  # the bigram has none; every other family calls its own


WORD = "cabbed"  # 6 characters: longer than a sequence model's block_size - 1, so its last ids get cropped
WORD_VOCAB = Vocab(tuple(".abcdef"))


@pytest.mark.parametrize("name", list(MODELS))
def test_next_logits_is_the_prediction_made_in_training(name):
    """next_logits("0 c1 .. ct") equals the logits the model gives the training example for c_{t+1}."""
    model = build(name).eval()
    ids = [0] + WORD_VOCAB.encode(WORD)
    if model.sequence:
        X, Y = build_sequences([WORD], WORD_VOCAB, model.block_size)
        rows = [(r, t) for r in range(len(X)) for t in range(model.block_size) if Y[r, t] != -1]
        with torch.no_grad():
            expected = torch.stack([model(X[r : r + 1])[0][0, t] for r, t in rows])
    else:
        X, _ = build_contexts([WORD], WORD_VOCAB, model.block_size)
        with torch.no_grad():
            expected = model(X)[0]
    got = torch.cat([model.next_logits(torch.tensor([ids[: t + 1]])) for t in range(len(ids))])
    assert torch.allclose(got, expected, atol=1e-5)


# every family, and the MLP under each normalisation (BatchNorm's running statistics see the same vectors)
LOOKUP_ONEHOT = [(name, {}) for name in MODELS] + [("mlp", {"norm": n}) for n in ("batchnorm", "layernorm")]


@pytest.mark.parametrize("name,kw", LOOKUP_ONEHOT, ids=[f"{n}-{kw.get('norm', '')}" for n, kw in LOOKUP_ONEHOT])
def test_lookup_and_onehot_start_identical_and_compute_the_same(name, kw):
    """The seed's claim, C[x] == one_hot(x) @ W, for whole models: the same weights, logits, loss and gradient."""
    a, b = build(name, "lookup", **kw), build(name, "onehot", **kw)
    assert torch.equal(a.embedding.table, b.embedding.table)
    sa, sb = a.state_dict(), b.state_dict()
    rest = [k for k in sa if not k.startswith("embedding.")]
    assert rest == [k for k in sb if not k.startswith("embedding.")]
    assert all(torch.equal(sa[k], sb[k]) for k in rest)
    idx, targets = batch(a, B=16)
    (la, lossa), (lb, lossb) = a(idx, targets), b(idx, targets)
    assert torch.allclose(la, lb, atol=1e-5)
    lossa.backward()
    lossb.backward()
    assert torch.allclose(a.embedding.table.grad, b.embedding.proj.weight.grad.t(), atol=1e-6)


@pytest.mark.parametrize("name", list(MODELS))
def test_training_lowers_the_loss(name):
    model = build(name)
    idx, targets = batch(model, B=4)
    first = model(idx, targets)[1].item()
    for _ in range(12):  # plain gradient descent on one batch; a parameter the loss never reaches has no .grad
        loss = model(idx, targets)[1]
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= 1.0 * p.grad
    assert loss.item() < first - 0.25


def test_stacked_lstm_cells_are_torchs_lstm():
    """Our LSTM of two cells computes what torch's nn.LSTM of two layers computes from the same weights (its gates
    in another order, its bias split in two) and the same learned start states, position by position."""
    model = build("lstm", n_layers=2, n_hidden=8).eval()
    H = 8
    ref = torch.nn.LSTM(4, H, num_layers=2, batch_first=True)
    order = torch.cat([torch.arange(0, 2 * H), torch.arange(3 * H, 4 * H), torch.arange(2 * H, 3 * H)])  # i f g o
    with torch.no_grad():
        for layer, cell in enumerate(model.cells):
            W, b, width = cell.xh_to_gates.weight[order], cell.xh_to_gates.bias[order], 4 if layer == 0 else H
            getattr(ref, f"weight_ih_l{layer}").copy_(W[:, :width])
            getattr(ref, f"weight_hh_l{layer}").copy_(W[:, width:])
            getattr(ref, f"bias_ih_l{layer}").copy_(b)
            getattr(ref, f"bias_hh_l{layer}").zero_()
        model.start.normal_()  # learned start states that are not zero: each layer must begin from its own
        idx, _ = batch(model)
        h0, c0 = model.start[:, None, :H].expand(2, 6, H), model.start[:, None, H:].expand(2, 6, H)
        out, _ = ref(model.embedding(idx), (h0.contiguous(), c0.contiguous()))
        assert torch.allclose(model(idx)[0], model.head(out), atol=1e-5)


@pytest.mark.parametrize("name", ["rnn", "gru", "lstm"])
def test_recurrent_dropout_is_on_in_training_only(name):
    model = build(name, n_layers=2, dropout=0.3)
    idx, _ = batch(model)
    assert not torch.equal(model(idx)[0], model(idx)[0])  # two masks
    model.eval()
    assert torch.equal(model(idx)[0], model(idx)[0])
    assert torch.equal(build(name, dropout=0.0)(idx)[0], build(name, dropout=0.0)(idx)[0])


def test_transformer_heads_must_divide_the_width():
    with pytest.raises(ConfigError, match=r"model.n_head=3 is invalid: expected a divisor of model.n_embd=64"):
        ModelConfig(name="transformer", n_embd=64, n_head=3)


# The seed note's worked example (seed/000): vocabulary @ a b c . and its whole 5x2 table C.
NOTE_VOCAB = ["@", "a", "b", "c", "."]
NOTE_C = torch.tensor([[0.10, -0.20], [0.00, 0.30], [-0.40, 0.20], [0.50, -0.10], [-0.20, 0.40]])
NOTE_ROWS = {"@": [0.10, -0.20], "a": [0.00, 0.30], "b": [-0.40, 0.20], "c": [0.50, -0.10], ".": [-0.20, 0.40]}
NOTE_ONE_HOT = {
    "@": [1, 0, 0, 0, 0],
    "a": [0, 1, 0, 0, 0],
    "b": [0, 0, 1, 0, 0],
    "c": [0, 0, 0, 1, 0],
    ".": [0, 0, 0, 0, 1],
}


def test_seed_note_table_by_lookup_and_by_one_hot_product():
    for name in ("lookup", "onehot"):
        emb = build_embedding(name, 5, 2)
        with torch.no_grad():
            emb.table.copy_(NOTE_C)
        for i, ch in enumerate(NOTE_VOCAB):
            assert torch.equal(torch.tensor(NOTE_ONE_HOT[ch]), F.one_hot(torch.tensor(i), 5))
            assert torch.allclose(emb(torch.tensor(i)), torch.tensor(NOTE_ROWS[ch]), atol=1e-7), (name, ch)
            assert torch.allclose(torch.tensor(NOTE_ONE_HOT[ch]).float() @ NOTE_C, torch.tensor(NOTE_ROWS[ch]))


@pytest.mark.parametrize("embedding", ["lookup", "onehot"])
def test_bigram_logits_are_the_table_row_of_the_last_character(embedding):
    # lecture part 1: logits = one_hot(x) @ W; the lookup reads the same row W[x]
    cfg = Config(data=DataConfig(block_size=1), embedding=EmbeddingConfig(embedding), model=ModelConfig(name="bigram"))
    model = build_model(cfg, 5)
    W = torch.arange(25.0).view(5, 5) / 10
    with torch.no_grad():
        model.embedding.table.copy_(W)
    x = torch.tensor([[0], [2], [4]])  # @, b, .
    logits, _ = model(x)
    assert torch.allclose(logits, F.one_hot(x[:, 0], 5).float() @ W) and torch.equal(logits, W[x[:, 0]])
    assert torch.equal(model.next_logits(torch.tensor([[0, 1, 2]])), W[[2]])  # "@ a b" -> the row of b


def test_bigram_scaled_init_starts_uniform():
    model = build_model(Config(data=DataConfig(block_size=1), model=ModelConfig(name="bigram")), V)
    _, loss = model(torch.randint(0, V, (32, 1)), torch.randint(0, V, (32,)))
    assert loss.item() == pytest.approx(torch.log(torch.tensor(float(V))).item())


@pytest.mark.parametrize("name", ["transformer", "lstm", "gru"])
def test_the_decoders_that_carry_state_give_next_logits(name):
    """Sampling's KVDecoder (the Transformer's key/value cache) and StateDecoder (the recurrent cells' states) against
    the plain Decoder (next_logits over the whole history), step by step: rows ending, names growing past block_size
    (the window slides and the cache or the states are filled anew)."""
    from makemore.models.base import Decoder

    torch.manual_seed(0)
    cfg = Config(data=DataConfig(block_size=6), model=ModelConfig(name=name, n_embd=16, n_head=4, n_layers=2))
    model = build_model(cfg, vocab_size=27).eval()
    assert type(model.decoder(torch.zeros(1, 1, dtype=torch.long))) is not Decoder
    g = torch.Generator().manual_seed(1)
    history = torch.cat([torch.zeros(50, 1, dtype=torch.long), torch.randint(1, 27, (50, 2), generator=g)], dim=1)
    plain, cached = Decoder(model, history), model.decoder(history)
    for step in range(9):
        assert torch.allclose(cached.logits(), plain.logits(), atol=1e-5), step
        keep = torch.rand(len(plain.history), generator=g) > 0.1  # a few names end at each step
        ids = torch.randint(1, 27, (int(keep.sum()),), generator=g)
        plain.advance(keep, ids)
        cached.advance(keep, ids)
    assert plain.history.shape[1] == 6  # it did slide
