"""TensorBoard: writer.py wires one run's board (curves, hyperparameters); diagnostics.py draws the network's
insides at evaluations; projector.py writes the embedding projector's files."""
