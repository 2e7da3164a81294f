"""Each of the emulator's patches beside raw moto: what moto does without it, and what the
patch makes it do (AWS's behaviour). Raw moto runs in a fresh interpreter (this tier
installs the patches in its own process), on moto's own threaded server.

When a moto upgrade makes raw moto behave as AWS does, the "raw" half of a test fails
and says which patch can go; when an upgrade removes a member a patch replaces,
``patches.install()`` refuses and names the patch (tested below without an upgrade).
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from moto.dynamodb.models.table import Table

from cardwatch.local.emulator import patches

ROOT = Path(__file__).resolve().parents[2]

_RUN = """
import json, boto3
from moto.server import ThreadedMotoServer
if {patched}:
    from cardwatch.local.emulator import patches
    patches.install()
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
def client(name):
    return boto3.client(
        name, endpoint_url=f"http://{{host}}:{{port}}", region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
def attempt(call):
    try:
        return call()
    except Exception as error:
        return f"refused: {{type(error).__name__}}: {{error}}"
answer = {{}}
{body}
print(json.dumps(answer, default=str))
server.stop()
"""


def moto(body: str, *, patched: bool) -> dict[str, Any]:
    """Run ``body`` against a fresh moto server, with the patches or without."""
    code = _RUN.format(patched=patched, body=textwrap.dedent(body))
    # raw moto as it comes: without the settings the patches give this process
    env = {k: v for k, v in os.environ.items() if k != "MOTO_IAM_LOAD_MANAGED_POLICIES"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def both(body: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return moto(body, patched=False), moto(body, patched=True)


def test_the_patches_were_written_for_the_moto_the_project_pins() -> None:
    pins = re.findall(r'"moto\[[^]]*\]==([\d.]+)"', (ROOT / "pyproject.toml").read_text())
    assert pins and set(pins) == {patches.WRITTEN_FOR}


def test_every_member_a_patch_replaces_is_in_the_installed_moto() -> None:
    # in a fresh interpreter: here the patches are installed, and would stand in for
    # what they replaced
    code = (
        "import json; from cardwatch.local.emulator import patches; "
        "print(json.dumps(patches.broken_targets()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == {}
    assert all(patch.TARGETS for patch in patches.PATCHES.values())


def test_another_moto_missing_a_member_is_refused_naming_the_patch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a moto of another version where DynamoDB's Table.query lost index_name
    def query(self: Any, hash_key: Any) -> None:
        return None

    monkeypatch.setattr(Table, "query", query)
    # WHEN the patches check it THEN they refuse, naming the patch and the member
    with pytest.raises(patches.PatchesOutdated) as refused:
        patches.check("9.0.0")
    assert "patch dynamodb" in str(refused.value)
    assert "Table.query no longer takes index_name" in str(refused.value)
    assert "9.0.0" in str(refused.value) and patches.WRITTEN_FOR in str(refused.value)
    # and on the version they were written for they check nothing
    patches.check(patches.WRITTEN_FOR)


def test_another_moto_with_every_member_installs_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        patches.check("9.0.0")
    assert "moto 9.0.0 is installed" in caplog.text


def test_dynamodb_consumed_capacity_follows_the_item_size() -> None:
    # DynamoDB: a write costs 1 unit per KB of the item; 5,000 bytes cost 5
    raw, patched = both(
        """
        ddb = client("dynamodb")
        ddb.create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        )
        put = ddb.put_item(
            TableName="t", Item={"k": {"S": "a"}, "v": {"S": "x" * 5000}},
            ReturnConsumedCapacity="TOTAL",
        )
        answer["units"] = put["ConsumedCapacity"]["CapacityUnits"]
        """
    )
    assert raw["units"] != 5, "raw moto now charges by size: the units patch can go"
    assert patched["units"] == 5


def test_dynamodb_a_cancelled_transaction_keeps_a_concurrent_write() -> None:
    # A transaction whose condition fails writes nothing and undoes nothing else. moto
    # applies a transaction write by write and, on a failure, restores copies of the
    # tables taken at its start; here a put made by the same client between the copy and
    # the restore cannot happen, so the visible difference is the cancellation reasons:
    # DynamoDB names the failed condition per item
    raw, patched = both(
        """
        ddb = client("dynamodb")
        ddb.create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        )
        ddb.put_item(TableName="t", Item={"k": {"S": "held"}})
        try:
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": "t", "Item": {"k": {"S": "new"}}}},
                {"Put": {"TableName": "t", "Item": {"k": {"S": "held"}},
                         "ConditionExpression": "attribute_not_exists(k)"}},
            ])
        except ddb.exceptions.TransactionCanceledException as error:
            answer["reasons"] = [r["Code"] for r in error.response["CancellationReasons"]]
        answer["new"] = "Item" in ddb.get_item(TableName="t", Key={"k": {"S": "new"}})
        """
    )
    assert patched == {"reasons": ["None", "ConditionalCheckFailed"], "new": False}
    # raw moto agrees on what a client sees of one transaction alone: the patch's reason
    # is atomicity under concurrent requests (tests/concurrency) and the cost of the copies
    assert raw["new"] is False


def test_lambda_answers_get_account_settings() -> None:
    raw, patched = both(
        """
        settings = attempt(lambda: client("lambda").get_account_settings())
        answer["settings"] = settings if isinstance(settings, str) else settings["AccountLimit"]
        """
    )
    assert str(raw["settings"]).startswith("refused"), "raw moto answers: awslambda can go"
    assert patched["settings"]["ConcurrentExecutions"] == 1000


def test_lambda_invoke_answers_as_lambda_for_a_function_that_cannot_run() -> None:
    # without the local runtime's bridge (moto alone, as here): Lambda's answers for a
    # function that cannot start; with it, the function runs (tests/integration/
    # test_invoke_bridge.py, tests/e2e/test_lambda_invoke.py)
    raw, patched = both(
        """
        import io, os, zipfile
        from botocore.config import Config
        os.environ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"  # never a real Docker
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("f.py", "def handler(event, context):\\n    return event\\n")
        role = client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
        lam = boto3.client(
            "lambda", endpoint_url=f"http://{host}:{port}", region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}),
        )
        lam.create_function(
            FunctionName="f", Runtime="python3.11", Role=role["Role"]["Arn"],
            Handler="f.handler", Code={"ZipFile": code.getvalue()},
        )
        for kind in ("RequestResponse", "Event", "DryRun"):
            got = lam.invoke(FunctionName="f", InvocationType=kind, Payload=b'{"a": 1}')
            answer[kind] = {
                "status": got["StatusCode"], "error": got.get("FunctionError"),
                "version": got.get("ExecutedVersion"), "payload": got["Payload"].read().decode(),
            }
        answer["not json"] = str(attempt(lambda: lam.invoke(FunctionName="f", Payload=b"{a")))
        """
    )
    assert raw["RequestResponse"]["error"] == "Handled", "raw moto runs it: lambda_invoke can go"
    assert "docker" in raw["RequestResponse"]["payload"]
    assert raw["Event"]["payload"], "raw moto answers an event with nothing: it runs later"
    assert "InvalidRequestContent" not in raw["not json"]
    called = patched["RequestResponse"]
    assert (called["status"], called["error"], called["version"]) == (200, "Unhandled", "$LATEST")
    document = json.loads(called["payload"])
    assert document["errorType"] == "Runtime.Unavailable"
    assert "the local runtime is not attached" in document["errorMessage"]
    assert set(document) == {"errorMessage", "errorType", "stackTrace"}
    assert patched["Event"] == {"status": 202, "error": None, "version": None, "payload": ""}
    assert patched["DryRun"] == {"status": 204, "error": None, "version": None, "payload": ""}
    assert "InvalidRequestContentException" in patched["not json"]


def test_the_account_has_awss_managed_policies_and_api_gateway_resets_its_role() -> None:
    raw, patched = both(
        """
        iam, apigateway = client("iam"), client("apigateway")
        role = iam.create_role(RoleName="logs", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        answer["attached"] = str(attempt(lambda: iam.attach_role_policy(
            RoleName="logs",
            PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
        )))
        apigateway.update_account(
            patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}]
        )
        # what Terraform sends to reset the account (reset_on_delete): no value
        answer["reset"] = str(attempt(lambda: apigateway.update_account(
            patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn"}]
        )))
        answer["role"] = apigateway.get_account().get("cloudwatchRoleArn")
        """
    )
    assert raw["attached"].startswith("refused") and "NoSuchEntity" in raw["attached"]
    assert raw["reset"].startswith("refused"), "raw moto resets the account: account can go"
    assert not patched["attached"].startswith("refused")
    assert not patched["reset"].startswith("refused") and patched["role"] is None


def test_a_message_sqs_moves_to_its_dead_letter_queue_names_where_it_came_from() -> None:
    raw, patched = both(
        """
        sqs = client("sqs")
        dead = sqs.create_queue(QueueName="dead")["QueueUrl"]
        dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        source = sqs.create_queue(QueueName="source", Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": 1}),
        })["QueueUrl"]
        answer["source"] = sqs.get_queue_attributes(
            QueueUrl=source, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sent = sqs.send_message(QueueUrl=source, MessageBody="m")["MessageId"]
        sqs.receive_message(QueueUrl=source)  # received once: the policy's limit
        sqs.receive_message(QueueUrl=source)  # SQS moves it
        moved = sqs.receive_message(QueueUrl=dead, AttributeNames=["All"])["Messages"][0]
        answer["same"] = moved["MessageId"] == sent
        answer["from"] = moved.get("Attributes", {}).get("DeadLetterQueueSourceArn")
        """
    )
    assert raw["same"] and raw["from"] is None, "raw moto names the source: messaging can go"
    assert patched["same"] and patched["from"] == patched["source"]


def test_sns_refuses_a_subject_aws_refuses() -> None:
    raw, patched = both(
        r"""
        sns = client("sns")
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        for name, subject in {
            "newline": "[HIGH] CARD_TESTING\nBcc: someone@example.com",
            "escape": "\x1b[31mred",
            "unicode": "caf\u00e9",
            "plain": "[HIGH] CARD_TESTING: 12.00 USD on card 411111******1111",
        }.items():
            answer[name] = attempt(
                lambda s=subject: sns.publish(TopicArn=topic, Message="m", Subject=s)["MessageId"]
            )
        """
    )
    refused = ("newline", "escape", "unicode")
    assert not any(raw[name].startswith("refused") for name in refused), (
        "raw moto refuses such subjects: the SNS subject patch can go"
    )
    assert all(
        patched[name].startswith("refused") and "InvalidParameter" in patched[name]
        for name in refused
    )
    assert not patched["plain"].startswith("refused")


def test_a_security_group_rule_to_a_prefix_list_keeps_its_description() -> None:
    raw, patched = both(
        """
        ec2 = client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        group = ec2.create_security_group(GroupName="g", Description="g", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "PrefixListIds": [{"PrefixListId": "pl-63a5400a", "Description": "to S3"}],
        }])
        rules = ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [group]}]
        )["SecurityGroupRules"]
        answer["descriptions"] = [r.get("Description") for r in rules if r.get("PrefixListId")]
        """
    )
    assert raw["descriptions"] == [None], "raw moto keeps it: ec2 can go"
    assert patched["descriptions"] == ["to S3"]


def test_sns_returns_the_attributes_a_client_set_and_sqs_a_compact_redrive_policy() -> None:
    raw, patched = both(
        """
        sns = client("sns")
        arn = sns.create_topic(Name="alerts")["TopicArn"]
        sns.set_topic_attributes(
            TopicArn=arn, AttributeName="TracingConfig", AttributeValue="Active"
        )
        answer["tracing"] = sns.get_topic_attributes(TopicArn=arn)["Attributes"].get(
            "TracingConfig"
        )
        sqs = client("sqs")
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
        url = sqs.create_queue(QueueName="q", Attributes={"RedrivePolicy": policy})["QueueUrl"]
        answer["redrive"] = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["RedrivePolicy"]
        )["Attributes"]["RedrivePolicy"]
        """
    )
    assert raw["tracing"] is None, "raw moto returns TracingConfig: messaging's SNS half can go"
    assert patched["tracing"] == "Active"
    assert ", " in raw["redrive"], "raw moto answers compact JSON: messaging's SQS half can go"
    assert ", " not in patched["redrive"] and ": " not in patched["redrive"]


def test_s3_reads_a_tls_only_policy_as_aws_does_for_a_tls_caller() -> None:
    raw, patched = both(
        """
        s3 = client("s3")
        s3.create_bucket(Bucket="models")
        s3.put_bucket_policy(Bucket="models", Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": ["arn:aws:s3:::models", "arn:aws:s3:::models/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }],
        }))
        answer["put"] = attempt(lambda: s3.put_object(Bucket="models", Key="m", Body=b"{}")
                                and "stored")
        """
    )
    assert str(raw["put"]).startswith("refused"), "raw moto evaluates the condition: s3 can go"
    assert patched["put"] == "stored"


def test_xray_keeps_resource_policies() -> None:
    raw, patched = both(
        """
        xray = client("xray")
        document = json.dumps({"Version": "2012-10-17", "Statement": []})
        answer["put"] = attempt(
            lambda: xray.put_resource_policy(PolicyName="sns", PolicyDocument=document)[
                "ResourcePolicy"]["PolicyName"]
        )
        """
    )
    assert str(raw["put"]).startswith("refused"), "raw moto keeps the policies: xray can go"
    assert patched["put"] == "sns"


def test_dynamodb_exports_to_s3_as_aws_writes_them_full_and_incremental() -> None:
    # DynamoDB: an export's files under AWSDynamoDB/{ExportId}/ with its manifests; an
    # incremental export holds each item changed in the period, once, as it left it
    raw, patched = both(
        """
        import gzip, time
        ddb, s3 = client("dynamodb"), client("s3")
        s3.create_bucket(Bucket="exports")
        ddb.create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
        ddb.update_continuous_backups(
            TableName="t", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
        arn = ddb.describe_table(TableName="t")["Table"]["TableArn"]
        def read(export):
            arn_ = export["ExportDescription"]["ExportArn"]
            for _ in range(50):
                described = ddb.describe_export(ExportArn=arn_)["ExportDescription"]
                if described["ExportStatus"] != "IN_PROGRESS":
                    break
                time.sleep(0.1)
            keys = sorted(o["Key"] for o in s3.list_objects_v2(
                Bucket="exports", Prefix=described["S3Prefix"]).get("Contents", []))
            lines = []
            for key in keys:
                if key.endswith(".json.gz") or key.endswith(".gz"):
                    body = gzip.decompress(s3.get_object(Bucket="exports", Key=key)["Body"].read())
                    lines += [json.loads(l) for l in body.decode().splitlines() if l]
            return {
                "arn": arn_, "keys": [k.split("/", 3)[-1] for k in keys], "lines": lines,
                "failure": described.get("FailureMessage"),
            }
        ddb.put_item(TableName="t", Item={"k": {"S": "before"}, "v": {"N": "1"}})
        answer["full"] = attempt(lambda: read(ddb.export_table_to_point_in_time(
            TableArn=arn, S3Bucket="exports", S3Prefix="full")))
        time.sleep(0.05)
        start = time.time()
        ddb.put_item(TableName="t", Item={"k": {"S": "new"}, "v": {"N": "1"}})
        ddb.put_item(TableName="t", Item={"k": {"S": "before"}, "v": {"N": "2"}})
        ddb.put_item(TableName="t", Item={"k": {"S": "before"}, "v": {"N": "3"}})
        end = time.time()
        answer["incremental"] = attempt(lambda: read(ddb.export_table_to_point_in_time(
            TableArn=arn, S3Bucket="exports", S3Prefix="inc", ExportType="INCREMENTAL_EXPORT",
            IncrementalExportSpecification={
                "ExportFromTime": start, "ExportToTime": end,
                "ExportViewType": "NEW_AND_OLD_IMAGES"})))
        """
    )
    # raw moto: an ARN naming an import, one data file and no manifest, and the
    # "incremental" export is the whole table as it is
    assert "/import/" in raw["full"]["arn"]
    assert not any("manifest" in key for key in raw["full"]["keys"])
    assert len(raw["incremental"]["lines"]) == 2 and "Item" in raw["incremental"]["lines"][0]
    # patched: AWS's layout and ARN
    full = patched["full"]
    assert re.fullmatch(
        r"arn:aws:dynamodb:us-east-1:\d{12}:table/t/export/\d{14}-[0-9a-f]{8}", full["arn"]
    )
    export_id = full["arn"].rsplit("/", 1)[-1]
    names = {key.removeprefix(f"{export_id}/") for key in full["keys"]}
    assert {
        "_started",
        "manifest-summary.json",
        "manifest-summary.checksum",
        "manifest-files.json",
        "manifest-files.checksum",
    } <= names
    assert any(re.fullmatch(r"data/[0-9a-f]+\.json\.gz", name) for name in names)
    assert [line["Item"] for line in full["lines"]] == [{"k": {"S": "before"}, "v": {"N": "1"}}]
    # an incremental export: each changed item once, its state after and before the period
    by_key = {line["Keys"]["k"]["S"]: line for line in patched["incremental"]["lines"]}
    assert set(by_key) == {"before", "new"}
    assert by_key["before"]["NewImage"]["v"] == {"N": "3"}
    assert by_key["before"]["OldImage"]["v"] == {"N": "1"}
    assert "OldImage" not in by_key["new"] and by_key["new"]["NewImage"]["v"] == {"N": "1"}
    assert int(by_key["before"]["Metadata"]["WriteTimestampMicros"]["N"]) > 0


def test_athena_runs_unload_over_the_glue_tables_files() -> None:
    # Athena: UNLOAD writes the query's rows as Parquet where it points, refuses a
    # location with data, and a query that cannot run fails with the reason
    raw, patched = both(
        """
        import gzip, io, time
        s3, glue, athena = client("s3"), client("glue"), client("athena")
        s3.create_bucket(Bucket="hist")
        s3.put_object(Bucket="hist", Key="lines/p1/data/a.json.gz",
                      Body=gzip.compress(b'{"n": 1}\\n{"n": 2}\\n'))
        s3.put_object(Bucket="hist", Key="lines/p2/data/b.json.gz",
                      Body=gzip.compress(b'{"n": 5}\\n'))
        glue.create_database(DatabaseInput={"Name": "db"})
        storage = {
            "Columns": [{"Name": "line", "Type": "string"}], "Location": "s3://hist/lines/",
            "SerdeInfo": {"SerializationLibrary":
                          "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"},
        }
        glue.create_table(DatabaseName="db", TableInput={
            "Name": "t", "StorageDescriptor": storage,
            "PartitionKeys": [{"Name": "part", "Type": "bigint"}]})
        for n in (1, 2):
            glue.create_partition(DatabaseName="db", TableName="t", PartitionInput={
                "Values": [str(n)],
                "StorageDescriptor": {**storage, "Location": f"s3://hist/lines/p{n}/data/"}})
        athena.create_work_group(Name="wg", Configuration={
            "ResultConfiguration": {"OutputLocation": "s3://hist/results/"}})
        def run(query):
            qid = athena.start_query_execution(QueryString=query, WorkGroup="wg")[
                "QueryExecutionId"]
            status = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
            return status["Status"], status["Statistics"]["DataScannedInBytes"]
        query = (
            "UNLOAD (SELECT CAST(json_extract_scalar(line, '$.n') AS BIGINT) * part AS v "
            "FROM \\"db\\".\\"t\\") TO 's3://hist/out/' WITH (format = 'PARQUET')")
        answer["first"] = run(query)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="hist", Prefix="out/").get(
            "Contents", [])]
        answer["files"] = len(keys)
        answer["again"] = run(query)
        answer["broken"] = run(query.replace("TO 's3://hist/out/'", "TO 's3://hist/other/'")
                               .replace("line", "no_such_column"))
        if keys:
            import duckdb
            path = "/tmp/cardwatch-moto-unload.parquet"
            with open(path, "wb") as sink:
                sink.write(s3.get_object(Bucket="hist", Key=keys[0])["Body"].read())
            answer["rows"] = sorted(v for (v,) in duckdb.connect().execute(
                f"SELECT v FROM read_parquet('{path}')").fetchall())
        """
    )
    # raw moto: every query "succeeds", nothing is written, nothing is scanned
    assert raw["first"][0]["State"] == "SUCCEEDED" and raw["files"] == 0
    assert raw["broken"][0]["State"] == "SUCCEEDED"
    # patched: the rows, as Parquet, the bytes read, and Athena's refusals
    status, scanned = patched["first"]
    assert status["State"] == "SUCCEEDED" and scanned > 0
    assert patched["files"] == 1 and patched["rows"] == [1, 2, 10]
    assert patched["again"][0]["State"] == "FAILED"
    assert "HIVE_PATH_ALREADY_EXISTS" in patched["again"][0]["StateChangeReason"]
    assert patched["broken"][0]["State"] == "FAILED"
    assert "no_such_column" in patched["broken"][0]["StateChangeReason"]
