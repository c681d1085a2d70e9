"""Benchmarks: each reports rates next to a baseline measured in the same run (ratios, not absolutes)."""
