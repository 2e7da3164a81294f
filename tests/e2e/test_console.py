"""The analyst console in a real browser (Debian's headless Chromium and ChromeDriver):
open it on the local stack, find a flagged case in the queue, label it, see it leave."""

from __future__ import annotations

import argparse
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import boto3
import httpx
import pytest
from rich.console import Console
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from cardwatch.blueprint import Blueprint
from cardwatch.cli.console import ConsoleServer, console_source, overview
from cardwatch.cli.main import main
from cardwatch.cli.up import _analyst_console
from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.pipeline import LocalPipeline
from cardwatch.simulation.traffic import demo_pan
from tests.support.local_stack import now_stamp, transaction

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
CASE_LINK = re.compile(r"open the case: (\S+)")


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    # no skip: `make test` installs both (the Makefile's browser step); their absence fails
    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), "apt-get install chromium chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_window_size(1400, 1000)
    try:
        yield driver
    finally:
        driver.quit()


def _flag_a_card(api: httpx.Client, card: str) -> None:
    """A purchase, then tiny probes in quick succession at a web terminal."""
    pan = demo_pan(card)
    first = transaction(
        f"{card}-0", user_id=card, card_number=pan, amount=120, timestamp=now_stamp(60)
    )
    assert api.post("/transactions", json=first).status_code == 201
    for n in range(1, 8):
        probe = transaction(
            f"{card}-{n}",
            user_id=card,
            card_number=pan,
            amount=1,
            terminal_id="web-console",
            timestamp=now_stamp(40 - 5 * n),
        )
        assert api.post("/transactions", json=probe).status_code == 201


def _alert_link(stack: LocalPipeline, card: str) -> str:
    """The case link of the first alert on the downstream queue about ``card``'s burst."""
    assert stack.made is not None
    sqs = boto3.client("sqs")
    url = stack.made.queue_urls[stack.blueprint.alerts_queue.name]
    links: list[str] = []

    def alerted() -> bool:
        for message in sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            body = json.loads(message["Body"]).get("Message", message["Body"])
            if f"{card}-" in body:  # this test's alert: taken (other tests wait for theirs)
                links.extend(CASE_LINK.findall(body))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return bool(links)

    assert wait_until(alerted, timeout=60)
    return links[0]


def test_an_analyst_goes_from_an_alert_to_a_labelled_case_in_the_console(
    api: httpx.Client, stack: LocalPipeline, browser: WebDriver
) -> None:
    # GIVEN a card testing burst on the local stack, flagged by detect, and its alert,
    # whose e-mail names the case in the console
    _flag_a_card(api, "console-victim")
    link = _alert_link(stack, "console-victim")
    assert link.startswith(f"{Blueprint.console_url}/#case=console-victim-")
    case = unquote(link.split("#case=", 1)[1])
    state = json.loads((stack.settings.state_dir / "local.json").read_text())
    analyst = {"x-api-key": state["analyst_api_key"]}

    def queued() -> list[str]:
        page = api.get("/reviews", params={"limit": "100"}, headers=analyst).json()
        return [c["transaction_id"] for c in page["reviews"]]

    assert case in queued()
    args = argparse.Namespace(
        state=stack.settings.state_dir / "local.json",
        target=None,
        environment_suffix="dev",
        api_url=None,
        hours=6,
    )
    with ConsoleServer(console_source(args)) as console:
        # WHEN the analyst follows the link (to this test's console port): the case
        # opens with its reasons and the features detect scored, and is in the queue
        browser.get(console.url + link.removeprefix(Blueprint.console_url))
        wait = WebDriverWait(browser, 30)
        wait.until(lambda d: d.find_element(By.ID, "case-id").text == case)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'tr.case[data-id="{case}"]'))
        assert browser.find_element(By.ID, "case-reasons").text != "none"
        assert "t_count_1h" in browser.find_element(By.ID, "case-features").text
        wait.until(lambda d: d.find_element(By.ID, "rules-version").text.startswith("v"))
        assert "suspicious" in browser.find_element(By.ID, "dead-letters").text
        assert browser.find_elements(By.CSS_SELECTOR, "#chart polyline.series-flagged")
        # AND labels it fraud
        browser.find_element(By.ID, "label-fraud").click()
        wait.until(lambda d: "labelled fraud" in d.find_element(By.ID, "status").text)
        # THEN the case leaves the queue on the page and in the API, labelled
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, f'tr.case[data-id="{case}"]'))
        assert case not in queued()
        assert browser.find_element(By.ID, "case-label").text == "fraud (analyst)"
        stored = api.get(f"/transactions/{case}", headers=analyst).json()
        assert stored["label"] == {"label": "fraud", "source": "analyst"}
        # AND another case opens by its id from the search box
        other = "console-victim-0"
        browser.find_element(By.ID, "find-id").send_keys(other)
        browser.find_element(By.CSS_SELECTOR, "#find button").click()
        wait.until(lambda d: d.find_element(By.ID, "case-id").text == other)
        # AND no card number reached the page
        assert demo_pan("console-victim") not in browser.page_source
        # AND the overview counts the burst's hour
        facts = overview(console_source(args))
        assert sum(hour["transactions"] for hour in facts["rates"]) >= 8
        assert sum(hour["review"] + hour["block"] for hour in facts["rates"]) >= 1


def test_the_console_refuses_a_deployment_without_its_api_or_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CARDWATCH_ANALYST_KEY", raising=False)
    assert main(["console", "--state", str(tmp_path / "none.json")]) == 2
    assert main(["console", "--target", "cdktf"]) == 2


def test_the_local_stack_serves_the_console_beside_it_and_a_taken_port_is_a_note(
    stack: LocalPipeline,
) -> None:
    state = stack.settings.state_dir / "local.json"
    said = io.StringIO()
    with _analyst_console(state, 0, Console(file=said, width=200)):
        url = said.getvalue().split()[1]
        assert httpx.get(url, timeout=10).text.startswith("<!doctype html>")
        taken = int(url.rsplit(":", 1)[1])
        with _analyst_console(state, taken, Console(file=said, width=200)):
            assert f"port {taken} in use" in said.getvalue()
    with _analyst_console(state, None, Console(file=said, width=200)):
        pass  # --no-console: nothing started


ATTACK = """<!doctype html><html><body>
<form id="f" method="POST" enctype="text/plain" action="{console}/api/cases/{case}/label">
<input name='{{"label": "fraud", "source": "analyst", "note": "' value='"}}'>
</form>
<script>
fetch("{console}/api/cases/{case}/label", {{
  method: "POST", mode: "no-cors", credentials: "include",
  headers: {{"content-type": "text/plain"}},
  body: JSON.stringify({{label: "genuine", source: "analyst"}}),
}}).finally(() => {{ document.title = "sent"; document.getElementById("f").submit(); }});
</script></body></html>"""


def test_another_site_can_neither_label_nor_read_through_the_console(
    api: httpx.Client, stack: LocalPipeline, browser: WebDriver
) -> None:
    from starlette.applications import Starlette  # noqa: PLC0415
    from starlette.responses import HTMLResponse  # noqa: PLC0415
    from starlette.routing import Route  # noqa: PLC0415

    from cardwatch.local.runtime.serving import ThreadServer  # noqa: PLC0415

    # GIVEN a stored transaction, the console, and a page of another origin (localhost,
    # another port) the analyst happens to open
    sent = transaction("xsite-0", user_id="xsite", card_number=demo_pan("xsite"), amount=5)
    assert api.post("/transactions", json=sent).status_code == 201
    state = json.loads((stack.settings.state_dir / "local.json").read_text())
    analyst = {"x-api-key": state["analyst_api_key"]}
    args = argparse.Namespace(
        state=stack.settings.state_dir / "local.json",
        target=None,
        environment_suffix="dev",
        api_url=None,
        hours=6,
    )
    with ConsoleServer(console_source(args)) as console:
        page = ATTACK.format(console=console.url, case="xsite-0")
        attacker = ThreadServer(
            Starlette(routes=[Route("/", lambda _r: HTMLResponse(page))]),
            "127.0.0.1",
            0,
            "attacker",
        )
        url = attacker.start()
        assert url is not None
        try:
            # WHEN the page sends a no-cors fetch and submits a text/plain form to the
            # console's label route
            browser.get(url.replace("127.0.0.1", "localhost"))
            WebDriverWait(browser, 30).until(lambda d: d.current_url.startswith(console.url))
        finally:
            attacker.stop(timeout=10)
        # THEN the console refused the form (its answer is what the browser shows)
        assert "own page only" in browser.page_source
        # AND a name that resolves to the console (DNS rebinding) reads nothing
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
            options.add_argument(flag)
        options.add_argument("--host-resolver-rules=MAP rebound.test 127.0.0.1")
        rebound = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        try:
            port = console.url.rsplit(":", 1)[1]
            rebound.get(f"http://rebound.test:{port}/api/reviews")
            assert "not this console" in rebound.page_source
            rebound.get(f"http://rebound.test:{port}/")
            assert "cardwatch-token" not in rebound.page_source
        finally:
            rebound.quit()
    # AND nothing was recorded
    case = api.get("/transactions/xsite-0", headers=analyst).json()
    assert case["labels"] == [] and case["label"] is None
