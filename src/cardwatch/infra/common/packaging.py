"""The Lambda deployment packages: built from the repository, reproducibly, and small.

Only what the functions import goes in: the ``cardwatch`` modules the handlers reach
(domain, adapters, handlers, schema, blueprint) and the run-time libraries the Lambda
Python runtime lacks (Powertools with the X-Ray SDK, the contract's checks), as arm64 wheels of the
exact versions this repository tests with. boto3 comes with the runtime. Every entry
has a fixed timestamp and mode and the entries are sorted, so the same sources always
give the same bytes (and the same hash for Terraform and Pulumi).

Every module of the functions' package ships with its bytecode. Lambda's ``/var/task``
is read-only, so Python cannot cache what it compiles there: without bytecode every cold
start compiles every module it imports, cardwatch's, Powertools' and the validator's,
afresh. The bytecode is written by a Python of the runtime's version (the blueprint's
``runtime``, 3.11 by default; another Python would write files the runtime ignores, so
it writes none, and the package says so in its name), hash-based and unchecked (the
runtime never compares it against a source it cannot change), with a fixed hash seed
(so the bytes are the same at every build) and the runtime's paths in tracebacks.

The retrain function has a package of its own (``training``), without bytecode (a weekly
job can spend seconds compiling; its 250 MB cannot spare the room): the same modules, the
fitting code of ``cardwatch.training``, scikit-learn with numpy and SciPy, and DuckDB to
read the training set Athena writes as Parquet. The Python 3.11
runtime runs on Amazon Linux 2 (glibc 2.26), so its wheels are the newest releases built
for manylinux2014 on arm64 (``TRAINING_DISTRIBUTIONS``): older than the ones this
repository fits with, which only the artifact (JSON trees) has to survive. The wheels'
own test suites are left out. About 246 MB unpacked (Lambda allows 250 MB; a test
holds it under, ``make bench`` reports it) and 73 MB zipped: more than a direct upload
takes (50 MB), so both deployments put it in the model bucket and point the function
there.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

__all__ = [
    "TRAINING_DISTRIBUTIONS",
    "LambdaPackage",
    "build_lambda_package",
    "build_training_package",
    "package_sources",
    "wheels_command",
]

#: Distributions the functions need beyond the runtime's boto3 and botocore.
RUNTIME_DISTRIBUTIONS = (
    "aws-lambda-powertools",
    "aws-xray-sdk",
    "wrapt",
    "jmespath",
    "typing-extensions",
    "fastjsonschema",
    "jsonschema",
    "jsonschema-specifications",
    "referencing",
    "rpds-py",
    "attrs",
)
#: Parts of the cardwatch package that the handlers import.
PACKAGE_PARTS = (
    "__init__.py",
    "py.typed",
    "blueprint.py",
    "domain",
    "services",
    "adapters",
    "handlers",
    "schema",
)
#: The retrain function's libraries (see the module's note on their versions).
TRAINING_DISTRIBUTIONS = (
    "numpy==2.2.6",
    "scipy==1.16.3",
    "scikit-learn==1.7.0",
    "threadpoolctl==3.8.0",
    "joblib==1.6.0",
    # reads the training set Athena writes as Parquet
    "duckdb==1.2.2",
)
#: The fitting code the retrain function runs, beside :data:`PACKAGE_PARTS`.
TRAINING_PARTS = ("training",)
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
#: The default Lambda runtime's Python (the blueprint's ``python3.11``), and where the
#: runtime finds the code.
LAMBDA_PYTHON = (3, 11)
_TASK_ROOT = "/var/task"
_SOURCE = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class LambdaPackage:
    path: Path
    sha256: str
    size: int


def _requirements() -> list[str]:
    return [f"{name}=={metadata.version(name)}" for name in RUNTIME_DISTRIBUTIONS]


def _sources(parts: tuple[str, ...] = PACKAGE_PARTS) -> list[Path]:
    files: list[Path] = []
    for part in parts:
        path = _SOURCE / part
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        files += [
            p
            for p in candidates
            if p.is_file()
            and "__pycache__" not in p.parts
            and p.suffix in {".py", ".json", ".typed"}
        ]
    return files


def package_sources(parts: tuple[str, ...] = PACKAGE_PARTS) -> list[tuple[Path, str]]:
    """The cardwatch files the package holds, each with its name in the package."""
    return [(path, f"cardwatch/{path.relative_to(_SOURCE).as_posix()}") for path in _sources(parts)]


def _fingerprint(requirements: list[str], sources: list[Path]) -> str:
    digest = hashlib.sha256("\n".join(requirements).encode())
    for path in sources:
        digest.update(path.relative_to(_SOURCE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def wheels_command(
    requirements: list[str] | tuple[str, ...], target: Path, python: tuple[int, int]
) -> list[str]:
    """pip's command for the runtime's wheels: arm64 Linux, the runtime's CPython."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-compile",
        "--target",
        str(target),
        "--platform",
        "manylinux2014_aarch64",
        "--implementation",
        "cp",
        "--python-version",
        f"{python[0]}.{python[1]}",
        "--only-binary=:all:",
        *requirements,
    ]


def _install_wheels(requirements: list[str], target: Path, python: tuple[int, int]) -> None:
    run = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        wheels_command(requirements, target, python),
        check=False,
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise RuntimeError(f"could not fetch the Lambda wheels:\n{run.stdout}\n{run.stderr}")


def bytecode_tag(python: tuple[int, int] = LAMBDA_PYTHON) -> str | None:
    """The bytecode this machine can write for the runtime (None: another Python)."""
    return f"cpython-{python[0]}{python[1]}" if sys.version_info[:2] == python else None


def _compile(root: Path) -> None:
    """Bytecode beside every module under ``root`` (see the module's note)."""
    run = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(root),
            "-p",
            _TASK_ROOT,
            str(root),
        ],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if run.returncode != 0:
        raise RuntimeError(f"could not compile the package:\n{run.stdout}\n{run.stderr}")


def _zip(root: Path, out: Path) -> None:
    entries = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix != ".pyi"
        # the libraries' own test suites (numpy's, SciPy's...), never imported
        and not ({"tests", "test"} & set(p.relative_to(root).parts[1:-1]))
    )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in entries:
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), _FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())


def build_lambda_package(build_dir: Path, python: tuple[int, int] = LAMBDA_PYTHON) -> LambdaPackage:
    """Build (or reuse) ``build_dir/lambda-<fingerprint>.zip`` for the runtime of
    ``python``, with bytecode when this Python is the runtime's."""
    tag = bytecode_tag(python)
    kind = "lambda" if tag else "lambda-source-only"
    return _build(build_dir, kind, _requirements(), PACKAGE_PARTS, python=python, bytecode=tag)


def build_training_package(
    build_dir: Path, python: tuple[int, int] = LAMBDA_PYTHON
) -> LambdaPackage:
    """Build (or reuse) ``build_dir/training-<fingerprint>.zip``: the retrain function's."""
    return _build(
        build_dir,
        "training",
        [*_requirements(), *TRAINING_DISTRIBUTIONS],
        (*PACKAGE_PARTS, *TRAINING_PARTS),
        python=python,
    )


def _build(
    build_dir: Path,
    kind: str,
    requirements: list[str],
    parts: tuple[str, ...],
    *,
    python: tuple[int, int],
    bytecode: str | None = None,
) -> LambdaPackage:
    sources = _sources(parts)
    named = [*requirements, f"python {python[0]}.{python[1]}"]
    if python == LAMBDA_PYTHON:  # the default's fingerprint, as before the setting
        named = requirements
    if bytecode:
        named = [*named, f"bytecode {bytecode}"]
    out = build_dir / f"{kind}-{_fingerprint(named, sources)}.zip"
    if not out.exists():
        build_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as staging:
            root = Path(staging)
            _install_wheels(requirements, root, python)
            for path, name in package_sources(parts):
                target = root / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
            if bytecode:
                _compile(root)
            partial = out.with_suffix(".partial")
            _zip(root, partial)
            partial.replace(out)
    data = out.read_bytes()
    return LambdaPackage(out, hashlib.sha256(data).hexdigest(), len(data))
