"""A split's examples stored once, as a compact token stream; minibatches and evaluation chunks gathered from it.

    examples = Examples.build(words, vocab, block_size=5, sequence=False)   # about 5 bytes per character
    X, Y = examples.rows(ix)          # a minibatch: the rows at ix, int64 on the examples' device
    X, Y = examples.chunk(0, 32768)   # rows 0..32767 in order: the evaluation's chunks
    batches = RandomBatches(examples, batch_size=32, seed=1337); xb, yb = batches.next()
    X, Y = build_contexts(words, vocab, block_size=3)   # every row at once (tests, benchmarks)

With block_size=3 the word "emma" becomes five examples (the boundary token shown as "."):
    ... -> e    ..e -> m    .em -> m    emm -> a    mma -> .

The words are one stream of token ids, each word after one boundary token and the stream closed by one:

    S = 0 e m m a 0 a v a 0 ...       (uint8 for vocabularies up to 256 tokens)

so a split costs one byte per character and boundary, whatever the block size, plus a byte of `codes` per row (a
code is at most block_size: uint8 up to 255, wider above). A sequence model's row also keeps its start, 8 bytes; a
small window split, from its first minibatch on, also its rows as a table (TABLE_BYTES). Rows are the ones
build_contexts and build_sequences always made, in the same order; they are gathered from windows of block_size + 1
ids over S (a strided view, no copy), with the ids before the word's start masked:

    window models, row k = the k-th target of the split (every character and closing boundary):
        window = the block_size ids before the target, then the target    ". a v | a"  (S[k+1-T .. k+1])
        X = window[:T], masked to 0 before the word's start; Y = window[T]
        codes[k] = min(ids of the word before the target, T): X keeps its last codes[k] ids
    sequence models, a word's first row starts at its boundary, then one row per target beyond block_size:
        X = window[:T], Y = window[1:]; codes = the ids of the word in a first row (X keeps that many, Y too,
        -1 after), or 0 for a later row (X keeps all, Y only its last target)
"""

import torch

from makemore.compute.distributed import SINGLE, Dist, share
from makemore.data.vocab import Vocab
from makemore.data.words import CHUNK, DataError, Words

SEPARATORS = ("\n", "\x00", "\uffff")  # joins the words before the ids are made; load_words' words have no \n
# A window model's split whose rows fit in this many bytes as int64 tables X (rows, block_size) and Y (rows,) keeps
# them once minibatches are drawn from it (the train split): a minibatch is then the lecture's X[ix], Y[ix], two
# gathers of ready int64 ids, instead of a gather from the stream, a cast, a mask and slices (~40 us of a ~240 us
# lecture step, measured in the step; a uint8 table cast per batch still cost ~16). The lectures' train split:
# 182,625 rows, 5.8 MB. Bounded, so that at millions of words memory per word stays independent of the block size.
TABLE_BYTES = 16 * 2**20
CODE_WORDS = 2**16  # words whose codes are worked out at a time (a few MB of temporaries)


class Examples:
    def __init__(self, stream: torch.Tensor, block_size: int, sequence: bool, codes: torch.Tensor,
                 starts: torch.Tensor | None = None):  # fmt: skip
        T = block_size
        self.stream, self.block_size, self.sequence, self.codes, self.starts = stream, T, sequence, codes, starts
        # windows[i] = stream[i .. i+T]: a view. A window model's row k starts at stream[k + 1] (its first
        # target is S[1], after T leading zeros); a sequence model's row starts where `starts` says
        self.windows = stream[0 if sequence else 1 :].unfold(0, T + 1, 1)  # (rows or more, T + 1)
        cols = torch.arange(T, device=stream.device)
        code = torch.arange(T + 1, device=stream.device)[:, None]  # (T + 1, 1)
        if sequence:  # code 0: a later row (all inputs, the last target); code L: a first row of L ids
            self.keep_x = ((cols < code) | (code == 0)).long()  # (T + 1, T)
            self.keep_y = (cols < code) | ((code == 0) & (cols == T - 1))
        else:  # code c: the last c ids of the context are the word's, the rest boundaries
            self.keep_x = (cols >= T - code).long()  # (T + 1, T)
        self.small = not sequence and len(codes) * (T + 1) * 8 <= TABLE_BYTES
        self.table = None  # (X (rows, T), Y (rows,)) int64: a small window split's rows, from the first rows()

    @classmethod
    def build(cls, words: list[str], vocab: Vocab, block_size: int, sequence: bool) -> "Examples":
        """Every character and closing boundary of `words` as a target once, for a window model or (sequence=True)
        a sequence model of `block_size` ids. Vectorised: C passes over the text, no Python loop per character."""
        T = block_size
        S = token_stream(words, vocab)  # (L,) L = characters + words + 1
        bounds = torch.nonzero(S == 0).squeeze(1)  # (W + 1,) where each word's boundary is, then the last
        lengths = bounds.diff() - 1  # (W,)
        zeros = S.new_zeros(T)
        stream = torch.cat([zeros, S, zeros])  # T zeros before: the first contexts; after: the last rows' windows
        if not sequence:
            return cls(stream, T, False, window_codes(lengths, T))
        n_rows = (lengths + 1 - T).clamp(min=0) + 1  # (W,) the first row, then one per target beyond it
        row_in_word = positions_in_words(n_rows).long()  # (N,)
        word_of_row = torch.repeat_interleave(torch.arange(len(lengths)), n_rows)
        starts = T + bounds[:-1][word_of_row] + row_in_word  # (N,) into the padded stream
        first_len = torch.minimum(lengths + 1, torch.tensor(T)).to(torch.int32)  # (W,) ids of a first row
        codes = torch.where(row_in_word == 0, first_len[word_of_row], 0).to(code_dtype(T))
        return cls(stream, T, True, codes, starts)

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def nbytes(self) -> int:
        held = [self.stream, self.codes] + [t for t in (self.starts, *(self.table or ())) if t is not None]
        return sum(t.numel() * t.element_size() for t in held)

    @property
    def device(self) -> torch.device:
        return self.stream.device

    def to(self, device: torch.device) -> "Examples":
        moved = (t.to(device) if t is not None else None for t in (self.stream, self.codes, self.starts))
        stream, codes, starts = moved
        return Examples(stream, self.block_size, self.sequence, codes, starts)

    def rows(self, ix: torch.Tensor, trim: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """The rows at ix (B,): X (B, T) int64 and Y, (B,) for window models, (B, T) with -1 for sequence models.
        trim (sequence models): only the first columns up to the last one any of these rows has a target in."""
        if self.small:
            if self.table is None:  # every row as _masked makes it
                self.table = self.chunk(0, len(self))
            X, Y = self.table
            return X[ix], Y[ix]
        windows = self.windows[ix if self.starts is None else self.starts[ix]]  # (B, T + 1)
        return self._masked(windows, self.codes[ix], trim)

    def chunk(self, start: int, stop: int, trim: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows start..stop-1, in order (a window model's: a slice of the windows, no gather)."""
        stop = min(stop, len(self))
        windows = self.windows[start:stop] if self.starts is None else self.windows[self.starts[start:stop]]
        return self._masked(windows, self.codes[start:stop], trim)

    def _masked(self, windows: torch.Tensor, codes: torch.Tensor, trim: bool) -> tuple[torch.Tensor, torch.Tensor]:
        T = self.block_size
        codes = codes.int()  # an index, never a uint8 mask
        windows = windows.long()  # (B, T + 1): the embedding and the loss take int64 ids
        X = windows[:, :T] * self.keep_x[codes]  # (B, T)
        if not self.sequence:
            return X, windows[:, T]
        Y = torch.where(self.keep_y[codes], windows[:, 1:], -1)  # (B, T)
        if trim and len(codes):
            # A sequence model is causal (makemore/models/base.py): the columns after every row's last target
            # change no logit before them and hold no target, so the rows can stop at the longest one. A batch
            # of 64 of the lectures' names is 10 ids wide on average instead of 16: about a third less work a step.
            width = int(codes.masked_fill(codes == 0, T).max())  # a first row of L ids has L targets; a later, T
            X, Y = X[:, :width], Y[:, :width]
        return X, Y


def code_dtype(block_size: int) -> torch.dtype:
    """The smallest integer type that holds every code (0 .. block_size): a byte a row for any usual block size."""
    return torch.uint8 if block_size < 256 else torch.int16 if block_size < 2**15 else torch.int32


def positions_in_words(counts: torch.Tensor) -> torch.Tensor:
    """0, 1, .., counts[0]-1, 0, 1, .., counts[1]-1, ... as int32, for counts >= 1: one cumulative sum of steps
    of 1, stepping back to 0 where a group begins (4 bytes per item, no int64 index per item)."""
    steps = torch.ones(int(counts.sum()), dtype=torch.int32)
    if len(steps):
        firsts = torch.cumsum(counts, 0) - counts  # (groups,) where each group begins
        steps[firsts[1:]] = (1 - counts[:-1]).to(torch.int32)
        steps[0] = 0
    return torch.cumsum(steps, 0, dtype=torch.int32)


def window_codes(lengths: torch.Tensor, block_size: int) -> torch.Tensor:
    """A window model's codes: for each word of `lengths` (W,), min(position, block_size) for every target
    position 0 .. length (its characters and closing boundary), in code_dtype. A bounded number of words at a time,
    so that the int32 positions of all the rows (8 bytes a row, 58 MB at 1M words) never exist at once."""
    counts = lengths + 1  # (W,) targets per word
    codes = torch.empty(int(counts.sum()), dtype=code_dtype(block_size))  # (N,)
    at = 0
    for first in range(0, len(counts), CODE_WORDS):
        part = positions_in_words(counts[first : first + CODE_WORDS]).clamp_(max=block_size)
        codes[at : at + len(part)] = part
        at += len(part)
    return codes


def token_stream(words: list[str] | Words, vocab: Vocab) -> torch.Tensor:
    """The ids of "0 w1 0 w2 .. 0" (uint8 up to 256 tokens, else int32): str.translate over the joined words,
    CHUNK characters at a time into the one tensor (whole-text temporaries, four copies of the words, were left
    resident by the allocator)."""
    chars = vocab.itos[1:]
    sep = next(s for s in SEPARATORS if s not in chars)
    if not len(words):
        return torch.zeros(1, dtype=torch.uint8 if len(vocab) <= 256 else torch.int32)
    text = words.text if isinstance(words, Words) and sep == "\n" else sep.join(words)  # Words: joined already
    unknown = set(text) - set(chars) - {sep}
    if unknown:
        raise DataError(f"the words hold characters that are not in the vocabulary: {''.join(sorted(unknown))[:20]!r}")
    table = {ord(c): i for i, c in enumerate(vocab.itos) if i} | {ord(sep): 0}
    wide = len(vocab) > 256
    ids = torch.zeros(len(text) + 2, dtype=torch.int32 if wide else torch.uint8)  # (L,) the boundaries around: 0
    for start in range(0, len(text), CHUNK):
        piece = text[start : start + CHUNK].translate(table)
        encoded = piece.encode("utf-32-le", "surrogatepass") if wide else piece.encode("latin-1")
        ids[1 + start : 1 + start + len(piece)] = torch.frombuffer(bytearray(encoded), dtype=ids.dtype)
    return ids


class RandomBatches:
    """Minibatches of rows drawn uniformly with replacement, from a generator of their own.

    Dropout draws from torch's global generator; the minibatches never do, so the two stay reproducible
    apart. Under torchrun every rank draws the same global minibatch and keeps its own share of it.
    """

    def __init__(self, examples: Examples, batch_size: int, seed: int, world: Dist = SINGLE):
        self.examples, self.batch_size, self.world = examples, batch_size, world
        self.generator = torch.Generator(device=examples.device).manual_seed(seed)
        self._draw = dict(size=(batch_size,), device=examples.device, generator=self.generator)  # read once

    def next(self) -> tuple[torch.Tensor, torch.Tensor]:
        ix = torch.randint(0, len(self.examples), **self._draw)
        if self.world.enabled:
            ix = share(ix, self.world)  # (batch_size // world_size,): this rank's part of the global minibatch
        return self.examples.rows(ix, trim=True)


def build_examples(words: list[str], vocab: Vocab, block_size: int, sequence: bool) -> tuple[torch.Tensor, ...]:
    """Every row at once, X and Y: (context, next id) rows for window models, whole-word rows for sequence
    models (the model's `sequence`). Either way every character and end token is a target once."""
    examples = Examples.build(words, vocab, block_size, sequence)
    return examples.chunk(0, len(examples))


def build_contexts(words: list[str], vocab: Vocab, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """All (context, next id) pairs of `words`: X is (N, block_size) int64, Y is (N,) int64."""
    return build_examples(words, vocab, block_size, sequence=False)


def build_sequences(words: list[str], vocab: Vocab, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows for sequence models: X (N, block_size) int64 inputs, Y (N, block_size) int64 targets.

    Each word is the stream "0 c1 .. cn 0"; Y[r, t] is the id after X[r, t], -1 where there is
    none to learn. The first row of a word is its start, "0 c1 .. c_{T-1}" -> "c1 .. cn 0", padded
    with 0 (inputs) and -1 (targets). A word longer than block_size - 1 gets one more row per
    remaining target: the block_size ids before it as input, -1 everywhere but the last target.
    So every character and every end token is a target exactly once (as in build_contexts), each
    predicted from up to block_size ids before it. With block_size=3, "emma":
        X = [0 e m]  Y = [e  m  m]
            [e m m]      [-1 -1 a]
            [m m a]      [-1 -1 0]
    """
    return build_examples(words, vocab, block_size, sequence=True)
