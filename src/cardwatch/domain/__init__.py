"""The domain: pure logic with no AWS SDK, no Powertools, no provider imports.

Import what you need from its modules (``cardwatch.domain.transaction.card``, ``.detection``, ...):
the package itself loads nothing, so a function that only detects does not pay for
the ingest contract's validator.
"""
