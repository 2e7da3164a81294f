"""aggregate's failures: a batch that fails every retry leaves AWS's record of it in the
failures DLQ, and a redrive reads that range of the profile stream again and folds it,
once, however often it is redriven."""

from __future__ import annotations

import json
from typing import Any

import boto3
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent

from cardwatch.adapters.dead_letters import DeadLetterQueue, DeadLetters
from cardwatch.adapters.dynamodb_counters import DynamoEntityCounters
from cardwatch.adapters.dynamodb_state import DynamoStateStore
from cardwatch.adapters.failure_records import read_dead_letter
from cardwatch.blueprint import Blueprint
from cardwatch.domain.engine.state import DAY_MS, CardEvent, StateChange
from cardwatch.handlers.aggregate import applied_events
from cardwatch.local.runtime.provision import Provisioned
from cardwatch.services.aggregate import AggregationService
from tests.support.aws import profile_folding, streams_client

T0 = 1_763_000_000_000


def test_a_batch_that_fails_every_retry_is_redriven_from_the_stream_and_folded_once(
    provisioned: Provisioned, blueprint: Blueprint
) -> None:
    # GIVEN 30 transactions applied at one terminal, and a fold that always fails
    client = boto3.client("dynamodb")
    state = DynamoStateStore(blueprint.profile_table_name, client)
    for n in range(30):
        change = StateChange(f"card-{n}", "shop", CardEvent(f"tx-{n}", T0 + n, 5_000, "shop"))
        assert state.apply(change._replace(claimed=state.register(change)))
    sqs = boto3.client("sqs")
    dlq_url = provisioned.queue_urls[blueprint.failures_dlq.name]

    def failing(_event: dict[str, Any]) -> None:
        raise ConnectionError("injected: DynamoDB unreachable")

    folding = profile_folding(
        blueprint,
        invoke=failing,
        on_failure=lambda record: sqs.send_message(
            QueueUrl=dlq_url, MessageBody=json.dumps(record)
        ),
        retry_attempts=1,
    )

    # WHEN the mapping gives up on them
    folding.drain()

    # THEN the DLQ holds AWS's records of the failed batches (shard, sequence numbers)
    assert folding.stats.sent_to_destination > 0
    bodies: list[str] = []
    while messages := sqs.receive_message(
        QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=300
    ).get("Messages", []):
        bodies += [m["Body"] for m in messages]
    assert len(bodies) == folding.stats.sent_to_destination
    letter = read_dead_letter(bodies[0])
    assert letter.kind == "stream-batch" and letter.redrivable and letter.batch is not None
    assert set(letter.batch) >= {"shardId", "startSequenceNumber", "endSequenceNumber"}
    assert "aggregate" in letter.summary
    sqs.purge_queue(QueueUrl=dlq_url)
    for body in bodies:  # (back in the queue, visible)
        sqs.send_message(QueueUrl=dlq_url, MessageBody=body)

    # WHEN an operator redrives the DLQ twice (the second finds nothing to add)
    service = AggregationService(DynamoEntityCounters(blueprint.profile_table_name, client))
    sent: list[dict[str, Any]] = []

    def invoke(function: str, event: dict[str, Any]) -> bool:
        assert function == blueprint.functions["aggregate"].name
        sent.append(event)
        service.handle(applied_events(DynamoDBStreamEvent(event)))
        return True

    letters = DeadLetters(sqs, invoke, streams_client(blueprint))
    queue = DeadLetterQueue(blueprint.failures_dlq.name, dlq_url, None)
    done = letters.redrive(queue, limit=50)
    for event in sent:  # a redrive sent twice
        service.handle(applied_events(DynamoDBStreamEvent(event)))

    # THEN every transaction counts once at the terminal, and the DLQ is empty
    assert done.moved == len(bodies) and done.skipped == 0
    day = client.get_item(
        TableName=blueprint.profile_table_name,
        Key={"entity": {"S": "terminal#shop"}, "slot": {"S": f"d#{T0 // DAY_MS:06d}"}},
        ConsistentRead=True,
    )["Item"]
    assert int(day["n"]["N"]) == 30
    assert letters.depth(queue)["waiting"] == 0
