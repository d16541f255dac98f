"""A trained model's loss on any word file, or on its own train/val/test split: per character, in bits, by position.

    python evaluate.py                                   # the newest run's best.pt on its own val split
    python evaluate.py run=outputs/2026-11-28/10-00-00 split=test
    python evaluate.py run=outputs/2026-11-28/10-00-00 data.path=other_words.txt
    python evaluate.py run=multirun/2026-11-29/03-15-00   # a sweep's runs predicting together (an ensemble)
    python evaluate.py dropout_samples=32                # each prediction the mean over 32 dropout masks

The loss is the number training reports (makemore.inference.evaluation.evaluate over the same examples):
the mean negative
log-likelihood per predicted character, every character and end token of every word. On a run's own split it
equals what the run wrote: checkpoints/last.pt gives metrics.json's val_loss, best.pt its best_val_loss.
With dropout_samples=K it is the loss of the mean of K dropout masks' distributions
(makemore/inference/dropout_mean.py).

torch and the model code are imported inside the functions that use them: a refused key or --help answers before
torch loads.
"""

import json
import sys
from collections.abc import Iterable
from itertools import chain

import hydra
from omegaconf import DictConfig

from makemore.cli.configs import register_configs, resolve_data_path
from makemore.cli.errors import closed_pipe_is_quiet, fail, fail_on_os_error, user_errors
from makemore.cli.overrides import refuse_unknown_overrides, to_dataclass
from makemore.config import EvaluateConfig, TrainConfig


def words_to_evaluate(cfg: EvaluateConfig, ckpt: dict, path) -> tuple[Iterable[str], str]:
    """data.path's words, read a block at a time (loss_report takes them a chunk at a time), or the run's own split
    of its own word file (checked against the words it trained on)."""
    from makemore.data.words import check_word_file, stream_words
    from makemore.inference.report import own_split

    if cfg.data.path is not None:
        check_word_file(cfg.data.path, key="data.path")  # now, not when the first word is wanted
        return chain.from_iterable(stream_words(cfg.data.path, key="data.path")), cfg.data.path
    return own_split(ckpt, cfg.split or "val", resolve_data_path(ckpt["config"]["data"]["path"]), path)


def report(cfg: EvaluateConfig) -> dict:
    import torch

    from makemore.compute.device import resolve_device, threads_for
    from makemore.inference.loading import load_trained
    from makemore.inference.report import loss_report

    trained = load_trained(cfg.run, dropout_samples=cfg.dropout_samples)  # one run, or several predicting together
    model, vocab, ckpt, path = trained.model, trained.vocab, trained.ckpt, trained.source
    device = resolve_device(cfg.device, key="device")
    model.to(device)
    train = ckpt["config"].get("train", {})  # threads=0: the run's own thread count, chosen as training did
    threads = cfg.threads or train.get("threads", 0)
    torch.set_num_threads(threads_for(threads, model, train.get("batch_size", TrainConfig.batch_size), key="threads"))
    words, where = words_to_evaluate(cfg, ckpt, path)
    named = where if cfg.data.path is None else f"data.path {cfg.data.path}"  # how a refusal names the words
    report = loss_report(model, vocab, words, named, path, cfg.dropout_samples)  # a chunk of words at a time
    return {**report, "words": where}


def format_report(r: dict) -> str:
    masks = f"; each prediction the mean over {r['dropout_samples']} dropout masks" if r["dropout_samples"] else ""
    lines = [
        f"{r['checkpoint']} on {r['words']}: {r['num_words']:,} words, {r['targets']:,} predicted characters "
        f"(end tokens included){masks}",
        f"loss {r['loss']:.4f} nats per character, {r['bits_per_char']:.4f} bits per character, "
        f"perplexity {r['perplexity']:.3f}",
        "",
        f"{'position':>8}  {'targets':>8}  {'loss':>7}  {'bits':>6}",
    ]
    for row in r["by_position"]:
        lines.append(f"{row['position']:>8}  {row['targets']:>8,}  {row['loss']:>7.4f}  {row['bits']:>6.3f}")
    return "\n".join(lines) + "\n"


@hydra.main(version_base="1.3", config_path="configs", config_name="evaluate")
def main(dict_cfg: DictConfig) -> None:
    try:
        cfg: EvaluateConfig = to_dataclass(dict_cfg)
        r = report(cfg)
        if cfg.format == "json":
            sys.stdout.write(json.dumps(r, indent=1, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(format_report(r))
    except user_errors() as e:
        fail(str(e))
    except OSError as e:  # a file that can't be read, or stdout: a full disk (or /dev/full)
        fail_on_os_error(e, "report")


if __name__ == "__main__":
    register_configs("evaluate")
    refuse_unknown_overrides(sys.argv[1:], EvaluateConfig)  # evaluate.py takes no config groups
    closed_pipe_is_quiet(main)
