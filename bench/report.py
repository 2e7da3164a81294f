"""Write the last benchmark table (bench/results.json) into the README between markers."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def code_digest() -> str:
    """A digest of the code the benchmarks measure (``src/cardwatch``, every file), so a
    test can tell results recorded for this code from results of an older one."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "src" / "cardwatch").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def table() -> str:
    rows = ["| benchmark | value | target | met | baseline | ratio |", "|---|---|---|---|---|---|"]
    for r in json.loads((ROOT / "bench" / "results.json").read_text()):
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


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    readme.write_text(f"{before}{START}\n{table()}\n{END}{after}")


if __name__ == "__main__":
    main()
