"""Out-of-range values fail where they enter, naming the key; test_entrypoints shows the one-line exit."""

import pytest

from helpers import compose_config
from makemore.config import ConfigError


@pytest.mark.parametrize(
    "override, message",
    [
        ("train.max_steps=-5", "train.max_steps=-5"),
        ("train.max_steps=0", "train.max_steps=0"),
        ("optim.lr=0", "optim.lr=0"),
        ("optim.lr=-0.1", "optim.lr=-0.1"),
        ("model.dropout=1.0", "model.dropout=1.0"),
        ("model.dropout=-0.1", "model.dropout=-0.1"),
        ("train.batch_size=0", "train.batch_size=0"),
        ("data.block_size=0", "data.block_size=0"),
        ("train.eval_interval=0", "train.eval_interval=0"),
        ("train.log_interval=0", "train.log_interval=0"),
    ],
)
def test_out_of_range_values_name_their_key(override, message):
    with pytest.raises(Exception) as err:
        compose_config([override])
    cause = err.value if isinstance(err.value, ConfigError) else err.value.__cause__ or err.value.__context__
    assert isinstance(cause, ConfigError) and message in str(cause)
