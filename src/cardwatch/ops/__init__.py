"""Operator tools that run outside Lambda: simulation, backtest, training (numpy, sklearn)."""
