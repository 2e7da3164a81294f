"""The rich world (processor fields, five more kinds of fraud): the engine against a
larger gradient-boosted reference, without the processor fields, and per scenario."""

from __future__ import annotations

from pathlib import Path

from bench.results import Result


def run() -> list[Result]:
    """The rich world (processor fields, five more kinds of fraud), on a seed no shipped
    model was fitted on: the engine against a larger gradient-boosted reference, the
    engine without the processor fields, and per scenario the share flagged."""
    import csv

    import numpy as np

    from cardwatch.evaluation.backtest import backtest
    from cardwatch.evaluation.replay import ReplaySettings
    from cardwatch.simulation.handbook import SimulationSettings, simulate, write_csv
    from cardwatch.simulation.labelled_file import load_history
    from cardwatch.simulation.rich import RICH_COLUMNS, RichSettings
    from cardwatch.simulation.worlds import SCENARIOS

    data = Path(".cardwatch/bench-rich-v2.csv")  # v2: compromised terminals stay in person
    plain = Path(".cardwatch/bench-rich-v2-handbook-columns.csv")
    if not data.exists():
        data.parent.mkdir(exist_ok=True)
        settings = SimulationSettings(
            customers=1500, terminals=3000, days=70, seed=77, rich=RichSettings()
        )
        write_csv(simulate(settings), data)
        with data.open() as source, plain.open("w", newline="") as target:
            reader = csv.DictReader(source)
            kept = [name for name in reader.fieldnames or () if name not in RICH_COLUMNS]
            writer = csv.DictWriter(target, kept, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(reader)
    history = load_history(data)
    result, report = backtest(history, ReplaySettings(), reference=True)
    _plain_result, plain_report = backtest(load_history(plain), ReplaySettings())
    with data.open() as file:
        scenario = np.asarray([int(row["fraud_scenario"]) for row in csv.DictReader(file)])
    test = history.days > history.days.max() - 7
    ap = report.metrics["average_precision"]
    reference = report.reference_average_precision
    results = [
        Result(
            "rich world: AP against a larger gradient-boosted reference",
            ap / reference,
            "x",
            0.9,
            reference,
            lower_is_better=False,
            note=f"cardwatch AP {ap:.3f}, reference {reference:.3f} (same features plus "
            "the raw fields as categories, 300 trees, 3 seeds); last 7 days, "
            f"{report.test_rows:,} transactions",
        ),
        Result(
            "rich world: AP without the processor fields",
            plain_report.metrics["average_precision"],
            "",
            None,
            ap,
            plain_report.metrics["average_precision"] / ap,
            lower_is_better=False,
            note="the same file with only the handbook's columns; baseline: with them",
        ),
        Result(
            "rich world: share of traffic flagged (alert budget)",
            report.flagged_share * 100,
            "%",
            1.0,
            note=f"{report.flagged_precision:.1%} of the flagged are fraud; "
            f"AUC {report.metrics['auc_roc']:.3f}",
        ),
    ]
    for code in sorted(set(scenario[test].tolist()) - {0}):
        name = SCENARIOS[code]
        rows = test & (scenario == code)
        if rows.any():
            flagged = float((result.decisions[rows] > 0).mean())
            results.append(
                Result(
                    f"rich world: {name} flagged",
                    flagged * 100,
                    "%",
                    None,
                    lower_is_better=False,
                    note=f"{int(rows.sum())} fraudulent transactions on the test days",
                )
            )
    return results
