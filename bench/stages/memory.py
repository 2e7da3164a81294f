"""Each handler's peak RSS under its workload, against the function's memory."""

from __future__ import annotations

import subprocess
import sys

from bench.results import Result
from bench.workloads import HANDLERS
from cardwatch.blueprint import blueprint_for

_MEMORY_PROBE = """
import sys
key = sys.argv[1]
import importlib; importlib.import_module(f"cardwatch.handlers.{key}")
if key in ("detect", "analyze"):
    from bench.workloads import observations, window
if key == "detect":
    from cardwatch.domain.engine.detection import Detector
    from cardwatch.adapters.memory import InMemoryState
    from cardwatch.domain.engine.model_store import default_model
    from cardwatch.domain.engine.rules import default_policy
    d = Detector(InMemoryState(), default_policy(), default_model())
    for o in observations(20000): d.assess(o)
elif key == "analyze":
    from cardwatch.domain.engine.patterns import find_patterns
    find_patterns(window(300000))
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forked parent.
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(int(hwm.split()[1]) / 1024)
"""


def run() -> list[Result]:
    blueprint = blueprint_for("cdktf")
    results = []
    for key in HANDLERS:
        run = subprocess.run(
            [sys.executable, "-c", _MEMORY_PROBE, key], capture_output=True, text=True, check=True
        )
        peak = float(run.stdout.strip().splitlines()[-1])
        results.append(
            Result(
                f"memory: peak RSS, {key} under its workload",
                peak,
                "MB",
                blueprint.functions[key].memory_mb,
                note={"detect": "20k assessments", "analyze": "300k window"}.get(key, "import"),
            )
        )
    return results
