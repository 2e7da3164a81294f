"""DynamoDB units one transaction consumes (bench/dynamodb_units.py), by kind of
transaction and terminal volume (the cost stage reads the heat stage's, at the
reference mix)."""

from __future__ import annotations

from bench.results import Result


def run() -> list[Result]:
    """DynamoDB units of one transaction, measured at terminals of three volumes, and of
    an online one with every spread entity."""
    from bench.dynamodb_units import ONLINE, VOLUMES, measure_units

    measured = measure_units()
    quiet = measured[VOLUMES[0]]
    results: list[Result] = []
    for volume, units in measured.items():
        where = (
            f"terminal at {volume:,}/day"
            if volume != ONLINE
            else "online, device + IP + BIN counted"
        )
        for key, what, target in (
            # detect's own 8 and the fold's 6 (a batch of its own: its event's marker,
            # 2, and the terminal's hour and day, 4, shared by a busy terminal's batch)
            ("state_write", "detection state, write units", 14.0),
            ("state_read", "detection state, read units", 12.0),
            ("path_write", "whole path, write units", 26.0),
            ("path_read", "whole path, read units", 7.0),
        ):
            results.append(
                Result(
                    f"dynamodb: {what} per transaction, {where}",
                    units[key],
                    "units",
                    target if volume != ONLINE else None,
                    quiet[key],
                    units[key] / quiet[key] if quiet[key] else None,
                    note="ReturnConsumedCapacity on the emulator's DynamoDB, item sizes and "
                    "indexes by DynamoDB's rules; baseline: a card-present purchase at a "
                    "terminal of 100/day"
                    + (
                        "; each spread entity adds a first-visit claim (1) and an hour "
                        "bucket in the fold's transaction (2)"
                        if volume == ONLINE
                        else ""
                    ),
                )
            )
    return results
