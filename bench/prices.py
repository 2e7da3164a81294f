"""AWS list prices used by the cost model: us-east-1, arm64, on-demand.

Recorded on 2026-11-21 from the public pricing pages as this project last read them;
check the current pages before budgeting. Each is US dollars per unit named.
"""

PRICES_RECORDED_ON = "2026-11-21"

LAMBDA_GB_SECOND_ARM = 0.0000133334  # per GB-second, arm64
LAMBDA_REQUEST = 0.20 / 1_000_000  # per invocation
API_GATEWAY_REST_REQUEST = 3.50 / 1_000_000  # per request, first 333 M a month
DYNAMODB_WRITE_UNIT = 0.625 / 1_000_000  # per on-demand write request unit
DYNAMODB_READ_UNIT = 0.125 / 1_000_000  # per on-demand read request unit
DYNAMODB_STREAM_READ = 0.02 / 100_000  # per GetRecords call (Pipes polls it)
PIPES_REQUEST = 0.40 / 1_000_000  # per event entering the pipe (64 KB chunks)
EVENTBRIDGE_EVENT = 1.00 / 1_000_000  # per custom event put on a bus
SQS_REQUEST = 0.40 / 1_000_000  # per standard-queue request (64 KB chunks)
SNS_PUBLISH = 0.50 / 1_000_000  # per publish
KMS_REQUEST = 0.03 / 10_000  # per API request (data keys are cached by the services)
XRAY_TRACE = 5.00 / 1_000_000  # per trace recorded (after the free tier)
CLOUDWATCH_LOGS_GB = 0.50  # per GB ingested
#: A managed fraud-scoring service's online prediction (Amazon Fraud Detector's
#: published price per ML-based prediction, which it listed for its first tier).
MANAGED_FRAUD_PREDICTION = 0.030
S3_GET_REQUEST = 0.40 / 1_000_000  # per GET request (S3 Standard)
