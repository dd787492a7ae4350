"""Demo data, the simulated carrier network and the estimate backtest: used by the CLI and bench/ only."""
