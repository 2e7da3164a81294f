"""Detection on worlds it was not tuned on: the held-out family's worlds, each beside a
reference fitted on that world alone; day one (the shipped model, never retrained) and
retrained weekly; per scenario, the share flagged at the alert budget."""

from __future__ import annotations

import math

from bench.results import Result

#: the held-out family measured: worlds, cardholders and days a world
WORLDS, CUSTOMERS, DAYS = 6, 1200, 70


def run() -> list[Result]:
    """The held-out family (:data:`cardwatch.simulation.worlds.HELD_OUT_SEED`): per world
    the engine's AP over its reference, day-one AP and flagged share; the worst world,
    the spread; per scenario the share flagged."""
    from cardwatch.domain.engine.model_store import default_model
    from cardwatch.evaluation.generalisation import measure_family
    from cardwatch.simulation.worlds import HELD_OUT_SEED, SCENARIOS, world_family

    model = default_model()
    worlds = world_family(HELD_OUT_SEED, WORLDS, customers=CUSTOMERS, days=DAYS)
    found = measure_family(worlds, model)
    results = []
    for world in found.worlds:
        results.append(
            Result(
                f"worlds: {world.world}, AP against its reference",
                world.ratio,
                "x",
                0.9,
                world.reference,
                lower_is_better=False,
                note=f"retrained weekly: AP {world.average_precision:.3f}, reference "
                f"{world.reference:.3f}; label delay {world.label_delay_days:g} d, "
                f"{world.test_frauds} frauds in {world.test_rows:,} test transactions",
            )
        )
        results.append(
            Result(
                f"worlds: {world.world}, day-one AP",
                world.day_one_average_precision,
                "",
                0.25 if world.generator == "rich" else None,
                world.average_precision,
                lower_is_better=False,
                note=f"the shipped model never retrained (AUC {world.day_one_auc:.3f}), "
                f"{world.day_one_flagged_share:.2%} flagged; baseline: retrained weekly",
            )
        )
    worst, worst_day_one = found.worst, found.worst_day_one
    if worst is not None:
        results.append(
            Result(
                "worlds: worst world, AP against its reference",
                worst.ratio,
                "x",
                0.9,
                lower_is_better=False,
                note=f"{worst.world}; spread of the ratios {found.spread:.3f} over "
                f"{len(found.worlds)} held-out worlds",
            )
        )
    if worst_day_one is not None:
        results.append(
            Result(
                "worlds: worst day-one AP",
                worst_day_one.day_one_average_precision,
                "",
                None,
                lower_is_better=False,
                note=worst_day_one.world,
            )
        )
    results.append(
        Result(
            "worlds: most flagged on day one (alert budget)",
            max(world.day_one_flagged_share for world in found.worlds) * 100,
            "%",
            1.0,
            note="the highest share of a world's test days flagged by the shipped model",
        )
    )
    for code, (frauds, flagged, day_one) in found.scenarios().items():
        results.append(
            Result(
                f"worlds: {SCENARIOS.get(code, code)} flagged",
                flagged / frauds * 100 if frauds else math.nan,
                "%",
                None,
                day_one / frauds * 100 if frauds else None,
                lower_is_better=False,
                note=f"{frauds} fraudulent transactions on the worlds' test days; "
                "retrained weekly; baseline: day one",
            )
        )
    return results
