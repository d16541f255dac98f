"""Files that are not one word per line are caught: a table is read by its column or refused with that fix, and odd
characters (capitals mixed in, digits, punctuation) get one line naming them; words of other languages train as
they are."""

import logging
from contextlib import nullcontext

import pytest

from helpers import ROOT, TINY, compose_config, run_script, write_tiny_words
from makemore.config import ConfigError, DataConfig
from makemore.data.clean import table_delimiter
from makemore.data.split import load_corpus
from makemore.data.words import DataError

NAMES = (ROOT / "data" / "names.txt").read_text().split()[:60]
TABLE = "name,percent,count\n" + "".join(f"{n.capitalize()},0.0{i % 9},{i * 7}\n" for i, n in enumerate(NAMES))


def corpus(tmp_path, text, caplog=None, **data):
    path = tmp_path / "words.txt"
    path.write_text(text)
    with caplog.at_level(logging.INFO, logger="makemore.data") if caplog else nullcontext():
        return load_corpus(DataConfig(path=str(path), **data))


def test_a_table_is_refused_with_its_column_as_the_fix(tmp_path):
    with pytest.raises(DataError) as e:
        corpus(tmp_path, TABLE)
    assert "is a table, not one word per line (a comma between 3 columns" in str(e.value)
    assert "read one column with data.column=name (its header: name, percent, count)" in str(e.value)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_a_table_is_read_by_its_column(tmp_path, delimiter):
    text = TABLE.replace(",", delimiter)
    c = corpus(tmp_path, text, column="name", lowercase=True)
    assert sorted(w for split in c.splits.values() for w in split) == sorted(NAMES)
    assert "".join(c.vocab.itos[1:]).isalpha()  # no digits, commas or capitals


def test_a_column_that_is_not_there_names_the_header(tmp_path):
    with pytest.raises(DataError, match="data.column=names: .* has no such column; its header: name, percent, count"):
        corpus(tmp_path, TABLE, column="names")
    with pytest.raises(DataError, match="data.column=name: .* is not a table"):
        corpus(tmp_path, "\n".join(NAMES), column="name")


def test_mixed_case_and_digits_get_one_warning_naming_them(tmp_path, caplog):
    text = "".join(f"{n.capitalize() if i % 2 else n}{'7' if i == 3 else ''}\n" for i, n in enumerate(NAMES))
    corpus(tmp_path, text, caplog)
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "30 of 60 words hold capitals, digits" in warning and "7" in warning
    assert "data.lowercase=true" in warning and "data.chars=a-z" in warning


def test_lowercase_and_chars_are_the_fixes(tmp_path, caplog):
    text = "".join(f"{n.capitalize() if i % 2 else n}{'7' if i == 3 else ''}\n" for i, n in enumerate(NAMES))
    c = corpus(tmp_path, text, caplog, lowercase=True, chars="a-z")
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "kept 59 of 60 words" in caplog.text
    assert sum(map(len, c.splits.values())) == 59 and "".join(c.vocab.itos[1:]).isalpha()


@pytest.mark.parametrize("path", sorted((ROOT / "data").glob("*.txt")), ids=lambda p: p.name)
def test_the_bundled_lists_are_plain_words(path, caplog):
    with caplog.at_level(logging.WARNING, logger="makemore.data"):
        load_corpus(DataConfig(path=str(path)))
    assert not caplog.records


def test_words_of_other_languages_are_words(tmp_path, caplog):
    words = ["o'brien", "jean-luc", "d\u2019arcy", "zoë", "ñandú", "straße", "Émile", "émile", "łukasz", "ångström"]
    c = corpus(tmp_path, "\n".join(words * 2), caplog)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "2 of 20 words hold capitals ('É', e.g. 'Émile')" in warnings[0]  # only Émile
    assert "'" in c.vocab.itos and "-" in c.vocab.itos


def test_a_list_in_capitals_only_is_no_mixed_case(tmp_path, caplog):
    corpus(tmp_path, "\n".join(n.upper() for n in NAMES), caplog)
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


def test_sniffing_needs_the_same_delimiters_on_nearly_every_line():
    assert table_delimiter(["a,b", "c,d", "e,f"]) == ","
    assert table_delimiter(["a\tb\tc", "d\te\tf"]) == "\t"
    assert table_delimiter(["jean-luc, sr", "emma", "ava"]) is None  # a comma in one word is no table
    assert table_delimiter(["a,b"]) is None


def test_a_bad_character_class_is_a_config_error():
    with pytest.raises(ConfigError, match="data.chars"):
        DataConfig(chars="a-z]")  # closes the class early: still a regex, so check the bracket itself
    with pytest.raises(ConfigError, match="data.chars"):
        DataConfig(chars="z-a")


@pytest.mark.slow  # train.py itself, refusing after torch is loaded: 2-5 s
def test_train_py_refuses_a_table_in_one_line(tmp_path):
    (tmp_path / "t.csv").write_text(TABLE)
    proc = run_script("train.py", "data.path=t.csv", *TINY, cwd=tmp_path, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: data.path t.csv: is a table, not one word per line (a comma between 3 columns on every line); "
        "read one column with data.column=name (its header: name, percent, count)"
    ]
    assert not (tmp_path / "outputs").exists()
    words = write_tiny_words(tmp_path)
    assert compose_config([f"data.path={words}", "data.column=name"]).data.column == "name"
