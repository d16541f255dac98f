"""Fixtures: tiny word lists, the default config over them, and one tiny trained run that many tests read.
What the tests share besides fixtures is in helpers.py."""

from pathlib import Path

import pytest

from helpers import TINY, compose_config, write_tiny_words
from makemore.config import Config
from makemore.training.trainer import train


@pytest.fixture
def words_file(tmp_path) -> Path:
    return write_tiny_words(tmp_path)


@pytest.fixture
def tiny_cfg(words_file) -> Config:
    return compose_config([f"data.path={words_file}", *TINY])


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """One tiny run (TINY on 200 names), trained once per test process: tests read it and never write into it
    (a test that damages a checkpoint copies it first)."""
    folder = tmp_path_factory.mktemp("tiny_run")
    train(compose_config([f"data.path={write_tiny_words(folder)}", *TINY]), folder / "run", progress=False)
    return folder / "run"
