"""The shape of the code base: the domain is free of AWS; boto3 lives in the adapters
and in local mode, which renders the blueprint onto the emulator."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import cardwatch

SOURCE = Path(cardwatch.__file__).parent
AWS_SDK = {"boto3", "botocore"}
FORBIDDEN_IN_DOMAIN = AWS_SDK | {"aws_lambda_powertools", "cdktf", "pulumi", "pulumi_aws"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


DOMAIN_MODULES = sorted(
    ".".join(("cardwatch", *path.relative_to(SOURCE).with_suffix("").parts))
    for path in (SOURCE / "domain").rglob("*.py")
    if path.stem != "__init__"
)


def test_importing_every_domain_module_loads_no_aws_sdk() -> None:
    # The package's __init__ imports nothing: each module is imported, as a function would
    assert len(DOMAIN_MODULES) > 15
    code = (
        "import importlib, sys; "
        f"[importlib.import_module(m) for m in {DOMAIN_MODULES!r}]; "
        "bad = [m for m in sys.modules if m.split('.')[0] in {'boto3', 'botocore', "
        "'aws_lambda_powertools'}]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_import_check_sees_an_aws_import() -> None:
    # The same check fails for a module that does import the SDK (an adapter)
    code = (
        "import importlib, sys; importlib.import_module('cardwatch.adapters.dynamodb_state'); "
        "bad = [m for m in sys.modules if m.split('.')[0] in {'boto3'}]; assert not bad, bad"
    )
    answer = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True)
    assert answer.returncode != 0


def test_the_domain_imports_no_aws_or_provider_package() -> None:
    for path in (SOURCE / "domain").rglob("*.py"):
        assert not imported_roots(path) & FORBIDDEN_IN_DOMAIN, path


def test_only_adapters_and_local_mode_import_the_aws_sdk() -> None:
    offenders = [
        path.relative_to(SOURCE)
        for path in SOURCE.rglob("*.py")
        if imported_roots(path) & AWS_SDK and not {"adapters", "local"} & set(path.parts)
    ]
    assert offenders == []


#: what each function must not load: the contract's validator (jsonschema) and the
#: ingest use case belong to ingest; the engine (features, model) to detect
_NOT_LOADED = (
    "jsonschema",
    "cardwatch.domain.transaction.validation",
    "cardwatch.services.ingest",
    "cardwatch.handlers.wiring.ingest",
)
_ENGINE = ("cardwatch.domain.engine.detection", "cardwatch.domain.engine.model")


@pytest.mark.parametrize(
    ("function", "unused"),
    [
        ("detect", (*_NOT_LOADED, "numpy", "sklearn", "cardwatch.training.retraining")),
        ("analyze", _NOT_LOADED),
        ("notify", _NOT_LOADED + _ENGINE),
    ],
)
def test_a_function_loads_only_what_it_uses(function: str, unused: tuple[str, ...]) -> None:
    # Every module a cold start imports is paid for on the first event.
    code = (
        f"import cardwatch.handlers.{function}, sys; "
        f"bad = [m for m in {unused!r} if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
