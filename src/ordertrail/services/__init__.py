"""Use cases: the only layer that commits. Routes, the CLI and workers all call these functions."""
