"""The simulated worlds the ops tier runs on: a small one, and another generator's fraud."""

from dataclasses import replace

from cardwatch.simulation.handbook import SimulationSettings

SMALL = SimulationSettings(customers=250, terminals=500, days=35, seed=11)


def short_compromises(base: SimulationSettings) -> SimulationSettings:
    """Another generator's fraud: more compromised terminals for shorter spells, shorter
    card compromises, customers who roam farther."""
    return replace(
        base,
        radius=10.0,
        compromised_terminals_per_day=3,
        terminal_compromise_days=14,
        compromised_customers_per_day=2,
        customer_compromise_days=7,
    )
