"""Data for the offline tools: the handbook's simulators, the labelled-file reader and the
local stack's traffic (numpy, loaded by the modules that need it).

Only :class:`DataError` lives here, so the command line can report an unreadable file
without loading numpy for every other command.
"""

__all__ = ["DataError"]


class DataError(ValueError):
    """A labelled file cannot be read; the message names the file and the problem."""
