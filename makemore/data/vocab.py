"""The vocabulary: the characters of the words, each an id; id 0 is the boundary token that starts and ends a word.

vocab = Vocab.from_words(words)   # "." at id 0 (another token if the words use "."), then the characters sorted
"""

from dataclasses import dataclass

from makemore.data.words import Words

BOUNDARY = "."  # how the boundary token (id 0) is shown, unless the words use "." themselves
BOUNDARY_FALLBACKS = ("<.>", "<eos>", "<boundary>")  # longer than one character: can't clash with a real one


@dataclass(frozen=True)
class Vocab:
    """id 0 is the boundary token; ids 1.. are the words' characters in sorted order."""

    itos: tuple[str, ...]  # token strings, index = id; unique

    @classmethod
    def from_words(cls, words: list[str] | Words) -> "Vocab":
        chars = sorted(set(words.text) - {"\n"} if isinstance(words, Words) else set("".join(words)))
        boundary = next(b for b in (BOUNDARY, *BOUNDARY_FALLBACKS) if b not in chars)
        return cls((boundary, *chars))

    @property
    def boundary(self) -> str:
        return self.itos[0]

    def __len__(self) -> int:
        return len(self.itos)

    @property
    def stoi(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.itos)}

    def encode(self, word: str) -> list[int]:
        stoi = self.stoi
        return [stoi[c] for c in word]

    def decode(self, ids) -> str:
        return "".join(self.itos[i] for i in ids)
