"""The README and the documentation site tell a new user how to run, deploy and read the
system, in the project's own words."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text()
GENERATED = {"requirements.md", "traceability.md"}  # written by tools; not prose


def page(name: str) -> str:
    return (DOCS / name).read_text()


def pages_a_user_reads() -> dict[str, str]:
    written = {p.name: p.read_text() for p in DOCS.glob("*.md") if p.name not in GENERATED}
    return {"README.md": README, **{f"docs/{name}": text for name, text in written.items()}}


def nav_pages(entry: Any) -> set[str]:
    """Every page named anywhere in an mkdocs nav entry."""
    if isinstance(entry, str):
        return {entry}
    if isinstance(entry, list):
        return set().union(*(nav_pages(e) for e in entry))
    if isinstance(entry, dict):
        return set().union(*(nav_pages(v) for v in entry.values()))
    return set()


@pytest.mark.requirement("R000-32")
def test_the_docs_explain_the_architecture_and_the_cdktf_deployment() -> None:
    architecture = page("architecture.md")
    assert "# Architecture" in architecture
    assert "DynamoDB stream --> EventBridge Pipe" in architecture
    cdktf = page("deploy-cdktf.md")
    assert "# Deploying with CDKTF" in cdktf and "terraform apply" in cdktf
    assert "archived CDKTF on 2025-12-10" in cdktf


@pytest.mark.requirement("R003-23")
def test_the_docs_explain_the_pulumi_deployment() -> None:
    pulumi = page("deploy-pulumi.md")
    assert "# Deploying with Pulumi" in pulumi and "pulumi up" in pulumi
    for setting in (
        "environment_suffix",
        "alert_email",
        "log_retention_days",
        "reserved_concurrency",
        "vpc_functions",
    ):
        assert setting in pulumi


def test_the_readme_names_the_two_commands_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "make test" in README and "make demo" in README


def test_the_readme_shows_the_pipeline() -> None:
    assert "DynamoDB stream --> EventBridge Pipe" in README


def test_the_readme_is_short() -> None:
    assert len(README.splitlines()) <= 200


def test_the_docs_have_pages_of_their_own() -> None:
    written = [p for p in DOCS.glob("*.md") if p.name not in GENERATED]
    assert len(written) >= 8, sorted(p.name for p in written)


def test_the_project_speaks_of_itself_only() -> None:
    # no issue numbers, requirement documents, requirement ids or design notes
    outside = re.compile(r"\bissue \d+|\bseed \d{3}|\bR\d{3}-\d{2}\b|DESIGN\.md", re.I)
    for name, text in pages_a_user_reads().items():
        found = outside.findall(text)
        assert not found, f"{name}: {found}"


def test_every_page_is_in_the_sites_navigation() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    listed = nav_pages(config["nav"])
    on_disk = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert on_disk - listed == set(), "pages missing from mkdocs.yml's nav"
    assert listed - on_disk == set(), "mkdocs.yml's nav names pages that do not exist"
