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

The entry points (train.py, sample.py, score.py, evaluate.py, runs.py) are thin Hydra shells over these.
"""
