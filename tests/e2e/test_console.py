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
from selenium.webdriver.support.ui import Select, WebDriverWait

from cardwatch.blueprint import Blueprint
from cardwatch.cli.console import ConsoleServer, console_source, overview
from cardwatch.cli.main import main
from cardwatch.cli.up import _analyst_console
from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.pipeline import LocalPipeline
from cardwatch.simulation.traffic import demo_pan
from tests.support.local_stack import now_stamp, transaction
from tests.support.signing import as_analyst

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


#: where the browser test keeps its screenshots (a test artifact: CI can upload it)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"


def _args(stack: LocalPipeline, analyst: str = "ana") -> argparse.Namespace:
    return argparse.Namespace(
        state=stack.settings.state_dir / "local.json",
        target=None,
        environment_suffix="dev",
        api_url=None,
        hours=6,
        analyst=analyst,
    )


def _shot(browser: WebDriver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_an_analyst_works_a_case_from_an_alert_to_the_next_case_in_the_console(
    api: httpx.Client, stack: LocalPipeline, browser: WebDriver
) -> None:
    # GIVEN a card testing burst on the local stack, flagged by detect, whose alert
    # names its case in the console, and a second card's burst: the next case
    _flag_a_card(api, "console-victim")
    _flag_a_card(api, "console-second")
    link = _alert_link(stack, "console-victim")
    assert link.startswith(f"{Blueprint.console_url}/#case=console-victim-")
    case = unquote(link.split("#case=", 1)[1])
    _alert_link(stack, "console-second")
    browser.set_window_size(1280, 900)  # a laptop's screen
    with ConsoleServer(console_source(_args(stack))) as console:
        # WHEN ana follows the link (to this test's console port): the case opens, one
        # case for the whole burst, with its reasons in words and features in plain names
        browser.get(console.url + link.removeprefix(Blueprint.console_url))
        wait = WebDriverWait(browser, 30)
        pan = demo_pan("console-victim")
        title = f"card {pan[:6]}\u2022\u2022\u2022{pan[-4:]}"
        rows = "#case-transactions tbody tr"
        wait.until(lambda d: d.find_element(By.ID, "case-title").text.endswith(title))
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, rows)) >= 2)
        assert browser.find_element(By.ID, "who-name").text == "ana"
        # each reason with its words beside its code, as the alert says them
        said = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#case-reasons li")]
        assert said and all(len(text.split(": ", 1)[-1]) > 3 for text in said)
        browser.find_element(By.CSS_SELECTOR, "#features-box summary").click()
        assert "card's transactions, last hour" in browser.find_element(By.ID, "case-features").text
        browser.find_element(By.CSS_SELECTOR, "#features-box summary").click()
        wait.until(lambda d: d.find_element(By.ID, "rules-version").text.startswith("v"))
        assert "suspicious" in browser.find_element(By.ID, "dead-letters").text
        assert browser.find_elements(By.CSS_SELECTOR, "#chart polyline.series-flagged")
        shown = pan[:6] + "\u2022\u2022\u2022" + pan[-4:]
        assert shown in browser.find_element(By.ID, "case-card").text
        # AND at 1,280 px the cases and the case sit side by side, neither overflowing
        cases = browser.find_element(By.ID, "cases").rect
        panel = browser.find_element(By.ID, "case-title").rect
        assert cases["x"] + cases["width"] <= panel["x"]
        assert browser.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"
        )
        _shot(browser, "1-case-from-alert")
        # AND adds a note, then labels the whole case fraud with one key, closing it
        browser.find_element(By.ID, "note").send_keys("card holder confirms the probes")
        browser.find_element(By.CSS_SELECTOR, "#note-form button").click()
        wait.until(lambda d: "card holder confirms" in d.find_element(By.ID, "notes").text)
        browser.find_element(By.TAG_NAME, "body").send_keys("f")
        wait.until(lambda d: "labelled fraud" in d.find_element(By.ID, "status").text)
        # THEN the case is closed as fraud; every transaction of it carries the label;
        # its history says who did it, and the notes thread keeps ana's note
        wait.until(lambda d: d.find_element(By.ID, "case-status").text == "closed (fraud)")
        labels = browser.find_elements(By.CSS_SELECTOR, "#case-transactions tbody td.fraud")
        rows = browser.find_elements(By.CSS_SELECTOR, "#case-transactions tbody tr")
        assert len(labels) == len(rows) >= 2
        assert "ana" in browser.find_element(By.ID, "history").text
        assert "labelled" in browser.find_element(By.ID, "history").text
        _shot(browser, "2-case-labelled-and-closed")
        whole = api.get(f"/cases/{case}", auth=as_analyst(stack)).json()
        assert whole["status"] == "closed" and {
            t["label"]["label"] for t in whole["transactions"]
        } == {"fraud"}
        # AND the next open case is one key away
        Select(browser.find_element(By.ID, "status-filter")).select_by_value("open")
        browser.find_element(By.ID, "find").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#cases tbody tr.case"))
        browser.find_element(By.TAG_NAME, "body").send_keys("j")
        wait.until(lambda d: d.find_element(By.ID, "case-status").text == "open")
        assert case not in browser.current_url
        _shot(browser, "3-next-case")
        # AND the search finds the closed case by the card, by the user and by terminal
        for by, value in (
            ("card", f"{pan[:6]}:{pan[-4:]}"),
            ("user", "console-victim"),
            ("terminal", "web-console"),
        ):
            Select(browser.find_element(By.ID, "search-by")).select_by_value(by)
            field = browser.find_element(By.ID, "search-value")
            field.clear()
            field.send_keys(value)
            Select(browser.find_element(By.ID, "status-filter")).select_by_value("")
            browser.find_element(By.ID, "find").click()
            wait.until(
                lambda d: d.find_elements(By.CSS_SELECTOR, f'#cases tr.case[data-id="{case}"]')
            )
        # AND no card number reached the page
        assert pan not in browser.page_source
        # AND the overview counts the burst's hour
        facts = overview(console_source(_args(stack)))
        assert sum(hour["transactions"] for hour in facts["rates"]) >= 8
        assert sum(hour["review"] + hour["block"] for hour in facts["rates"]) >= 1
    browser.set_window_size(1400, 1000)


def test_a_viewer_reads_a_case_but_changes_nothing(
    api: httpx.Client, stack: LocalPipeline, browser: WebDriver
) -> None:
    _flag_a_card(api, "console-viewed")
    case = unquote(_alert_link(stack, "console-viewed").split("#case=", 1)[1])
    with ConsoleServer(console_source(_args(stack, "vic"))) as console:
        browser.get(f"{console.url}/#case={case}")
        wait = WebDriverWait(browser, 30)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#case-transactions tbody tr"))
        browser.find_element(By.ID, "assign").click()
        wait.until(lambda d: "not authorized" in d.find_element(By.ID, "status").text)
    assert api.get(f"/cases/{case}", auth=as_analyst(stack)).json()["assignee"] is None


def test_the_console_refuses_a_deployment_without_its_api_or_an_unknown_analyst(
    stack: LocalPipeline, tmp_path: Path
) -> None:
    assert main(["console", "--state", str(tmp_path / "none.json")]) == 3  # no local stack
    assert main(["console", "--target", "cdktf"]) == 2
    state = str(stack.settings.state_dir / "local.json")
    assert main(["console", "--state", state, "--as", "mallory", "--port", "0"]) == 2


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
<form id="f" method="POST" enctype="text/plain" action="{console}/api/cases/{case}">
<input name='{{"action": "label", "label": "fraud", "note": "' value='"}}'>
</form>
<script>
fetch("{console}/api/cases/{case}", {{
  method: "POST", mode: "no-cors", credentials: "include",
  headers: {{"content-type": "text/plain"}},
  body: JSON.stringify({{action: "label", label: "genuine"}}),
}}).finally(() => {{ document.title = "sent"; document.getElementById("f").submit(); }});
</script></body></html>"""


def test_another_site_can_neither_label_nor_read_through_the_console(
    api: httpx.Client, stack: LocalPipeline, browser: WebDriver
) -> None:
    from starlette.applications import Starlette  # noqa: PLC0415
    from starlette.responses import HTMLResponse  # noqa: PLC0415
    from starlette.routing import Route  # noqa: PLC0415

    from cardwatch.local.runtime.serving import ThreadServer  # noqa: PLC0415

    # GIVEN a case, the console, and a page of another origin (localhost, another
    # port) the analyst happens to open
    _flag_a_card(api, "xsite")
    case = unquote(_alert_link(stack, "xsite").split("#case=", 1)[1])
    with ConsoleServer(console_source(_args(stack))) as console:
        page = ATTACK.format(console=console.url, case=case)
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
    whole = api.get(f"/cases/{case}", auth=as_analyst(stack)).json()
    assert whole["history"] == [] and whole["status"] == "open"
    assert all(not t.get("labels") for t in whole["transactions"])
