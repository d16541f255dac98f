"""makemore from Python (a notebook): train, load, sample, score, evaluate, and the lectures' pictures.

    import makemore as mm
    run = mm.train(model="transformer", max_steps=2000)   # train.py's run: same keys, checks and run directory
    run = mm.load("latest")                               # a trained run, as sample.py finds it
    run.sample(20), run.score(["emma", "xqzt"]), run.evaluate(split="test"), run.metrics, run.history
    run.plot_loss(); run.plot_embedding(); run.plot_activations(); run.plot_next("em")
    mm.plot_bigram_counts("data/names.txt")

The last stage: it may import every other one (docs/api.md is its reference).
"""

from makemore.api.keys import ConfigError
from makemore.api.pictures import bigram_counts, plot_bigram_counts
from makemore.api.run import Run, load
from makemore.api.session import train

__all__ = ["ConfigError", "Run", "bigram_counts", "load", "plot_bigram_counts", "train"]
