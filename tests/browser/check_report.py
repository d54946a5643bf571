"""Loads fleetsim's report.html files in a real headless Chromium (Debian's package, driven by
Playwright) and checks that each loads without an error, fetches nothing but itself, and shows
every chart: each inline SVG is visible, has a real size and drawn text with every label inside
its canvas, each point of a cost chart carries its label, no coordinate is NaN, the page is no
wider than the window, and the page's screenshot is not blank.

    python tests/browser/check_report.py results/*/report.html

Exit code 0 when every report passes; otherwise one line per problem and exit code 1.
`.ci/run` installs Chromium and the pinned Python packages (notebooks/requirements.txt) first.
"""

import os
import pathlib
import sys

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The machine has no network: keep Chromium from trying (its background requests would be refused).
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def check(browser, html: pathlib.Path) -> list[str]:
    problems = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    fetched = []
    page.on("request", lambda r: fetched.append(r.url))
    url = html.resolve().as_uri()
    page.goto(url, wait_until="load")
    others = [u for u in fetched if u != url]
    if others:
        problems.append(f"fetched more than the page itself: {others[:3]}")
    svgs = page.locator("svg")
    n = svgs.count()
    if n == 0:
        problems.append("no chart (no inline <svg>)")
    for i in range(n):
        svg = svgs.nth(i)
        svg.scroll_into_view_if_needed()
        box = svg.bounding_box()
        if not svg.is_visible() or box is None or box["width"] < 200 or box["height"] < 150:
            problems.append(f"chart {i + 1} is not visible at a readable size: {box}")
            continue
        texts = svg.locator("text")
        drawn = sum(1 for j in range(texts.count()) if (texts.nth(j).bounding_box() or {}).get("width", 0) > 0)
        if drawn < 3:
            problems.append(f"chart {i + 1}: only {drawn} labels rendered with a width")
        shapes = svg.locator("path, polyline, line, rect, circle").count()
        if shapes < 5:
            problems.append(f"chart {i + 1}: only {shapes} drawn shapes")
        # Every label (legend entries included) is drawn inside the chart's canvas.
        outside = svg.evaluate(
            """s => { const b = s.getBoundingClientRect(); return [...s.querySelectorAll('text')]
                 .map(t => [t.textContent, t.getBoundingClientRect()])
                 .filter(([_, r]) => r.width > 0 && (r.left < b.left - 1 || r.right > b.right + 1 || r.top < b.top - 1 || r.bottom > b.bottom + 1))
                 .map(([t]) => t); }"""
        )
        if outside:
            problems.append(f"chart {i + 1}: labels outside the canvas: {outside[:3]}")
    # A cost chart labels each of its points (a policy's name beside its dot).
    for j in range(svgs.count()):
        svg = svgs.nth(j)
        dots = svg.locator("g > circle[r='6']").count()
        if dots:
            named = svg.evaluate("s => [...s.querySelectorAll('g')].filter(g => g.querySelector(\"circle[r='6']\") && g.querySelector('text')).length")
            if named < dots:
                problems.append(f"chart {j + 1}: {dots - named} of {dots} points carry no label")
    # Nothing wider than the window: tables scroll inside their box, charts shrink to fit.
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"the page is {overflow} px wider than the window")
    # Chart text is not drawn over an error value.
    bad = page.evaluate("() => [...document.querySelectorAll('svg *')].filter(e => [...e.attributes].some(a => /NaN|Infinity/.test(a.value))).length")
    if bad:
        problems.append(f"{bad} chart elements have NaN or infinite coordinates")
    png = page.screenshot(full_page=True)
    if len(png) < 20_000:
        problems.append(f"the page's screenshot is nearly blank ({len(png)} bytes)")
    page.close()
    return [f"{html}: {p}" for p in problems], n


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    failed = False
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for path in paths:
            problems, charts = check(browser, pathlib.Path(path))
            for line in problems:
                print(line)
            failed |= bool(problems)
            if not problems:
                print(f"ok: {path}: loaded without errors, {charts} charts visible")
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
