"""Figures the reliability tier collects and prints at the end of the run."""

from collections import Counter

FIGURES: Counter[str] = Counter()
