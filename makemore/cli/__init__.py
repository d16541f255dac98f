"""The entry points' shell around Hydra (only the entry points and this package import Hydra): errors.py prints
one line and exits, overrides.py checks command-line keys before Hydra composes them, callbacks.py holds the run
directory and reports sweeps."""
