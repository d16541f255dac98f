"""From a word file to what a model learns from: words.py reads and checks the file, vocab.py maps characters to ids,
split.py makes the lectures' 80/10/10 split (a Corpus), examples.py stores a split as a token stream and gathers
minibatches and evaluation chunks from it."""
