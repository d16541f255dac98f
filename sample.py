"""Print new words from a trained run, one per line and nothing else on stdout.

    python sample.py                              # 20 names from the newest run under outputs/
    python sample.py run=outputs/2026-11-28/10-00-00 num_samples=50 temperature=0.8
    python sample.py prefix=ka top_k=5 only_new=true
"""

import os
import sys

import hydra
import torch
from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig

from makemore.checkpoint import load_checkpoint, model_from_checkpoint
from makemore.cli import USER_ERRORS, fail, refuse_unknown_overrides, to_dataclass
from makemore.config import SampleConfig
from makemore.data import Vocab
from makemore.device import resolve_device
from makemore.rundir import BEST, LAST, find_checkpoint
from makemore.sampling import SamplingError, generate

ConfigStore.instance().store(name="sample_config", node=SampleConfig)


def check_stdout_can_show(vocab: Vocab) -> None:
    """Refuse before printing anything if stdout's encoding (PYTHONIOENCODING, the locale) can't show a character of
    the model's vocabulary: a name cut off by an encoding error, or silently mangled, is no name."""
    encoding = sys.stdout.encoding or "utf-8"
    unshowable = [c for c in vocab.itos[1:] if not c.encode(encoding, errors="ignore")]
    if unshowable:
        shown = "".join(unshowable[:10]).encode("ascii", "backslashreplace").decode()
        raise SamplingError(
            f"stdout's encoding {encoding} can't show the model's characters {shown}; "
            "set PYTHONIOENCODING=utf-8 (or a UTF-8 locale, e.g. LANG=C.UTF-8)"
        )


@hydra.main(version_base="1.3", config_path="configs", config_name="sample")
def main(dict_cfg: DictConfig) -> None:
    try:
        cfg: SampleConfig = to_dataclass(dict_cfg)
        path = find_checkpoint(cfg.run, prefer=(BEST, LAST), key="run")
        ckpt = load_checkpoint(path)
        model, vocab, _ = model_from_checkpoint(ckpt, source=path)
        train_words = set(ckpt["train_words"])
        device = resolve_device(cfg.device, key="device")
        model.to(device)
        generator = torch.Generator(device=device).manual_seed(cfg.seed)
        names = generate(
            model,
            vocab,
            cfg.num_samples,
            generator,
            exclude=train_words if cfg.only_new else None,
            temperature=cfg.temperature,
            top_k=cfg.top_k,
            prefix=cfg.prefix,
            max_len=cfg.max_len,
        )
        check_stdout_can_show(vocab)
        new = 0
        for name in names:
            print(name)
            new += name not in train_words
        sys.stdout.flush()
    except USER_ERRORS as e:
        fail(str(e))
    except BrokenPipeError:  # `python sample.py | head` closed stdout: not an error
        sys.stderr.close()
        return
    except OSError as e:  # stdout is a full disk (or /dev/full), or fails otherwise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that the exit's own flush can't fail again
        fail(f"stdout: {(e.strerror or str(e)).lower()} while printing the names")
    print(f"{new} of {cfg.num_samples} names are new (not in the training words); from {path}", file=sys.stderr)


if __name__ == "__main__":
    refuse_unknown_overrides(sys.argv[1:], SampleConfig)  # sample.py takes no config groups
    main()
