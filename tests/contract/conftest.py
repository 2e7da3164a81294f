"""The contract tier: every port's tests run against its in-memory fake and against its
boto3 adapter on moto (with the emulator's patches), so a fake cannot drift from what
the adapter does. Each test module's ``port`` fixture is parametrised by implementation;
the moto-backed one provisions the blueprint first."""

from __future__ import annotations

from tests.support.aws import aws, blueprint, provisioned

__all__ = ["aws", "blueprint", "provisioned"]
