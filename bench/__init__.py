"""Benchmarks that print figures: `python -m bench NAME`. Not tests: nothing here asserts a time."""
