"""Benchmarks: quality and speed of despin on held-out dev and test splits (``python -m benchmarks``)."""
