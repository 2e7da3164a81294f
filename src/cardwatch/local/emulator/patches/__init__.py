"""Where the emulator differs from AWS, the local side is fixed: every patch, installed
once per process, by whatever runs moto (local mode's server, the apply test, the
integration tier's in-process moto).

- :mod:`~cardwatch.local.emulator.patches.dynamodb`: atomic requests, all-or-nothing
  transactions, streams of transactional writes, consumed capacity by item size;
- :mod:`~cardwatch.local.emulator.patches.xray`: X-Ray's resource policies;
- :mod:`~cardwatch.local.emulator.patches.awslambda`: Lambda's account settings;
- :mod:`~cardwatch.local.emulator.patches.messaging`: SNS attributes and SQS redrive policies
  read back as AWS writes them;
- :mod:`~cardwatch.local.emulator.patches.s3`: a bucket policy's TLS-only condition.
"""

from __future__ import annotations

from cardwatch.local.emulator.patches import awslambda, dynamodb, messaging, s3, xray

__all__ = ["install"]


def install() -> None:
    """Install every patch (each module installs itself once per process)."""
    dynamodb.install()
    xray.install()
    awslambda.install()
    messaging.install()
    s3.install()
