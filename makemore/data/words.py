"""A word file read and checked: one word per line, as Words (the words held compactly).

    words = read_words("data/names.txt")      # Words; load_words gives a list of str

A file that is not one word per line (binary, too big, a line far too long, a line break inside a word) is a
DataError naming the file, the line and what would be right. Words holds the words as one string, joined by "\n",
and their lengths: about a byte per character and 4 a word (as Python str objects a million words take ~60 MB more,
~55 bytes of header each).
"""

import logging
import os
import re
import unicodedata
from array import array
from collections.abc import Iterable, Iterator
from itertools import accumulate
from pathlib import Path
from typing import BinaryIO

import torch

from makemore.config import BOM

log = logging.getLogger(__name__)
MAX_WORD_LEN = 1000  # characters; a longer line means the file is not one word per line (and costs GBs of contexts)
MAX_FILE_BYTES = 2 * 2**30  # 2 GiB: ~200 million words, far beyond a character model's needs, read whole into memory


class DataError(ValueError):
    """A word file that can't be used; the message names the file and the problem."""


CHUNK = 2**20  # characters parsed, split or joined at a time: the transient Python strs of ~100k words, not all


class Words:
    """A list of words held compactly: `text`, the words joined by "\n" (no word holds one), and their lengths.
    Iterating yields the words as str (a chunk at a time); == compares with another Words or a list."""

    __slots__ = ("text", "lengths")

    def __init__(self, text: str, lengths: array):
        self.text, self.lengths = text, lengths  # lengths: array("I"), one per word

    @classmethod
    def of(cls, words: Iterable[str]) -> "Words":
        words = words if isinstance(words, (list, tuple)) else list(words)
        text = "\n".join(words)
        if text.count("\n") != max(len(words) - 1, 0):
            raise ValueError("Words: a word holds a line break (\\n)")
        return cls(text, array("I", map(len, words)))

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self) -> Iterator[str]:
        text, start = self.text, 0
        if not self.lengths:
            return
        while (stop := text.find("\n", start + CHUNK)) >= 0:
            yield from text[start:stop].split("\n")
            start = stop + 1
        yield from text[start:].split("\n")

    def __eq__(self, other) -> bool:
        if isinstance(other, (list, tuple)):
            other = Words.of(other) if all("\n" not in w for w in other) else None
        return isinstance(other, Words) and len(self) == len(other) and self.text == other.text

    def __repr__(self) -> str:
        return f"Words({len(self)} words, {self.characters} characters)"

    @property
    def characters(self) -> int:
        return len(self.text) - max(len(self) - 1, 0)

    @property
    def longest(self) -> int:
        return max(self.lengths, default=0)

    def starts(self) -> array:
        """Where each word begins in text."""
        return array("q", accumulate((n + 1 for n in self.lengths), initial=0))

    def hashes(self) -> torch.Tensor:
        """hash(word) of every word, in order: int64 (B,), for membership and counting distinct words."""
        if not len(self):
            return torch.zeros(0, dtype=torch.int64)
        return torch.frombuffer(array("q", map(hash, self)), dtype=torch.int64)

    def distinct(self) -> int:
        """How many different words (counted by their 64-bit hashes: a collision among a million words has a
        chance of 3e-8)."""
        return len(torch.unique(self.hashes()))


def load_words(path: str | Path, key: str = "data.path") -> list[str]:
    """One word per line: stripped, NFC-normalised, blank lines dropped, duplicates kept. `key` names the file in
    errors (score.py reads its words=FILE with the same rules). read_words: the same, as Words."""
    return list(read_words(path, key))


def read_words(path: str | Path, key: str = "data.path") -> Words:
    """load_words' words as Words, never all of them as Python strs at once."""
    where = check_word_file(path, key)
    try:
        with Path(path).open("rb") as f:
            too_big = os.fstat(f.fileno()).st_size > MAX_FILE_BYTES
            raw = b"" if too_big else f.read(MAX_FILE_BYTES + 1)  # bounded even if the file grows while it is read
    except OSError as e:
        raise DataError(f"{where}: cannot be read ({e.strerror})") from None
    return parse_text(raw, where, too_big)


def stream_words(source: str | Path | BinaryIO, key: str = "words", block: int = CHUNK) -> Iterator[Words]:
    """The words of a file (a path: checked as read_words checks it) or a binary stream (stdin), as load_words
    reads them, a block of about `block` bytes at a time: memory holds a block, whatever the input's length."""
    if isinstance(source, (str, Path)):
        where = check_word_file(source, key)
        try:
            with Path(source).open("rb") as f:
                yield from stream_words(f, where, block)
        except OSError as e:
            raise DataError(f"{where}: cannot be read ({e.strerror})") from None
        return
    rest, line, offset, found = b"", 0, 0, False
    while True:
        data = source.read(block)
        buf = rest + data
        cut = buf.rfind(b"\n") + 1 if data else len(buf)  # whole lines only, until the end
        piece, rest = buf[:cut], buf[cut:]
        if piece:
            words = parse_text(piece, key, first_line=line, first_byte=offset, empty_ok=True)
            if len(words):
                found = True
                yield words
            line, offset = line + piece.count(b"\n"), offset + len(piece)
        if not data:
            break
    if not found:
        raise DataError(f"{key}: has no words (it is empty or blank)")


def check_word_file(path: str | Path, key: str) -> str:
    """How errors name the file ("data.path words.txt"), after refusing what is no word file."""
    path = Path(path)
    where = f"{key} {path}"
    if not path.exists():
        raise DataError(f"{where}: no such file")
    if path.is_dir():
        raise DataError(f"{where}: is a directory, expected a text file with one word per line")
    if not path.is_file():  # a pipe or a device would be read until memory or patience runs out
        raise DataError(f"{where}: is not a regular file (a pipe, socket or device?); put the words in a file")
    return where


def parse_words(raw: bytes, where: str, too_big: bool = False) -> list[str]:
    """The words of a file's bytes (or stdin's, read with at most MAX_FILE_BYTES + 1), checked as load_words says;
    `where` starts every error."""
    return list(parse_text(raw, where, too_big))


def parse_text(raw: bytes, where: str, too_big: bool = False, first_line: int = 0, first_byte: int = 0,
               empty_ok: bool = False) -> Words:  # fmt: skip
    """parse_words' words as Words: the lines are checked and cleaned CHUNK characters at a time. raw may be a piece
    of a longer input (stream_words) that starts at line first_line and byte first_byte, for the errors."""
    if too_big or len(raw) > MAX_FILE_BYTES:
        raise DataError(
            f"{where}: is bigger than {MAX_FILE_BYTES / 2**30:.0f} GiB, the most a word file may have; "
            "use a sample of its words"
        )
    if b"\x00" in raw:
        raise DataError(f"{where}: looks like a binary file (it has NUL bytes), expected UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")  # -sig: a byte-order mark from Windows editors is not a character
    except UnicodeDecodeError as e:
        raise DataError(f"{where}: byte {first_byte + e.start} is not UTF-8; save the file as UTF-8 text") from None
    del raw
    parts, lengths, line, start = [], array("I"), first_line, 0
    while start <= len(text):
        stop = text.find("\n", start + CHUNK)
        stop = len(text) if stop < 0 else stop
        # NFC over the chunk is NFC of each line (no character composes with \n); \r\n line ends: strip() takes \r
        piece = text[start:stop]
        piece = piece if unicodedata.is_normalized("NFC", piece) else unicodedata.normalize("NFC", piece)
        words = [w.strip() for w in piece.split("\n")]
        if BOM in piece:  # files joined by `cat`: each one's byte-order mark starts a line, and is no character
            words = [w.lstrip(BOM).strip() for w in words]
        check_lines(words, where, line)
        words = [w for w in words if w]
        if words:
            parts.append("\n".join(words))
            lengths.extend(map(len, words))
        line, start = line + text.count("\n", start, stop) + 1, stop + 1
    if not lengths and not empty_ok:
        raise DataError(f"{where}: has no words (it is empty or blank)")
    return Words("\n".join(parts), lengths)


def check_lines(words: list[str], where: str, first_line: int) -> None:
    """No line break left inside a word, no word over MAX_WORD_LEN; words[i] is line first_line + i + 1."""
    if LINE_BREAKS.search("\n".join(words)):  # one search over the chunk; the line is found only if there is one
        check_no_line_breaks(words, where, first_line)
    if max(map(len, words), default=0) > MAX_WORD_LEN:
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        raise DataError(
            f"{where}: line {first_line + longest + 1} is {len(words[longest]):,} characters long, a word may have "
            f"at most {MAX_WORD_LEN:,}; expected one word per line"
        )


# what str.splitlines() also splits on besides \n: inside a word they would cut it in two without a word of warning;
# and a byte-order mark, invisible, left inside a word once those starting lines are dropped
LINE_BREAKS = re.compile(f"[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029{BOM}]")


def check_no_line_breaks(words: list[str], where: str, first_line: int = 0) -> None:
    """Lines are split on \n only: another line break left inside a word (after stripping) is refused, by line."""
    for i, word in enumerate(words, first_line):
        found = LINE_BREAKS.search(word)
        if found:
            char = found.group()
            name = unicodedata.name(char, "a control character")
            if char == BOM:
                raise DataError(f"{where}: line {i + 1} holds U+FEFF ({name}, a byte-order mark) inside a word; "
                                "it is invisible and no letter: delete it")  # fmt: skip
            raise DataError(
                f"{where}: line {i + 1} holds U+{ord(char):04X} ({name}) inside a word; "
                "expected one word per line, lines separated by \\n (or \\r\\n) only"
            )
