"""What a word file's lines become before the vocabulary is made: a table's column, lowercased, filtered by character,
and one line for anything odd that is left.

    words = prepare_words(read_words(cfg.path), cfg, where=f"data.path {cfg.path}")

A file that is a table (a header, the same delimiter on every line: `name,percent,count`) is refused unless
data.column names the column to read: trained as it is, its commas and digits become characters of the names. Capitals
mixed with lowercase, digits, punctuation or spaces inside words get one warning line naming them and the options
(data.lowercase=true, data.chars=a-z). Letters of any script, accents, apostrophes and hyphens (o'brien, jean-luc,
the bundled french_like.txt) are words as they are.
"""

import csv
import logging
import re
import unicodedata
from itertools import islice

from makemore.config import DataConfig
from makemore.data.words import DataError, Words

log = logging.getLogger(__name__)

DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon", "|": "bar"}  # what a table's cells are split on
SNIFF_LINES = 1000  # lines read to tell a table from a word list
TABLE_SHARE = 0.9  # a table: this share of those lines hold the first line's count of one delimiter
IN_WORDS = "'-\u2019"  # apostrophes and hyphens: parts of words in many languages (o'brien, jean-luc)


def table_delimiter(lines: list[str]) -> str | None:
    """The delimiter of a table (two lines or more, the first line's count of it on nearly every line), else None."""
    if len(lines) < 2:
        return None
    for delimiter in DELIMITERS:
        n = lines[0].count(delimiter)
        if n and sum(line.count(delimiter) == n for line in lines) >= TABLE_SHARE * len(lines):
            return delimiter
    return None


def prepare_words(words: Words, cfg: DataConfig, where: str, warn: bool = True) -> Words:
    """cfg.column's cells (a table is refused without it), lowercased (cfg.lowercase), only those made of cfg.chars;
    then one warning line (warn=True) for odd characters, unless cfg.chars declared the characters."""
    head = list(islice(words, SNIFF_LINES))
    delimiter = table_delimiter(head)
    if cfg.column is not None:
        words = column_of(words, cfg.column, delimiter, where)
    elif delimiter:
        columns = next(csv.reader([head[0]], delimiter=delimiter))
        raise DataError(
            f"{where}: is a table, not one word per line (a {DELIMITERS[delimiter]} between {len(columns)} columns "
            f"on every line); read one column with data.column={columns[0]} (its header: {', '.join(columns)})"
        )
    if cfg.lowercase:
        words = Words.of([w.lower() for w in words])
    if cfg.chars is not None:
        words = only_chars(words, cfg.chars, where)
    elif warn and (warning := odd_characters(words, where)):
        log.warning(warning)
    return words


def column_of(words: Words, column: str, delimiter: str | None, where: str) -> Words:
    """The cells of the column whose header (the first line) is `column`, blank ones dropped."""
    if delimiter is None:
        raise DataError(
            f"data.column={column}: {where} is not a table (no comma, tab, semicolon or | on nearly every line); "
            "leave data.column null for a file of one word per line"
        )
    rows = csv.reader(iter(words), delimiter=delimiter)
    header = [cell.strip() for cell in next(rows)]
    if column not in header:
        raise DataError(f"data.column={column}: {where} has no such column; its header: {', '.join(header)}")
    at, cells = header.index(column), []
    for line, row in enumerate(rows, 2):
        if len(row) <= at:
            raise DataError(f"{where}: line {line} has {len(row)} cells, no {column} (column {at + 1})")
        if cell := row[at].strip():
            cells.append(cell)
    if not cells:
        raise DataError(f"data.column={column}: {where} has no words in that column")
    return Words.of(cells)


def only_chars(words: Words, chars: str, where: str) -> Words:
    """The words made of chars (a regex character class: a-z, or "a-z'-"), with one line saying how many were not."""
    allowed = re.compile(f"[{chars}]*")
    kept = [w for w in words if allowed.fullmatch(w)]
    if not kept:
        raise DataError(f"data.chars={chars}: none of the {len(words)} words of {where} is made of [{chars}] alone")
    if len(kept) < len(words):
        log.info(f"{where}: data.chars={chars} kept {len(kept)} of {len(words)} words")
    return Words.of(kept)


def odd_kind(char: str, mixed_case: bool) -> str | None:
    """What makes a character odd in a word list ('capitals', 'digits', ...), or None for a word's own."""
    category = unicodedata.category(char)
    if category[0] == "M" or char in IN_WORDS or (category[0] == "L" and not (mixed_case and char.isupper())):
        return None
    return {"L": "capitals", "N": "digits", "P": "punctuation", "Z": "spaces"}.get(category[0], "symbols")


def odd_characters(words: Words, where: str) -> str | None:
    """One warning line for the odd characters of a word list (capitals only where lowercase letters are there too),
    with how many words hold them, one of them, and the options; None when there are none."""
    chars = set(words.text) - {"\n"}
    mixed_case = any(c.islower() for c in chars) and any(c.isupper() for c in chars)
    odd = sorted(c for c in chars if odd_kind(c, mixed_case))
    if not odd:
        return None
    kinds = sorted({odd_kind(c, mixed_case) for c in odd})
    pattern = re.compile("[" + re.escape("".join(odd)) + "]")
    holding = [w for w in words if pattern.search(w)]
    shown = "".join(odd[:20])  # !r below: a control character shows as its escape
    fixes = "data.lowercase=true folds capitals; " if "capitals" in kinds else ""
    return (
        f"{where}: {len(holding)} of {len(words)} words hold {', '.join(kinds)} ({shown!r}, e.g. {holding[0]!r}), "
        f"each a token the model learns; {fixes}data.chars=a-z keeps only the words of those characters "
        "(data.chars naming them all trains on them as they are, without this warning)"
    )
