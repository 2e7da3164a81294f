"""Round-trip times the cost model gives each AWS call a function makes, in milliseconds.

AWS publishes no per-call latency table: DynamoDB promises "single-digit millisecond"
reads and writes at any scale, and the other services publish none. These are the
model's assumptions, within the same region, for a warm connection, each named and
rounded up from what AWS's own guidance and common measurements give:

- DynamoDB: 5 ms for a single-item read or write or a query page, 10 ms for a
  transaction (DynamoDB prepares, then commits, every item: twice the work), 10 ms for a
  batch of 25 writes;
- SQS and KMS: 10 ms; SNS and EventBridge: 20 ms; SSM Parameter Store: 15 ms; an S3
  object (the model, the rules): 30 ms.

A call to a service or operation not listed costs :data:`OTHER_MS`. The cost stage
prints which calls it priced at that default, so a new call is seen, not hidden.
"""

from __future__ import annotations

DYNAMODB_SINGLE_MS = 5.0
DYNAMODB_TRANSACTION_MS = 10.0
DYNAMODB_BATCH_MS = 10.0
OTHER_MS = 20.0

CALL_MS: dict[str, float] = {
    "dynamodb.GetItem": DYNAMODB_SINGLE_MS,
    "dynamodb.PutItem": DYNAMODB_SINGLE_MS,
    "dynamodb.UpdateItem": DYNAMODB_SINGLE_MS,
    "dynamodb.DeleteItem": DYNAMODB_SINGLE_MS,
    "dynamodb.Query": DYNAMODB_SINGLE_MS,
    "dynamodb.BatchGetItem": DYNAMODB_BATCH_MS,
    "dynamodb.BatchWriteItem": DYNAMODB_BATCH_MS,
    "dynamodb.TransactWriteItems": DYNAMODB_TRANSACTION_MS,
    "dynamodb.TransactGetItems": DYNAMODB_TRANSACTION_MS,
    "sqs.SendMessage": 10.0,
    "sqs.SendMessageBatch": 10.0,
    "sqs.DeleteMessage": 10.0,
    "sqs.DeleteMessageBatch": 10.0,
    "kms.GenerateMac": 10.0,
    "kms.Decrypt": 10.0,
    "kms.Encrypt": 10.0,
    "kms.GenerateDataKey": 10.0,
    "sns.Publish": 20.0,
    "events.PutEvents": 20.0,
    "ssm.GetParameter": 15.0,
    "ssm.GetParameters": 15.0,
    "s3.GetObject": 30.0,
    "s3.HeadObject": 30.0,
}


def call_ms(call: str) -> float:
    """The modelled round trip of ``call`` (``service.Operation``)."""
    return CALL_MS.get(call, OTHER_MS)
