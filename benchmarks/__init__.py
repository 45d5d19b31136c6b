"""Benchmarks on the large demo dataset: ``python -m benchmarks`` (see README)."""
