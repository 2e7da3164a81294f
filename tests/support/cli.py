"""The ``cardwatch`` command run as a user runs it: a process of its own."""

from __future__ import annotations

import subprocess
import sys


def cardwatch(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cardwatch.cli.main", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
