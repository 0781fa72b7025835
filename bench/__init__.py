"""Benchmarks: each script starts what it needs, compares against a baseline in the same
run, and prints one JSON line of its figures last. See README.md."""
