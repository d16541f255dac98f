"""Print new words from a trained run, one per line and nothing else on stdout.

python sample.py                              # 20 names from the newest run under outputs/ (or run=latest)
python sample.py run=outputs/2026-11-28/10-00-00 num_samples=50 temperature=0.8
python sample.py prefix=ka top_k=5 only_new=true
python sample.py top_p=0.9 unique=true stats=true   # nucleus sampling, no name twice, quality numbers on stderr
python sample.py mode=likeliest prefix=ka          # the 20 likeliest names starting with "ka", with log-likelihoods
python sample.py mode=likeliest min_len=2          # ... of 2 characters or more (default: as the short training words)
python sample.py mode=greedy                       # the likeliest character each time: one name
python sample.py run=[outputs/A,outputs/B]         # two runs predicting together (makemore/ensemble.py)

torch and the model code are imported inside the functions that use them: a refused key or --help answers before
torch loads.
"""

import sys
from collections.abc import Iterable

import hydra
from omegaconf import DictConfig

from makemore.cli.configs import register_configs
from makemore.cli.errors import closed_pipe_is_quiet, fail, fail_on_os_error, user_errors
from makemore.cli.overrides import refuse_unknown_overrides, to_dataclass
from makemore.config import SampleConfig


def check_stdout_can_show(vocab) -> None:
    """Refuse before printing anything if stdout's encoding (PYTHONIOENCODING, the locale) can't show a character of
    the model's vocabulary: a name cut off by an encoding error, or silently mangled, is no name."""
    from makemore.inference.sampling import SamplingError

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
    import torch

    from makemore.compute.device import resolve_device, threads_for
    from makemore.inference.loading import load_trained
    from makemore.inference.quality import Reference, quality
    from makemore.inference.sampling import what_they_are

    try:
        cfg: SampleConfig = to_dataclass(dict_cfg)
        trained = load_trained(cfg.run, dropout_samples=cfg.dropout_samples)  # one run, or several predicting together
        model, vocab, ckpt, path = trained.model, trained.vocab, trained.ckpt, trained.source
        train_words = set(ckpt["train_words"])
        device = resolve_device(cfg.device, key="device")
        model.to(device)
        rows = cfg.beam_width if cfg.mode == "likeliest" else cfg.num_samples  # names grown at once
        torch.set_num_threads(threads_for(cfg.threads, model, rows, key="threads"))  # as training chooses them
        lines = decoded(cfg, model, vocab, train_words, device)
        check_stdout_can_show(vocab)
        printed, new = 0, 0  # counted, not kept: num_samples=100000000 runs in the memory of a chunk of names
        names = [] if cfg.stats else None  # stats=true measures the names together (inference/quality.py): kept
        for name, line in lines:
            print(line)
            printed, new = printed + 1, new + (name not in train_words)
            if names is not None:
                names.append(name)
        sys.stdout.flush()
    except user_errors() as e:
        fail(str(e))
    except BrokenPipeError:  # `python sample.py | head` closed stdout: not an error
        sys.stderr.close()
        return
    except OSError as e:  # a file that can't be read, or stdout: a full disk (or /dev/full)
        fail_on_os_error(e, "names")
    noun = what_they_are(ckpt["config"].get("data", {}).get("path"))  # names, or words: what the list holds
    print(f"{new} of {printed} {noun} are new (not in the training words); from {path}", file=sys.stderr)
    if cfg.stats:
        numbers = quality(names, Reference.of(ckpt["train_words"]))
        print("quality: " + ", ".join(f"{k} {v:.4f}" for k, v in numbers.items()), file=sys.stderr)


def decoded(cfg: SampleConfig, model, vocab, train_words: set[str], device) -> Iterable[tuple[str, str]]:
    """(name, the line that shows it): random names as they come (mode=sample), or the likeliest with their
    log-likelihoods. Every argument is checked before the first name."""
    import torch

    from makemore.inference.decoding import greedy, likeliest, short_length
    from makemore.inference.sampling import SamplingError, check_options, generate

    options = dict(temperature=cfg.temperature, top_k=cfg.top_k, top_p=cfg.top_p, prefix=cfg.prefix,
                   max_len=cfg.max_len)  # fmt: skip
    check_options(vocab, cfg.num_samples, **options)
    if cfg.mode == "greedy":
        found = greedy(model, vocab, cfg.prefix, cfg.max_len)
        if found is None:
            raise SamplingError(f"mode=greedy: the greedy name does not end within max_len={cfg.max_len} characters")
        return [(found[0], f"{found[0]}\t{found[1]:.4f}")]
    if cfg.mode == "likeliest":
        exclude = train_words if cfg.only_new else frozenset()
        min_len = cfg.min_len if cfg.min_len is not None else min(short_length(train_words), cfg.max_len)
        return [(n, f"{n}\t{ll:.4f}") for n, ll in likeliest(model, vocab, cfg.num_samples, cfg.beam_width,
                                                              cfg.prefix, cfg.max_len, exclude, min_len)]  # fmt: skip
    generator = torch.Generator(device=device).manual_seed(cfg.seed)
    exclude = train_words if cfg.only_new else None
    names = generate(model, vocab, cfg.num_samples, generator, exclude=exclude, unique=cfg.unique, **options)
    return ((name, name) for name in names)


if __name__ == "__main__":
    register_configs("sample")
    refuse_unknown_overrides(sys.argv[1:], SampleConfig)  # sample.py takes no config groups
    closed_pipe_is_quiet(main)
