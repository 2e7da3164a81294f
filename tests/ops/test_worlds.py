"""A family of worlds the engine was not tuned on: an issuer's portfolio built apart
from the handbook's generator, worlds drawn with parameters of their own, and the
measure that holds the engine against a reference fitted on each world."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from cardwatch.cli.main import build_parser, main
from cardwatch.domain.engine.model_store import default_model
from cardwatch.evaluation.generalisation import (
    Generalisation,
    WorldMeasure,
    generalisation_report,
    measure_world,
)
from cardwatch.simulation.handbook import SimulationSettings
from cardwatch.simulation.issuer import ISSUER_SCENARIOS, IssuerSettings, simulate_issuer
from cardwatch.simulation.labelled_file import load_history
from cardwatch.simulation.worlds import (
    HELD_OUT_SEED,
    SCENARIOS,
    TUNING_SEED,
    World,
    world_family,
)

SMALL = IssuerSettings(
    cardholders=400,
    days=42,
    seed=3,
    breaches_per_week=1.5,
    breach_leak_share=0.8,
    resale_delay_days=(3, 10),
    enumerations_per_week=1.0,
    synthetic_share=0.05,
    takeovers_per_day=1.0,
    first_party_share=0.03,
)


@pytest.fixture(scope="module")
def issuer_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("issuer") / "issuer.csv"
    World("issuer-test", "issuer", SMALL, 7).write(path)
    return path


def test_the_issuer_world_is_deterministic_time_ordered_and_has_its_own_fraud() -> None:
    first, again = simulate_issuer(SMALL), simulate_issuer(SMALL)
    assert np.array_equal(first.seconds, again.seconds)
    assert np.array_equal(first.amount, again.amount)
    assert np.all(np.diff(first.seconds) >= 0)
    counts = Counter(first.scenario.tolist())
    # every scenario of its own appears, none of the handbook's
    assert set(counts) == {0, *ISSUER_SCENARIOS}
    assert np.array_equal(first.fraud, (first.scenario > 0).astype(np.int8))
    assert 0.001 < first.fraud.mean() < 0.1  # rates raised for a small world


def test_the_issuer_world_has_its_mechanics(issuer_file: Path) -> None:
    data = simulate_issuer(SMALL)
    context = data.context
    assert context is not None
    scenario = data.scenario
    # breached cards are used online from a ring's few devices, shared across cards
    breach = scenario == 10
    assert set(context["channel"][breach].tolist()) == {"ecommerce"}
    devices = Counter(context["device_id"][breach].tolist())
    cards_per_device = {
        device: len(set(data.customer[breach & (context["device_id"] == device)].tolist()))
        for device in devices
    }
    assert max(cards_per_device.values()) >= 3
    # enumeration probes carry no device and come from networks all different
    enumeration = scenario == 11
    probes = enumeration & (context["device_id"] == "")
    assert probes.sum() >= 60
    networks = {address.rsplit(".", 1)[0] for address in context["ip_address"][probes]}
    assert len(networks) > 0.9 * probes.sum()
    # the cards that passed are used later, for more, from a device
    later = enumeration & ~probes
    assert later.any() and np.median(data.amount[later]) > 10 * np.median(data.amount[probes])
    # a synthetic card has a quiet history before it busts out
    card = int(data.customer[scenario == 12][0])
    mine = data.customer == card
    assert (mine & (scenario == 0)).sum() >= 3
    assert data.seconds[mine & (scenario == 0)].min() < data.seconds[mine & (scenario == 12)].min()
    # in-person purchases have coordinates, online ones none
    online = context["channel"] == "ecommerce"
    assert np.isnan(context["latitude"][online]).all()
    assert not np.isnan(context["latitude"][~online]).any()
    # the file holds to the contract: the one reader takes it, processor fields and all
    history = load_history(issuer_file)
    assert len(history) == len(data)
    assert {"currency", "country", "channel", "device_id", "ip_address"} <= set(history.extras)
    assert history.utc_offsets is not None


def test_a_family_draws_every_world_its_own_parameters_and_label_delay() -> None:
    worlds = world_family(HELD_OUT_SEED, 6, customers=100, days=14)
    assert [world.generator for world in worlds] == ["handbook", "rich", "issuer"] * 2
    assert worlds == world_family(HELD_OUT_SEED, 6, customers=100, days=14)
    assert len({world.settings for world in worlds}) == 6
    assert all(3 <= world.label_delay_days <= 14 for world in worlds)
    # the held-out worlds are not the tuning worlds
    tuning = world_family(TUNING_SEED, 6, customers=100, days=14)
    assert not {w.settings for w in worlds} & {w.settings for w in tuning}
    handbook = [w.settings for w in worlds if isinstance(w.settings, SimulationSettings)]
    assert {s.rich is None for s in handbook} == {True, False}
    # every scenario any generator makes has a name
    assert set(ISSUER_SCENARIOS) <= set(SCENARIOS)


def test_a_world_is_measured_day_one_and_retrained_beside_its_reference(
    tmp_path: Path,
) -> None:
    world = World("issuer-measured", "issuer", SMALL, 7)
    found = measure_world(world, tmp_path, default_model())
    assert found.rows > 10_000 and found.test_frauds > 10
    # the retrained engine and the reference both rank frauds far above their share
    prevalence = found.test_frauds / found.test_rows
    assert found.average_precision > 5 * prevalence
    assert found.reference > 5 * prevalence
    assert found.ratio == pytest.approx(found.average_precision / found.reference)
    # day one: the shipped model alone, under the alert budget
    assert found.day_one_average_precision > 5 * prevalence
    assert 0 < found.day_one_flagged_share <= 0.02
    # per scenario: frauds counted on the test days, flagged no more than there are
    assert set(found.scenarios) <= set(ISSUER_SCENARIOS)
    assert sum(frauds for frauds, _f, _d in found.scenarios.values()) == found.test_frauds
    assert all(
        flagged <= frauds and day <= frauds for frauds, flagged, day in found.scenarios.values()
    )


def test_the_command_reports_each_world_the_worst_and_each_scenario(
    capsys: pytest.CaptureFixture[str],
) -> None:
    arguments = ["--count", "3", "--customers", "150", "--days", "21", "--no-reference"]
    assert main(["worlds", *arguments, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [w["world"].split("-")[0] for w in report["worlds"]] == ["handbook", "rich", "issuer"]
    assert all(w["reference_average_precision"] is None for w in report["worlds"])
    assert report["worst"] is None  # no reference, no ratio
    assert report["model"] == default_model().version
    assert report["scenarios"] and all(s["name"] for s in report["scenarios"])
    for entry in report["worlds"]:
        assert 0 <= entry["day_one"]["flagged_share"] <= 1
    # and as tables
    assert main(["worlds", *arguments]) == 0
    shown = capsys.readouterr().out
    assert "per scenario" in shown and "day-one AP" in shown


def test_the_report_says_undefined_not_nan() -> None:
    empty = WorldMeasure("w", "issuer", 7, 10, 5, 0, math.nan, math.nan, math.nan, math.nan, 0, 0)
    report = generalisation_report(Generalisation((empty,), "m"))
    assert report["worlds"][0]["ratio"] is None and report["worst"] is None
    assert "NaN" not in json.dumps(report)


def test_the_commands_default_seed_is_the_held_out_one() -> None:
    args = build_parser().parse_args(["worlds"])
    assert args.seed == HELD_OUT_SEED != TUNING_SEED


@pytest.mark.parametrize("text", ['{"format": "x"}', "not json", '{"format": "cardwatch-gbt/1"'])
def test_a_corrupted_model_file_is_refused_in_one_line(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "model.json"
    bad.write_text(text)
    assert main(["worlds", "--model", str(bad), "--count", "1"]) == 2
    err = capsys.readouterr().err
    assert "not a model artifact cardwatch can trust" in err and "Traceback" not in err
