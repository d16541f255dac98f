"""Benchmarks: each prints a table comparing makemore against a baseline measured in the same run."""
