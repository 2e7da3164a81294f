"""Operator tools that run outside Lambda: simulation, backtest, training (numpy, sklearn).

Only :class:`DataError` lives here, so the command line can report an unreadable file
without loading numpy for every other command.
"""

__all__ = ["DataError"]


class DataError(ValueError):
    """A labelled file cannot be read; the message names the file and the problem."""
