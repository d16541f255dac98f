"""A trained model's loss on a list of words, as evaluate.py reports it (and run.evaluate() in a notebook).

    words, where = own_split(ckpt, "val", word_file, checkpoint)   # a run's own split of its own word file
    check_known(words, vocab, where)                               # a DataError naming the first unknown character
    r = loss_report(model, vocab, words, where, checkpoint)        # loss, bits, perplexity, loss by position

The loss is the number training reports (evaluation.evaluate over the same examples); with dropout_samples=K it is
the mean of the per-character numbers of the mean of K dropout masks (makemore/inference/dropout_mean.py).
"""

import math

from torch import nn

from makemore.config import DataConfig
from makemore.data.clean import prepare_words
from makemore.data.examples import Examples
from makemore.data.split import split_words
from makemore.data.vocab import Vocab
from makemore.data.words import DataError, read_words
from makemore.inference.evaluation import evaluate
from makemore.inference.scoring import loss_by_position, score_words, unknown_characters

SPLITS = ("train", "val", "test")


def own_split(ckpt: dict, split: str, word_file: str, checkpoint) -> tuple[list[str], str]:
    """The run's own train, val or test words, from its word file (word_file: its data.path, found), checked
    against the words it was trained on."""
    if split not in SPLITS:
        raise DataError(f"split={split!r}: expected one of {', '.join(SPLITS)}")
    data = ckpt["config"]["data"]
    read_as = {k: data[k] for k in ("column", "lowercase", "chars") if k in data}  # as the run read it (clean.py)
    try:
        words = list(prepare_words(read_words(word_file), DataConfig(word_file, **read_as), word_file, warn=False))
        train, val, test = split_words(words, data["split_seed"])
    except DataError as e:
        raise DataError(f"split={split}: the run's word file: {e}") from None
    if train != list(ckpt["train_words"]):
        raise DataError(
            f"split={split}: {word_file} no longer holds the words {checkpoint} was trained on; "
            "evaluate on a file with data.path=FILE instead"
        )
    return {"train": train, "val": val, "test": test}[split], f"split {split} of {word_file}"


def check_known(words: list[str], vocab: Vocab, where: str) -> None:
    for i, w in enumerate(words):
        unknown = unknown_characters(w, vocab)
        if unknown:
            raise DataError(
                f"{where}: word {i + 1} {w!r} has characters the model never saw: {unknown!r}; it knows "
                f"{''.join(vocab.itos[1:])!r} (score.py scores the other words and skips such ones)"
            )


def loss_report(model: nn.Module, vocab: Vocab, words: list[str], where: str, checkpoint, dropout_samples: int = 0
                ) -> dict:  # fmt: skip
    """evaluate.py's report of the model (on its device) over `words`, whose characters it knows (check_known)."""
    scores = score_words(model, vocab, words)
    if dropout_samples:  # the mean of the per-character numbers the table splits: masks depend on the batch
        loss = scores.target_nll.mean().item()
    else:  # the number training reports, over the examples the trainer evaluates
        device = next(model.parameters()).device
        loss = evaluate(model, Examples.build(words, vocab, model.block_size, model.sequence).to(device))
    positions = loss_by_position(scores)
    return {
        "checkpoint": str(checkpoint),
        "dropout_samples": dropout_samples,
        "words": where,
        "num_words": len(words),
        "targets": sum(len(w) + 1 for w in words),
        "loss": loss,
        "bits_per_char": loss / math.log(2),
        "perplexity": math.exp(loss),
        "by_position": [{"position": p, "targets": n, "loss": v, "bits": v / math.log(2)} for p, n, v in positions],
    }
