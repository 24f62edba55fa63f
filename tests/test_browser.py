"""Every study's report as a person sees it: opened from disk in headless Chromium.

Each study's first default run (shipped data, resampling cut to the parameter's minimum so the
runs stay quick) is written to a temporary folder and its ``report.html`` opened through a
``file://`` URL with playwright. The checks are what a reader would notice: errors in the
console, a figure left blank, a broken image, a table running off the page, emoji in the text,
and a page that fetches something from the network (reports must open offline).

The runs go two at a time in the background while the browser looks at the finished ones; one
Chromium serves every page. Debian's ``chromium`` is used (``playwright install`` is not
needed). Without it, or without the playwright package, the module skips, except under
``CI=true``, where CI installs both and a skip would hide a regression.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import struct
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from workbench.runner.cli import run_study
from workbench.studies import PROJECT_ROOT, STUDIES, Study

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 900}  # a laptop screen
# parameters cut to their minimum: the figures and tables are the same, only the intervals coarser
RESAMPLING_PARAMS = ("bootstrap", "pa_iterations", "blrt", "stability")
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def unavailable(reason: str) -> None:
    """Skip, or fail under CI (which installs the browser, so a skip would hide a regression)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI=true, where the browser checks must run.", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    path = Path("/usr/bin/chromium")
    return str(path) if path.exists() else shutil.which("chromium")


def quick_params(study: Study) -> dict[str, Any]:
    """The study's first default run, with every resampling count at its minimum."""
    params = dict(study.default_runs[0].params)
    for p in study.params:
        if p.name in RESAMPLING_PARAMS and p.minimum is not None:
            params[p.name] = int(p.minimum)
    return params


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every page."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    executable = chromium_path()
    if executable is None:
        unavailable("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def study_runs(browser, tmp_path_factory, request) -> dict[str, Future[Path]]:
    """The selected studies' quick default runs, two at a time; each test waits for its own."""
    root = tmp_path_factory.mktemp("browser-runs")
    selected = {
        item.callspec.params.get("seen")
        for item in request.session.items  # what -k or a test id left of this module
        if getattr(item, "module", None) is request.module and hasattr(item, "callspec")
    }

    def run(study: Study) -> Path:
        default = study.default_runs[0]
        return run_study(
            study,
            data=str(PROJECT_ROOT / default.data),
            codebook=str(PROJECT_ROOT / default.codebook) if default.codebook else None,
            params=quick_params(study),
            out=str(root / study.name),
        )

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_REPORTS", str(root / "reports"))  # nothing lands in reports/
        pool = ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1))
        try:
            yield {n: pool.submit(run, s) for n, s in STUDIES.items() if n in selected}
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


@dataclasses.dataclass
class SeenReport:
    """What the browser saw on one report page."""

    report: Path
    html: str
    console_errors: list[str]
    page_errors: list[str]
    requests: list[str]
    page: dict[str, Any]  # measurements taken in the page, see MEASURE
    screenshot: Path


# Runs in the page after it has loaded; returns plain data for the assertions.
MEASURE = """
() => {
  const vw = document.documentElement.clientWidth;
  const box = (el) => { const r = el.getBoundingClientRect(); return {w: r.width, h: r.height}; };
  const plots = [...document.querySelectorAll('.plotly-graph-div')].map((div) => {
    const svg = div.querySelector('svg.main-svg');
    return {
      id: div.id,
      drawn: div.classList.contains('js-plotly-plot'),
      traces: Array.isArray(div.data) ? div.data.length : 0,
      svg: svg ? box(svg) : null,
    };
  });
  const images = [...document.images].map((img) => ({
    src: img.src.slice(0, 40),
    complete: img.complete,
    naturalWidth: img.naturalWidth,
    ...box(img),
  }));
  const svgs = [...document.querySelectorAll('svg')]
    .filter((s) => !s.closest('.js-plotly-plot') && !s.parentElement.closest('svg'))
    .map((s) => ({html: s.outerHTML.slice(0, 60), ...box(s)}));
  const tables = [...document.querySelectorAll('table')].map((table, i) => {
    const r = table.getBoundingClientRect();
    let scroller = null;
    for (let el = table.parentElement; el && el !== document.body; el = el.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(el).overflowX)) { scroller = el; break; }
    }
    const s = scroller && scroller.getBoundingClientRect();
    return {
      index: i,
      head: (table.innerText || '').trim().split('\\n')[0].slice(0, 60),
      left: r.left, right: r.right, width: r.width,
      scroller: scroller ? {tag: scroller.tagName, cls: scroller.className,
                            left: s.left, right: s.right} : null,
    };
  });
  return {
    viewportWidth: vw,
    pageWidth: document.documentElement.scrollWidth,
    pageHeight: document.documentElement.scrollHeight,
    plots, images, svgs, tables,
    text: document.body.innerText,
  };
}
"""

ALL_DRAWN = """
() => [...document.querySelectorAll('.plotly-graph-div')].every((d) => d.querySelector('svg.main-svg'))
  && [...document.images].every((img) => img.complete)
"""


def open_report(browser: Any, report: Path, screenshot: Path) -> SeenReport:
    """Open a report in a fresh browser context, record what happens, take a screenshot."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    console_errors: list[str] = []
    page_errors: list[str] = []
    requests: list[str] = []
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    # a report must not need the network: record any request, and never let one out
    context.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: route.abort())
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(report.as_uri(), wait_until="load")
        try:
            page.wait_for_function(ALL_DRAWN, timeout=15_000)
        except PlaywrightTimeout:
            pass  # the figure checks say which ones are missing
        measured = page.evaluate(MEASURE)
        page.screenshot(path=str(screenshot), full_page=True)
    finally:
        context.close()
    return SeenReport(
        report=report,
        html=report.read_text(encoding="utf-8"),
        console_errors=console_errors,
        page_errors=page_errors,
        requests=requests,
        page=measured,
        screenshot=screenshot,
    )


@pytest.fixture(scope="module", params=list(STUDIES))
def seen(request, browser, study_runs, tmp_path_factory) -> SeenReport:
    """One study's report as the browser saw it (one test id per study)."""
    name = request.param
    report = study_runs[name].result() / "report.html"
    return open_report(browser, report, tmp_path_factory.mktemp("screenshots") / f"{name}.png")


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


# =========================================================================== the checks
def test_report_opens_without_console_or_page_errors(seen):
    assert not seen.page_errors, f"uncaught errors in the page: {seen.page_errors}"
    assert not seen.console_errors, f"errors in the console: {seen.console_errors}"


def test_report_requests_nothing_but_its_own_file(seen):
    outside = [u for u in seen.requests if not u.startswith(("file:", "data:"))]
    assert not outside, f"the report needs the network (it must open offline): {outside}"
    assert seen.report.as_uri() in seen.requests  # the recording works: the page itself is there


def test_every_plotly_figure_is_drawn_with_its_data(seen):
    plots = seen.page["plots"]
    assert len(plots) == seen.html.count("Plotly.newPlot("), "figures in the HTML vs on the page"
    blank = [
        p
        for p in plots
        if not (p["drawn"] and p["traces"] > 0 and p["svg"] and min(p["svg"].values()) > 0)
    ]
    assert not blank, f"{len(blank)} of {len(plots)} plotly figures are blank: {blank}"


def test_every_static_figure_loaded_and_has_size(seen):
    broken = [
        i for i in seen.page["images"] if not (i["naturalWidth"] > 0 and i["w"] > 0 and i["h"] > 0)
    ]
    assert not broken, f"images that did not load or take no space: {broken}"
    empty = [s for s in seen.page["svgs"] if not (s["w"] > 0 and s["h"] > 0)]
    assert not empty, f"inline SVG figures without size: {empty}"


def test_wide_tables_scroll_in_their_own_box(seen):
    width = seen.page["viewportWidth"]

    def fits(box: dict[str, float]) -> bool:
        return box["left"] >= -1 and box["right"] <= width + 1

    overflowing = [
        {k: t[k] for k in ("index", "head", "width", "scroller")}
        for t in seen.page["tables"]
        if not fits(t) and not (t["scroller"] and fits(t["scroller"]))
    ]
    assert not overflowing, (
        f"tables wider than the {width}px window that do not scroll: {overflowing}"
    )
    assert seen.page["pageWidth"] <= width, "the page itself scrolls sideways"


def test_visible_text_has_no_emoji(seen):
    text = seen.page["text"]
    found = [
        f"U+{ord(m.group()):04X} in {text[max(m.start() - 30, 0) : m.end() + 30]!r}"
        for m in EMOJI.finditer(text)
    ]
    assert not found, f"{len(found)} emoji in the visible text:\n" + "\n".join(found)


def test_full_page_screenshot_shows_the_whole_report(seen):
    width, height = png_size(seen.screenshot)
    assert width == VIEWPORT["width"], "the page is wider than the window"
    assert height >= seen.page["pageHeight"] > VIEWPORT["height"], "not the whole page"
    assert seen.screenshot.stat().st_size > 100_000  # a blank page of this size is far smaller
