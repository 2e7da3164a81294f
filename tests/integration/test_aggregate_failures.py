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

    # THEN only applied events were sent (the range holds every change of the shard),
    # every transaction counts once at the terminal, and the DLQ is empty
    assert done.moved == len(bodies) and done.skipped == 0
    assert sent and all(
        record["dynamodb"]["NewImage"]["slot"]["S"].startswith("e#")
        and "applied" in record["dynamodb"]["NewImage"]
        for event in sent
        for record in event["Records"]
    )
    day = client.get_item(
        TableName=blueprint.profile_table_name,
        Key={"entity": {"S": "terminal#shop"}, "slot": {"S": f"d#{T0 // DAY_MS:06d}"}},
        ConsistentRead=True,
    )["Item"]
    assert int(day["n"]["N"]) == 30
    assert letters.depth(queue)["waiting"] == 0


def test_a_redriven_range_sends_only_applied_events_in_invocations_that_fit(
    provisioned: Provisioned, blueprint: Blueprint
) -> None:
    # GIVEN 250 applied transactions, and one dead letter naming the shard's whole range
    # (registrations, card buckets and applied marks all lie in it)
    client = boto3.client("dynamodb")
    state = DynamoStateStore(blueprint.profile_table_name, client)
    for n in range(250):
        change = StateChange(f"card-{n % 9}", "shop", CardEvent(f"r-{n}", T0 + n, 1_000, "shop"))
        assert state.apply(change._replace(claimed=state.register(change)))
    streams = streams_client(blueprint)
    arn = client.describe_table(TableName=blueprint.profile_table_name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    numbers: list[str] = []
    while True:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        if not page["Records"]:
            break
        numbers += [r["dynamodb"]["SequenceNumber"] for r in page["Records"]]
        iterator = page["NextShardIterator"]
    sqs = boto3.client("sqs")
    dlq_url = provisioned.queue_urls[blueprint.failures_dlq.name]
    name = blueprint.functions["aggregate"].name
    record = {
        "requestContext": {
            "requestId": "r-1",
            "functionArn": f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
            "condition": "RecordAgeExceeded",
            "approximateInvokeCount": 11,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "version": "1.0",
        "timestamp": "2025-11-13T00:00:00Z",
        "DDBStreamBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": numbers[0],
            "endSequenceNumber": numbers[-1],
            "batchSize": 250,
            "streamArn": arn,
        },
    }
    sqs.send_message(QueueUrl=dlq_url, MessageBody=json.dumps(record))
    service = AggregationService(DynamoEntityCounters(blueprint.profile_table_name, client))
    sizes: list[int] = []

    def invoke(function: str, event: dict[str, Any]) -> bool:
        sizes.append(len(event["Records"]))
        service.handle(applied_events(DynamoDBStreamEvent(event)))
        return True

    # WHEN it is redriven
    done = DeadLetters(sqs, invoke, streams).redrive(
        DeadLetterQueue(blueprint.failures_dlq.name, dlq_url, None), limit=5
    )

    # THEN the range's 250 applied events went, 100 at most an invocation, and counted once
    assert len(numbers) > 500  # the range held far more than the applied events
    assert done.moved == 1 and sum(sizes) == 250 and max(sizes) <= 100
    day = client.get_item(
        TableName=blueprint.profile_table_name,
        Key={"entity": {"S": "terminal#shop"}, "slot": {"S": f"d#{T0 // DAY_MS:06d}"}},
        ConsistentRead=True,
    )["Item"]
    assert int(day["n"]["N"]) == 250
