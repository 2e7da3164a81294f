"""Where the emulator differs from AWS, the local side is fixed: every patch, installed
once per process, by whatever runs moto (local mode's server, the apply test, the
integration tier's in-process moto).

- :mod:`~cardwatch.local.dynamodb_fidelity`: atomic requests, all-or-nothing
  transactions, streams of transactional writes, consumed capacity by item size;
- :mod:`~cardwatch.local.xray_fidelity`: X-Ray's resource policies;
- :mod:`~cardwatch.local.lambda_fidelity`: Lambda's account settings;
- :mod:`~cardwatch.local.messaging_fidelity`: SNS attributes and SQS redrive policies
  read back as AWS writes them;
- :mod:`~cardwatch.local.s3_fidelity`: a bucket policy's TLS-only condition.
"""

from __future__ import annotations

from cardwatch.local import (
    dynamodb_fidelity,
    lambda_fidelity,
    messaging_fidelity,
    s3_fidelity,
    xray_fidelity,
)

__all__ = ["install"]


def install() -> None:
    """Install every patch (each module installs itself once per process)."""
    dynamodb_fidelity.install()
    xray_fidelity.install()
    lambda_fidelity.install()
    messaging_fidelity.install()
    s3_fidelity.install()
