"""Write the contract's compiled checks: plain Python from each schema file.

The ingest function decides whether a body keeps the contract with code compiled ahead
of time from the schema (fastjsonschema's code generator), not with a validator built at
every cold start: importing jsonschema and building its validator took about a fifth of
ingest's. The full validator still names every problem of a body that breaks the
contract; only such a body loads it. The generated modules live beside the schema files
(``cardwatch/schema/<name>_check.py``); a test fails when one differs from what its
schema gives now. ``make contract-checks`` rewrites them.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import fastjsonschema

from cardwatch.schema import SCHEMA_FILES, contract_schema

__all__ = ["check_path", "check_source", "main"]

_SCHEMA_FOLDER = Path(__file__).resolve().parent.parent / "schema"


def check_path(name: str) -> Path:
    return _SCHEMA_FOLDER / f"{name}_check.py"


def check_source(name: str) -> str:
    """The compiled check of one contract file, with a header saying where it came from."""
    schema = contract_schema(name)
    code = fastjsonschema.compile_to_code(schema)
    header = (
        f"# Generated from {SCHEMA_FILES[name]} by `make contract-checks`\n"
        f"# (cardwatch.cli.contract_checks, fastjsonschema {metadata.version('fastjsonschema')})."
        "\n# Do not edit: a test fails when this differs from what the schema gives now.\n"
        "# mypy: ignore-errors\n"
    )
    return header + code.rstrip() + "\n"


def main() -> int:
    for name in SCHEMA_FILES:
        path = check_path(name)
        path.write_text(check_source(name), encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
