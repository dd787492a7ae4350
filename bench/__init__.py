"""Benchmarks: load against a real server process, reported as ratios to bare baselines of the same run."""
