"""Figures a tier's tests collect (what they drove, injected, found) and the run prints at
its end, one section per tier: ``figures("reliability")`` is that tier's Counter.

A plugin too (the root conftest registers it), so that the figures reach the summary
under pytest-xdist as well: tests run in the workers, the summary in the controller. The
controller makes a directory in the run's base temporary directory and hands it to every
worker (``pytest_configure_node``); each worker writes its figures there as JSON when its
session finishes; the controller merges them with its own before it prints. Counts add
up across workers; a figure that is not a number is set by one test, and is shown as set.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

_TIERS: dict[str, Counter[str]] = {}
#: the workers' figures directory: its key in ``workerinput``, and the controller's
_WORKERINPUT_KEY = "cardwatch_figures_dir"
_DIRECTORY = pytest.StashKey[Path]()


def figures(tier: str) -> Counter[str]:
    """``tier``'s figures: the same Counter to every test module of the process."""
    return _TIERS.setdefault(tier, Counter())


def _merge(into: dict[str, Counter[str]], tiers: dict[str, dict[str, Any]]) -> None:
    for tier, found in tiers.items():
        merged = into.setdefault(tier, Counter())
        for name, value in found.items():
            both_numbers = all(isinstance(v, int | float) for v in (merged.get(name, 0), value))
            merged[name] = merged.get(name, 0) + value if both_numbers else value


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist, in the controller, before it starts a worker: where to write."""
    config: pytest.Config = node.config
    if not hasattr(config, "_tmp_path_factory"):  # no tmp path plugin: workers keep theirs
        return
    directory = config.stash.get(_DIRECTORY, None)
    if directory is None:
        directory = config._tmp_path_factory.getbasetemp() / "figures"
        directory.mkdir(exist_ok=True)
        config.stash[_DIRECTORY] = directory
    node.workerinput[_WORKERINPUT_KEY] = str(directory)


def pytest_sessionfinish(session: pytest.Session) -> None:
    workerinput: dict[str, Any] | None = getattr(session.config, "workerinput", None)
    if workerinput is None or _WORKERINPUT_KEY not in workerinput:
        return
    collected = {tier: dict(counter) for tier, counter in _TIERS.items() if counter}
    path = Path(workerinput[_WORKERINPUT_KEY]) / f"{workerinput['workerid']}.json"
    path.write_text(json.dumps(collected))


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if hasattr(config, "workerinput"):  # a worker: the controller prints
        return
    merged: dict[str, Counter[str]] = {}
    _merge(merged, {tier: dict(counter) for tier, counter in _TIERS.items()})
    directory = config.stash.get(_DIRECTORY, None)
    if directory is not None:
        for path in sorted(directory.glob("*.json")):
            _merge(merged, json.loads(path.read_text()))
    for tier, found in sorted(merged.items()):
        if found:
            terminalreporter.section(f"{tier} figures")
            for name, value in sorted(found.items()):
                terminalreporter.write_line(f"{name}: {value}")
