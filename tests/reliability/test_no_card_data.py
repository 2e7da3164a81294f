"""After a full local run with test card numbers, and card numbers sent through every
other field in every common spelling: no card number in any table item, queue message,
log line or answer, and no CVV field anywhere. The scan is the API's own screen."""

from __future__ import annotations

import gzip
import json
import re
import time
from collections.abc import Callable

import boto3
import httpx

from cardwatch.domain.transaction.card_screen import card_numbers_in, readings
from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.pipeline import LocalPipeline
from cardwatch.local.sender import encode_body
from cardwatch.simulation.traffic import demo_traffic
from tests.support.card_corpus import (
    ID_FIELDS,
    grouped,
    id_spellings,
    luhn_pans,
    note_spellings,
    number_spellings,
)
from tests.support.documents import TEST_PANS, valid_document
from tests.support.figures import figures

FIGURES = figures("reliability")

#: Tokens cardwatch issued (their check digits verified at ingest) and its own SHA-256
#: digests (a guard's fingerprint): 64 hex digits that now and then hold a Luhn-valid
#: digit run by chance, and are not card numbers.
ISSUED_TOKEN = re.compile(r"(?<![0-9A-Za-z])(tok_)?[0-9a-f]{64}(?![0-9A-Za-z])")
#: a CVV field holding a value (a refusal's log may name the field, never hold one)
CVV = re.compile(r'"(cvv2?|cvc2?|card_verification_value|security_code)"\s*:', re.IGNORECASE)


def corpus_bodies(pans: list[str]) -> list[tuple[str, str, str]]:
    """(field, pan, body) for each PAN spelt into each field a client can fill."""
    bodies: list[tuple[str, str, str]] = []
    for n, pan in enumerate(pans):
        base = valid_document(transaction_id=f"corpus-{n}", card_number=TEST_PANS[n % 4])
        for field in ID_FIELDS:
            for spelling in id_spellings(pan):
                bodies.append((field, pan, json.dumps(base | {field: spelling})))
        for spelling in (pan, grouped(pan, "."), grouped(pan, ":")):
            bodies.append(("ip_address", pan, json.dumps(base | {"ip_address": spelling})))
        token = {"card_number": None, "card_token": f"tok_{pan}{'ab' * 32}"[:68]}
        token_body = {k: v for k, v in (base | token).items() if v is not None}
        bodies.append(("card_token", pan, json.dumps(token_body)))
        for number in number_spellings(pan)[:2]:
            text = json.dumps(base).replace('"latitude": 40.7128', f'"latitude": {number}')
            bodies.append(("latitude", pan, text))
        bodies.append(("body", pan, json.dumps(base | {pan: 1})))
        bodies.append(("body", pan, json.dumps(base | {grouped(pan, "-"): "x"})))
    return bodies


def within_plan(send: Callable[[], httpx.Response]) -> httpx.Response:
    """One request on the analysts' usage plan, waiting out its rate limit (429)."""
    for _ in range(50):
        answer = send()
        if answer.status_code != 429:
            return answer
        time.sleep(0.2)
    return answer


def scan(stack: LocalPipeline) -> list[str]:
    """Every table item, waiting queue message and function log line, as text."""
    texts: list[str] = []
    dynamodb = boto3.client("dynamodb")
    blueprint = stack.blueprint
    tables = (
        blueprint.table_name,
        blueprint.profile_table_name,
        blueprint.audit_table_name,
        blueprint.case_table_name,
    )
    for table in tables:
        pages = dynamodb.get_paginator("scan").paginate(TableName=table)
        texts += [json.dumps(item) for page in pages for item in page["Items"]]
    sqs = boto3.client("sqs")
    assert stack.made is not None
    for url in stack.made.queue_urls.values():
        texts += [
            m["Body"]
            for m in sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0
            ).get("Messages", [])
        ]
    texts += [p.read_text() for p in (stack.settings.state_dir / "logs").glob("*.log")]
    # the log archive: each object CloudWatch Logs' gzipped JSON
    s3 = boto3.client("s3")
    archive = blueprint.log_archive_bucket_name
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=archive):
        for entry in page.get("Contents", []):
            body = s3.get_object(Bucket=archive, Key=entry["Key"])["Body"].read()
            texts.append(gzip.decompress(body).decode())
    return texts


def card_numbers(texts: list[str], sent: frozenset[str] = frozenset()) -> list[str]:
    """The card numbers the API's own screen finds in ``texts`` (issued tokens aside;
    glued to other digits only at group boundaries, since records hold long machine
    numbers), and any of the ``sent`` ones among the digits of any reading of a text,
    however spelt: each with a little context, never printed in full."""
    found = []
    for text in texts:
        cleaned = ISSUED_TOKEN.sub("tok_", text)
        for start, _end in card_numbers_in(cleaned, glued=False):
            found.append(cleaned[max(0, start - 40) : start] + "<card number>")
        for reading in readings(cleaned):
            digits = "".join(ch for ch in reading if ch.isascii() and ch.isdigit())
            found += [f"<a sent card number ending {pan[-2:]}>" for pan in sent if pan in digits]
    return found


def test_nothing_at_rest_or_in_logs_holds_a_card_number(
    api: httpx.Client, stack: LocalPipeline
) -> None:
    planned = demo_traffic(150, seed=21)
    pans = {item.body["card_number"] for item in planned}
    for item in planned:
        api.post(
            "/transactions",
            content=encode_body(
                item.body | {"transaction_id": "pan-" + item.body["transaction_id"]}
            ),
        )
    # and card numbers through every other field, in every spelling of the corpus
    corpus = corpus_bodies(luhn_pans(6, seed=16))
    answers = [(field, pan, api.post("/transactions", content=text)) for field, pan, text in corpus]
    label_path = [
        within_plan(
            lambda spelling=spelling: api.post(  # type: ignore[misc]
                f"/transactions/{spelling}/label",
                content='{"label": "fraud"}',
                headers={"x-api-key": stack.analyst_api_key},
            )
        )
        for spelling in id_spellings(corpus[0][1])
    ]
    stored_id = "pan-" + planned[0].body["transaction_id"]
    label_notes = [
        answer
        for note in note_spellings(corpus[0][1])
        if (
            answer := within_plan(
                lambda note=note: api.post(  # type: ignore[misc]
                    f"/transactions/{stored_id}/label",
                    json={"label": "fraud", "source": "analyst", "note": note},
                    headers={"x-api-key": stack.analyst_api_key},
                )
            )
        )
    ]
    functions = stack.functions
    assert functions is not None
    assert wait_until(lambda: len(functions.durations["detect"]) >= len(planned), timeout=120)
    texts = scan(stack)
    found = card_numbers(texts, frozenset(pan for _field, pan, _text in corpus))
    echoed = [
        field
        for field, pan, answer in answers
        if pan in "".join(ch for ch in answer.text if ch.isdigit())
    ]
    FIGURES["card numbers sent"] = len(pans)
    FIGURES["card numbers sent through other fields (bodies)"] = len(corpus)
    FIGURES["texts scanned (items, messages, log files)"] = len(texts)
    FIGURES["card numbers found at rest, queued or logged"] = len(found)
    FIGURES["answers echoing a card number"] = len(echoed)
    assert found == []
    assert echoed == []
    refused = {(field, answer.status_code) for field, _pan, answer in answers}
    assert {status for _field, status in refused} == {400}
    assert {answer.status_code for answer in label_path} == {400}
    assert {answer.status_code for answer in label_notes} == {400}
    assert not any(CVV.search(text) for text in texts)
    assert CVV.search('{"cvv": "123"}') and not CVV.search('{"fields": ["cvv"]}')
    assert all(card_numbers([pan]) for pan in pans)  # the scan would see them
