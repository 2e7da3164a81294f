"""Requirement line -> tests table, from the ``requirement`` markers in the test files.

``python -m tests.support.traceability`` rewrites docs/traceability.md; a test keeps it current.
"""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
REQUIREMENTS = ROOT / "docs" / "requirements.md"
TABLE = ROOT / "docs" / "traceability.md"
_LINE = re.compile(r"^- (R\d{3}-\d{2}) (.+)$")


def requirements() -> dict[str, str]:
    lines = REQUIREMENTS.read_text().splitlines()
    return {m[1]: m[2] for m in map(_LINE.match, lines) if m}


def _marked(decorators: list[ast.expr]) -> list[str]:
    found = []
    for node in decorators:
        for call in ast.walk(node):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "requirement"
            ):
                found += [arg.value for arg in call.args if isinstance(arg, ast.Constant)]
    return found


def markers() -> dict[str, list[str]]:
    """Requirement id -> ``path::test`` names that carry its marker."""
    table: dict[str, list[str]] = defaultdict(list)
    # the speed requirements are held by make bench-check, on the committed results
    tested = [*(ROOT / "tests").rglob("test_*.py"), ROOT / "bench" / "check_targets.py"]
    for path in sorted(tested):
        tree = ast.parse(path.read_text())
        relative = path.relative_to(ROOT).as_posix()
        module_ids = [
            rid
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(getattr(t, "id", "") == "pytestmark" for t in node.targets)
            for rid in _marked([node.value])
        ]
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name.startswith(
                ("test_", "Test")
            ):
                for rid in [*module_ids, *_marked(node.decorator_list)]:
                    table[rid].append(f"{relative}::{node.name}")
    return table


def render() -> str:
    found = markers()
    rows = [
        "# Traceability: requirement line -> tests",
        "",
        "Written by `make trace` from the tests' `requirement` markers; do not edit.",
        "",
        "| line | requirement | tests |",
        "|---|---|---|",
    ]
    for rid, text in requirements().items():
        tests = "<br>".join(f"`{name}`" for name in found.get(rid, [])) or "**none yet**"
        rows.append(f"| {rid} | {text} | {tests} |")
    covered = sum(1 for rid in requirements() if found.get(rid))
    rows += ["", f"{covered} of {len(requirements())} lines have a test."]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    TABLE.write_text(render())
    sys.stdout.write(f"wrote {TABLE.relative_to(ROOT)}\n")
