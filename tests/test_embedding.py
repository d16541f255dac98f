"""The seed's claim: C[x] is one_hot(x) @ C, so the two embedding modules are one function."""

import torch
import torch.nn.functional as F

from makemore.models.embedding import LookupEmbedding, OneHotEmbedding, build_embedding, init_table

# The seed notes' worked example: vocabulary ['@', 'a', 'b', 'c', '.'] and a 5x2 table C.
VOCAB = ["@", "a", "b", "c", "."]
C = torch.tensor(
    [
        [0.10, -0.20],  # @
        [0.00, 0.30],  # a
        [-0.40, 0.20],  # b
        [0.50, -0.10],  # c
        [-0.20, 0.40],  # .
    ]
)
CONTEXT = torch.tensor([[VOCAB.index(c) for c in ["@", "a", "b"]]])  # (1, 3)
EXPECTED = torch.tensor([[0.10, -0.20, 0.00, 0.30, -0.40, 0.20]])  # rows of @, a, b side by side


def with_table(module, table):
    with torch.no_grad():
        module.table.copy_(table)
    return module


def test_seed_example_through_both_modules():
    for cls in (LookupEmbedding, OneHotEmbedding):
        emb = with_table(cls(5, 2), C)
        out = emb(CONTEXT).view(1, -1)  # (1, block_size * n_embd)
        assert torch.allclose(out, EXPECTED, atol=1e-7), cls.__name__


def test_one_hot_row_times_table_is_the_row():
    one_hot = F.one_hot(torch.tensor(2), 5).float()  # b
    assert torch.equal(one_hot, torch.tensor([0.0, 0.0, 1.0, 0.0, 0.0]))
    assert torch.equal(one_hot @ C, C[2])


def test_seed_example_gradients_agree():
    grads = []
    for cls in (LookupEmbedding, OneHotEmbedding):
        emb = with_table(cls(5, 2), C)
        out = emb(torch.tensor([[0, 1, 2], [1, 1, 4]])).view(2, -1)
        (out * torch.arange(12.0).view(2, 6)).sum().backward()  # a loss with a distinct weight per output
        grads.append(emb.table.grad if cls is LookupEmbedding else emb.proj.weight.grad.t())
    # rows never used get no gradient; 'a' (used three times) sums its three upstream gradients
    expected = torch.tensor([[0.0, 1.0], [2 + 6 + 8, 3 + 7 + 9], [4.0, 5.0], [0.0, 0.0], [10.0, 11.0]])
    assert torch.equal(grads[0], expected)
    assert torch.allclose(grads[1], expected)


def test_modules_agree_on_random_ids_and_share_the_table_layout():
    torch.manual_seed(0)
    table = torch.randn(27, 10)
    idx = torch.randint(0, 27, (64, 3))
    lookup = with_table(LookupEmbedding(27, 10), table)
    onehot = with_table(OneHotEmbedding(27, 10), table)
    assert lookup.table.shape == onehot.table.shape == (27, 10)
    assert torch.equal(onehot.proj.weight, table.t())  # nn.Linear stores C transposed
    assert torch.allclose(lookup(idx), onehot(idx), atol=0, rtol=1e-6)


def test_same_seed_same_initial_table_and_same_random_stream():
    tables, after = [], []
    for name in ("lookup", "onehot"):
        torch.manual_seed(7)
        emb = build_embedding(name, 27, 10)
        init_table(emb)
        tables.append(emb.table.detach().clone())
        after.append(torch.rand(3))  # the next draw, e.g. the hidden layer's init
    assert torch.equal(tables[0], tables[1])
    assert torch.equal(after[0], after[1])
