"""Open a local page in headless Chromium and report what a reader would see, over the DevTools protocol.

Collects console errors, uncaught exceptions and browser log errors (blocked fetches, CSP
violations, failed loads), counts elements with a DOM query and saves a full-page screenshot.
Uses aiohttp's websocket client (already a platebench dependency).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from harness.report.chromium import QUIET_FLAGS

_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


@dataclass
class PageReport:
    """What loading one page produced."""

    errors: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    title: str = ""


class _Session:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws, self.next_id = ws, 0
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        msg_id = self.next_id
        message: dict[str, Any] = {"id": msg_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        await self.ws.send_str(json.dumps(message))
        while True:
            reply = json.loads((await self.ws.receive(timeout=60)).data)
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    async def wait_for(self, method: str, timeout: float = 60) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        async with asyncio.timeout(timeout):
            while True:
                event = json.loads((await self.ws.receive()).data)
                self.events.append(event)
                if event.get("method") == method:
                    return event


def _errors(events: list[dict[str, Any]]) -> list[str]:
    found = []
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            found.append(
                f"exception: {details.get('exception', {}).get('description') or details.get('text')}"
            )
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append(f"console.{params['type']}: {[a.get('value') for a in params.get('args', [])]}")
        elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
            found.append(
                f"log {params['entry']['level']}: {params['entry'].get('text')} {params['entry'].get('url', '')}"
            )
        elif method == "Network.requestWillBeSent" and not params["request"]["url"].startswith(
            ("file:", "data:")
        ):
            found.append(f"network fetch: {params['request']['url']}")
    return found


async def _drive(url: str, page: Path, screenshot: Path, selectors: dict[str, str]) -> PageReport:
    async with aiohttp.ClientSession() as http, http.ws_connect(url, max_msg_size=0) as ws:
        s = _Session(ws)
        target = (await s.call("Target.createTarget", url="about:blank"))["targetId"]
        sid = (await s.call("Target.attachToTarget", targetId=target, flatten=True))["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            await s.call(f"{domain}.enable", sid)
        await s.call("Page.navigate", sid, url=page.resolve().as_uri())
        await s.wait_for("Page.loadEventFired")
        report = PageReport()
        for name, selector in selectors.items():
            expression = f"document.querySelectorAll({json.dumps(selector)}).length"
            result = await s.call("Runtime.evaluate", sid, expression=expression, returnByValue=True)
            report.counts[name] = int(result["result"]["value"])
        title = await s.call("Runtime.evaluate", sid, expression="document.title", returnByValue=True)
        report.title = title["result"]["value"]
        shot = await s.call("Page.captureScreenshot", sid, format="png", captureBeyondViewport=True)
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        await s.call("Runtime.evaluate", sid, expression="1")  # drains events queued before it
        report.errors = _errors(s.events)
        await s.call("Browser.close")
        return report


def inspect_page(binary: str, page: Path, screenshot: Path, selectors: dict[str, str]) -> PageReport:
    """Load ``page``, count ``selectors`` (name -> CSS selector), save a full-page ``screenshot``."""
    with tempfile.TemporaryDirectory(prefix="platebench-cdp-", ignore_cleanup_errors=True) as profile:
        command = [
            binary,
            *QUIET_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--remote-debugging-address=127.0.0.1",
            "--window-size=1200,900",
            "about:blank",
        ]
        proc = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, encoding="utf-8", errors="replace"
        )
        try:
            url = None
            assert proc.stderr is not None
            for line in proc.stderr:  # Chromium prints the endpoint on startup
                if m := _LISTENING.search(line):
                    url = m.group(1)
                    break
            if url is None:
                raise RuntimeError("Chromium exited without opening the DevTools endpoint")
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe from filling
            return asyncio.run(_drive(url, page, screenshot, selectors))
        finally:
            try:
                proc.wait(timeout=10)  # Browser.close ends it; its helpers leave the profile after it
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
