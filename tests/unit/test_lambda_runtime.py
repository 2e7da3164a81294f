"""Local mode's Lambda runtime: invocations running at once never share module state."""

from cardwatch.blueprint import blueprint_for
from cardwatch.local.lambda_runtime import LocalLambda


def test_invocations_at_once_run_in_environments_of_their_own() -> None:
    # GIVEN a runtime that may run two invocations of ingest at once
    functions = LocalLambda(blueprint_for("local", "runtime"), concurrency=2)
    # WHEN two environments are in use together (neither is free for the other)
    first, second = functions._environment("ingest"), functions._environment("ingest")
    # THEN each has its own resolver (which holds the event and context it is resolving)
    assert first.module is not second.module
    assert first.module.app is not second.module.app
    assert first.handler is not second.handler
