"""Screenshot of the ``launchdarkly`` connection form as Airflow's own UI renders it, for the docs.

``python scripts/screenshot_connection_form.py [OUTPUT.png]`` (default ``docs/_static/connection_form.png``;
the *Extra Fields* section goes beside it, as ``<OUTPUT>_extras.png``):

1. installs Chromium with apt-get when no ``chromium`` is on the PATH (Debian/Ubuntu, as root);
2. creates a throw-away Airflow home with a SQLite metadata DB (``airflow db migrate``) and starts
   ``airflow api-server`` on a free loopback port (simple auth manager, every user an admin);
3. starts headless Chromium with a fresh profile and drives it over the DevTools protocol: logs in,
   opens *Admin → Connections → Add Connection*, picks the ``LaunchDarkly`` type and fills in an example
   connection id, then captures the dialog with its standard fields, opens *Extra Fields* and captures it
   again;
4. stops the browser and the server and deletes the temporary home, whatever happened.

Needs the ``websockets`` package (in the ``dev`` extra). Nothing here runs in ``make test``; the image is
committed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ecosystem.servers import airflow_api_server, free_port, server_process  # noqa: E402

DEFAULT_OUTPUT = ROOT / "docs" / "_static" / "connection_form.png"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1280,1200",
    "--force-device-scale-factor=1",
]


def chromium() -> str:
    """The Chromium binary; installed with apt-get when missing."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit("Chromium is missing: install the 'chromium' package (apt-get install chromium)")
    print("installing chromium with apt-get ...", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True)
    found = shutil.which("chromium")
    if not found:
        raise SystemExit("apt-get installed chromium but it is not on the PATH")
    return found


@contextlib.contextmanager
def airflow_home() -> Iterator[dict[str, str]]:
    """A temporary Airflow home with a migrated SQLite DB; yields the environment for the API server."""
    home = Path(tempfile.mkdtemp(prefix="ldusage-screenshot-"))
    try:
        env = {
            **os.environ,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__API_AUTH__JWT_SECRET": "ldusage-screenshot",
        }
        airflow = str(Path(sys.executable).with_name("airflow"))
        subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
        yield env
    finally:
        shutil.rmtree(home, ignore_errors=True)


class DevTools:
    """A minimal Chrome DevTools protocol client for one page."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self.ids)
        await self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(await self.socket.recv())
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}...: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def mouse_click(self, rect: dict[str, float]) -> None:
        """A real mouse click (press and release) in the middle of ``rect``."""
        x, y = rect["x"] + rect["width"] / 2, rect["y"] + rect["height"] / 2
        await self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            await self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    async def shoot_dialog(self, output: Path) -> None:
        """Save the open dialog, at its full height, as a PNG."""
        rect = await self.evaluate(
            """(() => {
                 const d = document.querySelector('[role=dialog]');
                 for (const el of [d, ...d.querySelectorAll('*')]) {
                   if (/(auto|scroll)/.test(getComputedStyle(el).overflowY)) {
                     el.style.overflow = 'visible'; el.style.maxHeight = 'none';
                   }
                 }
                 d.style.maxHeight = 'none';
                 return ld.rect(d); })()"""
        )
        height = max(int(rect["y"] + rect["height"] + 40), 800)
        await self.call(
            "Emulation.setDeviceMetricsOverride", width=1280, height=height, deviceScaleFactor=1, mobile=False
        )
        await asyncio.sleep(0.5)
        rect = await self.evaluate("ld.rect(document.querySelector('[role=dialog]'))")
        clip = {
            "x": max(rect["x"] - 16, 0),
            "y": max(rect["y"] - 16, 0),
            "width": rect["width"] + 32,
            "height": rect["height"] + 32,
            "scale": 1,
        }
        shot = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(base64.b64decode(shot["data"]))
        print(f"wrote {output}", flush=True)

    async def wait_for(self, expression: str, what: str, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.25)
        text = await self.evaluate("(document.querySelector('[role=dialog]') || document.body).innerText")
        raise TimeoutError(f"the page never showed {what}; it shows:\n{text}")


# Helpers injected into the page: find elements by their visible text, click, type into React inputs.
PAGE_HELPERS = """
window.ld = {
  byText(selector, text) {
    return [...document.querySelectorAll(selector)].find(e => e.textContent.trim() === text) || null;
  },
  click(el) { el.scrollIntoView({block: 'center'}); el.click(); return true; },
  type(el, value) {
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    el.focus(); setter.call(el, value);
    el.dispatchEvent(new Event('input', {bubbles: true}));
    el.dispatchEvent(new Event('change', {bubbles: true}));
    return true;
  },
  rect(el) {
    const r = el.getBoundingClientRect();
    return {x: r.x, y: r.y, width: r.width, height: r.height};
  },
};
true
"""


async def capture(page_ws: str, api_url: str, output: Path) -> None:
    import websockets

    async with websockets.connect(page_ws, max_size=64 * 2**20) as socket:
        tools = DevTools(socket)
        await tools.call("Page.enable")
        await tools.call(
            "Emulation.setDeviceMetricsOverride", width=1280, height=1200, deviceScaleFactor=1, mobile=False
        )
        # Log in (every user is an admin: the token cookie is set without credentials), land on Connections.
        await tools.call("Page.navigate", url=f"{api_url}/auth/token/login?next={api_url}/connections")
        await tools.wait_for("!!document.querySelector('button')", "the Connections page")
        # Airflow 3.1 lands on the home page whatever ``next`` says: open Connections once logged in.
        await tools.call("Page.navigate", url=f"{api_url}/connections")
        await tools.wait_for("!!document.querySelector('button')", "the Connections page")
        await tools.evaluate(PAGE_HELPERS)
        await tools.wait_for(
            "[...document.querySelectorAll('button')].some(b => /Add Connection/i.test(b.textContent))",
            "the Add Connection button",
        )
        await tools.evaluate(
            "ld.click([...document.querySelectorAll('button')]"
            ".find(b => /Add Connection/i.test(b.textContent)))"
        )
        await tools.wait_for("!!document.querySelector('[role=dialog]')", "the Add Connection dialog")
        # The connection type: a searchable select; type the name and pick the LaunchDarkly option.
        await tools.wait_for(
            "!!document.querySelector('[role=dialog] input[role=combobox], [role=dialog] [role=combobox]')",
            "the connection type field",
        )
        await tools.evaluate(
            """(() => {
                 const box = document.querySelector('[role=dialog] input[role=combobox]')
                   || document.querySelector('[role=dialog] [role=combobox] input')
                   || document.querySelector('[role=dialog] [role=combobox]');
                 box.focus(); box.click();
                 if (box.tagName === 'INPUT') ld.type(box, 'LaunchDarkly');
                 return true; })()"""
        )
        await tools.wait_for(
            "[...document.querySelectorAll('[role=option]')].some(o => /LaunchDarkly/.test(o.textContent))",
            "the LaunchDarkly option",
        )
        await tools.evaluate(
            "ld.click([...document.querySelectorAll('[role=option]')]"
            ".find(o => /LaunchDarkly/.test(o.textContent)))"
        )
        await tools.wait_for(
            "[...document.querySelectorAll('[role=dialog] label')]"
            ".some(l => /API access token/.test(l.textContent))",
            "the LaunchDarkly fields",
        )
        await tools.evaluate(
            """(() => {
                 const id = document.querySelector('[role=dialog] input[name=connection_id]');
                 if (id) ld.type(id, 'launchdarkly_default');
                 return true; })()"""
        )
        await asyncio.sleep(1.0)  # let the form settle (fonts, transitions)
        await tools.shoot_dialog(output)
        # Open the "Extra Fields" section: the connection's labelled extras (timeouts, retries).
        trigger = await tools.evaluate(
            """(() => {
                 const t = [...document.querySelectorAll('[role=dialog] button')]
                   .find(e => e.textContent.trim() === 'Extra Fields');
                 if (!t) return null;
                 t.scrollIntoView({block: 'center'});
                 return ld.rect(t); })()"""
        )
        if not trigger:
            raise RuntimeError("the dialog has no 'Extra Fields' section")
        await tools.mouse_click(trigger)
        await tools.wait_for(
            "/Connect timeout/.test(document.querySelector('[role=dialog]').innerText)", "the extra fields"
        )
        await asyncio.sleep(1.0)  # let the form settle (fonts, transitions)
        await asyncio.sleep(1.0)
        await tools.shoot_dialog(output.with_name(output.stem + "_extras" + output.suffix))


def main(argv: list[str]) -> int:
    output = Path(argv[0]).resolve() if argv else DEFAULT_OUTPUT
    browser = chromium()
    with airflow_home() as env, tempfile.TemporaryDirectory(prefix="ldusage-chromium-") as profile:
        logs = Path(profile)
        with airflow_api_server(logs / "api-server.log", env) as api_url:
            port = free_port()
            argv_browser = [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={logs / 'profile'}",
                "--remote-debugging-address=127.0.0.1",
                f"--remote-debugging-port={port}",
                "about:blank",
            ]

            def ready() -> bool:
                return requests.get(f"http://127.0.0.1:{port}/json/version", timeout=2).status_code == 200

            with server_process(argv_browser, ready=ready, what="chromium", log=logs / "chromium.log"):
                pages = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
                page = next(p for p in pages if p.get("type") == "page")
                asyncio.run(capture(page["webSocketDebuggerUrl"], api_url, output))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
