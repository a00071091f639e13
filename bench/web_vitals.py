"""Page weight and speed of the web app, as a first-time visitor gets it from a real `modelyard serve`.

    .venv/bin/python bench/web_vitals.py [--runs 5]

Starts the gateway on a fresh SQLite data directory (the shipped catalogue imported, the built web app in
src/modelyard/static/ — run `make web` first), then opens each page in a new headless Chromium context
(empty cache) at a desktop size and reads, from the browser itself: the JavaScript and CSS bytes transferred
(compressed, as sent), the first contentful paint and the largest contentful paint (PerformanceObserver).
Prints one Markdown table of medians over the runs. No network beyond loopback.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip
PAGES = ("/", "/models", "/rankings", "/signin")

# Collects LCP candidates from the moment the document starts; read once the page has settled.
OBSERVE = """
window.__lcp = 0; window.__fcp = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__lcp = entry.startTime;
}).observe({type: 'largest-contentful-paint', buffered: true});
new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    if (entry.name === 'first-contentful-paint') window.__fcp = entry.startTime;
}).observe({type: 'paint', buffered: true});
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SIZES = """
(() => {
  const sizes = {js: 0, css: 0};
  for (const entry of performance.getEntriesByType('resource')) {
    const kind = entry.name.endsWith('.js') ? 'js' : entry.name.endsWith('.css') ? 'css' : null;
    if (kind) sizes[kind] += entry.encodedBodySize;
  }
  return sizes;
})()
"""


def measure(page: Page, base: str, path: str) -> dict[str, float]:
    page.add_init_script(OBSERVE)
    page.goto(base + path, wait_until="networkidle")
    page.wait_for_timeout(300)  # LCP is final after the last paint; nothing paints late on these pages
    lcp, fcp = page.evaluate("[window.__lcp, window.__fcp]")
    sizes = page.evaluate(SIZES)  # encoded = as sent over the wire (gzip)
    return {"js_kb": sizes["js"] / 1024, "css_kb": sizes["css"] / 1024, "fcp_ms": fcp, "lcp_ms": lcp}


def main(runs: int) -> None:
    if not (ROOT / "src/modelyard/static/index.html").is_file():
        sys.exit("the web app is not built: run `make web` first")
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "MODELYARD_DATA_DIR": data_dir, "MODELYARD_PORT": str(port)}
        server = subprocess.Popen(
            [sys.executable, "-m", "modelyard", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            results: dict[str, list[dict[str, float]]] = {path: [] for path in PAGES}
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for _ in range(runs):
                    for path in PAGES:
                        context = browser.new_context(viewport={"width": 1280, "height": 800})
                        results[path].append(measure(context.new_page(), base, path))
                        context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    print("| page | JS transferred (gzip) | CSS (gzip) | FCP | LCP |\n| --- | --- | --- | --- | --- |")
    for path, samples in results.items():
        median = {key: statistics.median(s[key] for s in samples) for key in samples[0]}
        print(
            f"| `{path}` | {median['js_kb']:.0f} KB | {median['css_kb']:.0f} KB | {median['fcp_ms']:.0f} ms "
            f"| {median['lcp_ms']:.0f} ms |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    main(parser.parse_args().runs)
