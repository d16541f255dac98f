"""makemore: character-level language models that make more words like the ones you give them.

The package's folders are the pipeline's stages, in the order data flows through them; a module imports only from
its own stage and the stages before it (tests/test_layers.py checks it):

    config.py    the run configuration: plain dataclasses, checked when they are made
    compute/     where a run computes: the device, CPU threads, torchrun's process group
    data/        word files read and checked, the vocabulary, the 80/10/10 split, the examples and minibatches
    models/      the zoo behind one contract, and the embedding (lookup = one-hot @ W)
    runs/        a run directory's layout and lock, the checkpoint format, the tables of runs
    inference/   using a trained model: loading (ensembles, dropout means), sampling, decoding, scoring, evaluation
    board/       TensorBoard: the run's curves, the network's insides, the embedding projector
    training/    the loop, optimizers, stopping, checkpoints as they are written, resume, fine-tuning, memory
    cli/         the entry points' shell around Hydra: one-line refusals, override checks, callbacks
    api/         the same from Python (a notebook): mm.train, mm.load, a Run's samples, scores and pictures

The entry points (train.py, sample.py, score.py, evaluate.py, runs.py) are thin Hydra shells over these.

In a notebook (docs/api.md):

    import makemore as mm
    run = mm.train(model="transformer", max_steps=2000)
    run.sample(20)

`import makemore` imports nothing else: mm.train, mm.load and the rest load makemore.api when first used.
"""

API = ("train", "load", "Run", "ConfigError", "plot_bigram_counts", "bigram_counts")  # makemore.api's names


def __getattr__(name: str):
    if name in API:
        from makemore import api

        return getattr(api, name)
    raise AttributeError(f"module 'makemore' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *API])
