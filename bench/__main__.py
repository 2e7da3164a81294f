"""`python -m bench` (`make bench`): speed, scale, memory and cost, each against a baseline
measured in the same run where one exists. Runs the stages of bench/stages/ in order,
writes results.json and run.json (in bench/, or ``--out DIR``) and prints a table.

    python -m bench                          every stage (about 34 minutes on 2 cores)
    python -m bench --only scoring,memory    only those (see --list)
    python -m bench --list                   the stage names, one a line
    python -m bench --only scoring --out /tmp/bench --json

A run of some stages keeps the recorded results of the others, in their place: it
starts from DIR/results.json, or from bench/results.json when DIR holds none. run.json
records the stages run (an empty list: all of them), the digest of the code measured,
the commit checked out (``dirty``: ``src/`` differs from it) and when the run finished.
The cost stage reads what ``local_pipeline``, ``heat`` and ``analyze_window`` measure in
the same run, so ``--only cost`` needs them beside it. ``--json`` prints run.json's record and the
results this run measured on stdout at the end (the table then goes to stderr).

Exit codes: 0 done; 2 usage error (an unknown option or stage name, a stage without
the stages it reads, an --out that is not a folder); 1 a stage failed (its traceback).
``python -m bench.run`` is the same command.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from contextlib import nullcontext, redirect_stdout
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.results import (
    DEFAULT_OUT,
    RESULTS_FILE,
    RUN_FILE,
    Result,
    dump_results,
    load_results,
    merge,
    run_record,
    write_results,
    write_run,
)
from bench.stages import NAMES, STAGES, UnknownStage, canonical

PROG = "python -m bench"
EPILOG = """\
exit codes:
  0  done
  2  usage error: an unknown option or stage name, a stage without the stages it
     reads (cost needs local_pipeline and dynamodb_units), an --out that is no folder
  1  a stage failed (its traceback is printed)"""


class UsageError(Exception):
    pass


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        prog=PROG,
        description="Speed, scale, memory and cost of cardwatch: runs the benchmark stages\n"
        "(bench/stages/), writes results.json and run.json, prints a table.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parse.add_argument(
        "--only",
        metavar="NAME[,NAME...]",
        help="run only these stages (names from --list); the recorded results of the "
        "others stay in results.json",
    )
    parse.add_argument(
        "--list", action="store_true", help="print the stage names, one a line, and exit"
    )
    parse.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=DEFAULT_OUT,
        help="where results.json and run.json are written (default: bench/)",
    )
    parse.add_argument(
        "--json",
        action="store_true",
        help="at the end, print the run's record and the results it measured as JSON on "
        "stdout (the table goes to stderr)",
    )
    return parse


def select(only: str | None) -> list[str] | None:
    """The stages ``--only`` names, in the order they run; None: every stage."""
    if only is None:
        return None
    names = set()
    for name in only.split(","):
        if not name.strip():
            raise UsageError(f"--only {only!r} names an empty stage")
        try:
            names.add(canonical(name))
        except UnknownStage as error:
            raise UsageError(
                f"unknown stage {error.args[0]!r} (stages: {', '.join(NAMES)})"
            ) from None
    for stage in STAGES:
        missing = [need for need in stage.needs if stage.name in names and need not in names]
        if missing:
            raise UsageError(
                f"stage {stage.name} reads what {' and '.join(missing)} measure: "
                f"run them with it (--only {','.join([*missing, stage.name])})"
            )
    return [stage.name for stage in STAGES if stage.name in names]


def run_stages(names: Sequence[str], console: Console) -> list[Result]:
    """Run the named stages in order; a stage that returns a fact beside its results
    (the local pipeline's handler use, the heat's units, analyze's window) hands it to
    the cost stage of this run."""
    from bench.stages import cost

    results: list[Result] = []
    facts: dict[str, Any] = {}
    for stage in STAGES:
        if stage.name not in names:
            continue
        with console.status(f"benchmark: {stage.label}"):
            if stage.name == "cost":  # select() saw to the stages it reads
                measured = cost.run(*(facts[need] for need in stage.needs))
            else:
                returned = stage.module().run()
                measured, facts[stage.name] = (
                    returned if isinstance(returned, tuple) else (returned, None)
                )
        results += measured
    return results


def recorded(out: Path) -> list[Result]:
    """The results a partial run starts from: DIR's, else the committed ones."""
    for path in (out / RESULTS_FILE, DEFAULT_OUT / RESULTS_FILE):
        if path.exists():
            return load_results(path)
    return []


def table(results: list[Result]) -> Table:
    table = Table(title="cardwatch benchmarks")
    for column in ("benchmark", "value", "unit", "target", "met", "baseline", "ratio"):
        table.add_column(column, justify="left" if column == "benchmark" else "right")
    for r in results:
        table.add_row(
            r.name,
            f"{r.value:,.3g}",
            r.unit,
            "" if r.target is None else f"{r.target:,}",
            r.met,
            "" if r.baseline is None else f"{r.baseline:,.3g}",
            "" if r.ratio is None else f"{r.ratio:.2f}",
        )
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parse = parser()
    args = parse.parse_args(argv)
    if args.list:
        print("\n".join(NAMES))
        return 0
    out: Path = args.out
    try:
        selected = select(args.only)
        if out.exists() and not out.is_dir():
            raise UsageError(f"--out {out} is not a folder")
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    console = Console(stderr=args.json)
    # with --json, stdout carries the JSON alone: what the stages print goes to stderr
    with redirect_stdout(sys.stderr) if args.json else nullcontext():
        fresh = run_stages(selected or NAMES, console)
    results = fresh if selected is None else merge(fresh, recorded(out))
    write_results(out / RESULTS_FILE, results)
    record = run_record(sorted(selected or []))
    write_run(out / RUN_FILE, record)
    console.print(table(results))
    console.print(f"written to {out / RESULTS_FILE}")
    if args.json:
        print(json.dumps({"run": record, "results": dump_results(fresh)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
