"""Write the last benchmark table (bench/results.json) between the ``<!-- bench:start -->``
and ``<!-- bench:end -->`` markers of docs/benchmarks.md, or of README.md when
docs/benchmarks.md has no markers, with a line under it naming the commit and date that
measured the results (bench/run.json, when it records them).

    python -m bench.report [--results DIR] [--into FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
DOCS, README = ROOT / "docs" / "benchmarks.md", ROOT / "README.md"


def code_digest() -> str:
    """A digest of the code the benchmarks measure (``src/cardwatch``, every file), so a
    test can tell results recorded for this code from results of an older one."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "src" / "cardwatch").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def table(results: Path = ROOT / "bench" / "results.json") -> str:
    rows = ["| benchmark | value | target | met | baseline | ratio |", "|---|---|---|---|---|---|"]
    for r in json.loads(results.read_text()):
        target = "" if r["target"] is None else f"{r['target']:,} {r['unit']}"
        met = ""
        if r["target"] is not None:
            ok = r["value"] <= r["target"] if r["lower_is_better"] else r["value"] >= r["target"]
            met = "yes" if ok else "**no**"
        baseline = "" if r["baseline"] is None else f"{r['baseline']:,.3g} {r['unit']}"
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
        rows.append(
            f"| {r['name']} | {r['value']:,.3g} {r['unit']} | {target} | {met} | "
            f"{baseline} | {ratio} |"
        )
    return "\n".join(rows)


def measured_by(run: dict[str, Any]) -> str | None:
    """The line under the table: the commit and date of the run (None if run.json has
    no commit, as before `python -m bench` recorded one)."""
    commit = run.get("commit")
    if not commit:
        return None
    line = f"Measured on commit `{commit[:7]}`"
    if run.get("dirty"):
        line += " with uncommitted changes to src/"
    if run.get("measured_at"):
        line += f", {run['measured_at'][:10]} (UTC)"
    if run.get("stages"):
        stages = ", ".join(run["stages"])
        line += f"; that run measured only {stages}; the other rows come from earlier runs"
    return line + "."


def target() -> Path:
    """docs/benchmarks.md if it holds the markers, else the README."""
    if DOCS.exists():
        text = DOCS.read_text()
        if START in text and END in text:
            return DOCS
    return README


def block(results_dir: Path) -> str:
    """What goes between the markers: the table, and the line naming the run."""
    run_file = results_dir / "run.json"
    line = measured_by(json.loads(run_file.read_text())) if run_file.exists() else None
    return table(results_dir / "results.json") + (f"\n\n{line}" if line else "")


def main(argv: Sequence[str] | None = None) -> None:
    parse = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parse.add_argument(
        "--results",
        metavar="DIR",
        type=Path,
        default=ROOT / "bench",
        help="the folder holding results.json and run.json (default: bench/)",
    )
    parse.add_argument(
        "--into",
        metavar="FILE",
        type=Path,
        help="the markdown file to write (default: docs/benchmarks.md if it holds the "
        "markers, else README.md)",
    )
    args = parse.parse_args(argv)
    path = args.into or target()
    text = path.read_text()
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    path.write_text(f"{before}{START}\n{block(args.results)}\n{END}{after}")


if __name__ == "__main__":
    main()
