"""Recurrent language models: one cell stepped along the sequence from a learned start state.

idx (B, T) -> embed (B, T, n_embd) -> dropout
    -> n_layers x [for t: state_t = cell(x_t, state_{t-1}) -> h_t (B, T, n_hidden) -> dropout]
    -> Linear (B, T, vocab_size)

Reads model.n_embd, model.n_hidden (the hidden state size), model.n_layers (cells stacked, each reading the
sequence of hidden states below it, each from its own learned start state) and model.dropout (on the embeddings
and on each layer's outputs, never on the recurrent state: Zaremba et al. 2014, Recurrent neural network
regularization). makemore.py's models are one layer without dropout, the model configs' defaults. PyTorch's
default init for the Linears, N(0, 1) for the table (nn.Embedding's default), drawn first.

Checkpoints written before the layers could be stacked hold one cell as `cell.*` (and a config whose n_layers
and dropout the model never read): makemore/checkpoint.py reads them as one layer without dropout.
"""

import torch
from torch import nn

from makemore.config import ModelConfig
from makemore.models.base import CarryingDecoder, SequenceModel, lm_loss
from makemore.models.dropout import Dropout
from makemore.models.embedding import build_embedding, init_table


class RNNCell(nn.Module):
    """h_t = tanh(W [x_t, h_{t-1}] + b): Elman 1990, Finding Structure in Time."""

    def __init__(self, n_embd: int, n_hidden: int):
        super().__init__()
        self.state_size = n_hidden
        self.xh_to_h = nn.Linear(n_embd + n_hidden, n_hidden)
        self.tanh = nn.Tanh()

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return self.tanh(self.xh_to_h(torch.cat([x, h], dim=1)))  # (B, n_hidden)

    def output(self, state: torch.Tensor) -> torch.Tensor:
        return state


class GRUCell(nn.Module):
    """Gated recurrent unit, Cho et al. 2014: a reset gate picks what of h feeds the candidate,
    an update gate blends the candidate into h channel by channel."""

    def __init__(self, n_embd: int, n_hidden: int):
        super().__init__()
        self.state_size = n_hidden
        self.xh_to_r = nn.Linear(n_embd + n_hidden, n_hidden)
        self.xh_to_z = nn.Linear(n_embd + n_hidden, n_hidden)
        self.xh_to_hbar = nn.Linear(n_embd + n_hidden, n_hidden)
        self.reset_gate, self.update_gate, self.tanh = nn.Sigmoid(), nn.Sigmoid(), nn.Tanh()

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        xh = torch.cat([x, h], dim=1)  # (B, n_embd + n_hidden)
        r = self.reset_gate(self.xh_to_r(xh))
        hbar = self.tanh(self.xh_to_hbar(torch.cat([x, r * h], dim=1)))  # the candidate
        z = self.update_gate(self.xh_to_z(xh))
        return (1 - z) * h + z * hbar  # (B, n_hidden)

    def output(self, state: torch.Tensor) -> torch.Tensor:
        return state


class LSTMCell(nn.Module):
    """Long short-term memory, Hochreiter & Schmidhuber 1997 (with the forget gate of Gers et al.
    2000). Its state is [h, c] side by side, so the loop carries one tensor for every cell."""

    def __init__(self, n_embd: int, n_hidden: int):
        super().__init__()
        self.n_hidden, self.state_size = n_hidden, 2 * n_hidden
        self.xh_to_gates = nn.Linear(n_embd + n_hidden, 4 * n_hidden)  # input, forget, output gates, candidate
        self.gates, self.tanh_candidate, self.tanh_cell = nn.Sigmoid(), nn.Tanh(), nn.Tanh()

    def forward(self, x: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        h, c = state.split(self.n_hidden, dim=1)  # (B, n_hidden) each
        pre = self.xh_to_gates(torch.cat([x, h], dim=1))  # (B, 4 * n_hidden)
        i, f, o = self.gates(pre[:, : 3 * self.n_hidden]).split(self.n_hidden, dim=1)
        c = f * c + i * self.tanh_candidate(pre[:, 3 * self.n_hidden :])
        h = o * self.tanh_cell(c)
        return torch.cat([h, c], dim=1)  # (B, 2 * n_hidden)

    def output(self, state: torch.Tensor) -> torch.Tensor:
        return state[:, : self.n_hidden]


class Recurrent(SequenceModel):
    """Cells stepped over the sequence (makemore.py's RNN, stacked); subclasses pick the cell."""

    cell_type: type[nn.Module]

    def __init__(self, cfg: ModelConfig, vocab_size: int, block_size: int, embedding: str):
        super().__init__()
        self.block_size = block_size
        self.embedding = build_embedding(embedding, vocab_size, cfg.n_embd)
        init_table(self.embedding)
        widths = [cfg.n_embd] + [cfg.n_hidden] * (cfg.n_layers - 1)  # what each layer reads
        self.cells = nn.ModuleList(self.cell_type(width, cfg.n_hidden) for width in widths)
        # the learned state before the first token, one row per layer
        self.start = nn.Parameter(torch.zeros(cfg.n_layers, self.cells[0].state_size))
        self.drop = Dropout(cfg.dropout)
        self.head = nn.Linear(cfg.n_hidden, vocab_size)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        logits, _ = self.run(idx)
        return logits, lm_loss(logits, targets)

    def run(self, idx: torch.Tensor, states: list[torch.Tensor] | None = None):
        """(logits (B, T, vocab_size), each layer's state after the last position), going on from `states` (one
        (B, state_size) per layer, as run returned them) or, without them, from the learned start states."""
        B, T = idx.shape
        x = self.drop(self.embedding(idx))  # (B, T, n_embd)
        last = []
        for layer, cell in enumerate(self.cells):
            state = self.start[layer].expand(B, -1) if states is None else states[layer]  # (B, state_size)
            hiddens = []
            for t in range(T):
                state = cell(x[:, t], state)
                hiddens.append(cell.output(state))
            last.append(state)
            x = self.drop(torch.stack(hiddens, dim=1))  # (B, T, n_hidden): the next layer's input
        return self.head(x), last

    def decoder(self, history: torch.Tensor) -> "StateDecoder":
        return StateDecoder(self, history)


class StateDecoder(CarryingDecoder):
    """Sampling that carries every layer's state: each new character is one step of each cell, instead of a pass
    over the whole name again (past block_size the window slides, read from the start state again)."""

    def fill(self) -> torch.Tensor:
        logits, self.states = self.model.run(self.history)  # (n, t, V)
        return logits[:, -1]

    def step(self, keep: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        logits, self.states = self.model.run(ids[:, None], [state[keep] for state in self.states])  # (n, 1, V)
        return logits[:, -1]


class RNN(Recurrent):
    """Vanilla RNN language model (Mikolov et al. 2010, Recurrent neural network based language model)."""

    cell_type = RNNCell


class GRU(Recurrent):
    """GRU language model (Cho et al. 2014)."""

    cell_type = GRUCell


class LSTM(Recurrent):
    """LSTM language model (Hochreiter & Schmidhuber 1997)."""

    cell_type = LSTMCell
