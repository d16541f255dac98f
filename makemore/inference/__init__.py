"""Using a trained model. loading.py turns a run argument into one model (a run, several runs as an ensemble.py,
each maybe a dropout_mean.py); then sampling.py draws names, decoding.py finds the likeliest ones, scoring.py
scores given words, evaluation.py computes a split's loss, quality.py compares samples with the training words."""
