from tests.support.traceability import TABLE, markers, render, requirements


def test_every_marker_names_a_real_requirement_line() -> None:
    assert set(markers()) <= set(requirements())


def test_the_committed_table_is_current() -> None:
    assert TABLE.read_text() == render(), "run `make trace` and commit docs/traceability.md"


def test_every_requirement_line_has_a_test() -> None:
    assert set(requirements()) <= set(markers())
