"""Every bundled HTML output in a real browser: axe-core (WCAG 2.1 A/AA rules) in headless Chromium
finds no serious or critical violation, and nothing overflows a 390 px wide screen.

Needs Chromium (Debian: ``apt-get install chromium``; or ``$CHROMIUM``) and the npm packages
``axe-core`` and ``puppeteer-core`` under ``$REPORTER_NODE_TOOLS`` (default
``~/.cache/reporter-tools/node``; ``.ci/run`` installs them). Without them the browser tests are
skipped with the reason shown (``-ra``); the static checks below run everywhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_documents import BRIEFS, build, copy_project

SCRIPT = Path(__file__).parent / "tools" / "axe_check.js"


def _tools() -> tuple[str, Path] | str:
    """(chromium, node_modules) or the reason they cannot be had."""
    chromium = os.environ.get("CHROMIUM") or next(
        (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None)
    if not chromium:
        return "no Chromium (apt-get install chromium, or set CHROMIUM)"
    if not shutil.which("node"):
        return "no node (apt-get install nodejs)"
    base = Path(os.environ.get("REPORTER_NODE_TOOLS") or Path.home() / ".cache" / "reporter-tools" / "node")
    modules = base / "node_modules"
    missing = [name for name in ("axe-core", "puppeteer-core") if not (modules / name / "package.json").is_file()]
    if missing:
        return (f"npm packages {', '.join(missing)} not in {modules} "
                f"(npm install --prefix {base} axe-core puppeteer-core; see .ci/run)")
    return chromium, modules


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("html"))
    build(project, project / "out", *BRIEFS, extra=("--format", "html"))
    return project / "out"


@pytest.fixture(scope="module")
def browser_results(pages: Path) -> dict[str, dict]:
    tools = _tools()
    if isinstance(tools, str):
        print(f"\ntests/test_html_access.py: skipping the browser checks: {tools}")  # noqa: T201
        pytest.skip(f"axe-core in headless Chromium unavailable: {tools}")
    chromium, modules = tools
    files = [str(pages / f"{brief}.html") for brief in BRIEFS]
    done = subprocess.run(["node", str(SCRIPT), chromium, *files], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NODE_PATH": str(modules)}, check=False)
    if done.returncode != 0:
        if "Failed to launch" in done.stderr or "ENOENT" in done.stderr:
            pytest.skip(f"headless Chromium did not start: {done.stderr.strip()[:300]}")
        pytest.fail(f"axe run failed ({done.returncode}): {done.stderr[-2000:]}")
    return {Path(name).stem: result for name, result in json.loads(done.stdout).items()}


@pytest.mark.parametrize("brief", BRIEFS)
def test_axe_finds_no_serious_or_critical_violation(browser_results: dict[str, dict], brief: str) -> None:
    result = browser_results[brief]
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], json.dumps(bad, indent=1)
    assert result["fetched"] == []


@pytest.mark.parametrize("brief", BRIEFS)
def test_nothing_overflows_a_390_px_screen(browser_results: dict[str, dict], brief: str) -> None:
    overflow = browser_results[brief]["overflow"]
    assert overflow["scrollWidth"] <= overflow["clientWidth"], overflow
    assert overflow["bodyScrollWidth"] <= overflow["clientWidth"], overflow
    assert overflow["wide"] == [], overflow


@pytest.mark.parametrize("brief", BRIEFS)
def test_one_h1(browser_results: dict[str, dict], brief: str) -> None:
    assert browser_results[brief]["h1"] == 1


# -- what can be checked without a browser ----------------------------------------------------------


@pytest.mark.parametrize("brief", [b for b in BRIEFS if b != "sec-8k"])
def test_the_page_has_landmarks_underlined_links_and_quiet_chart_marks(pages: Path, brief: str) -> None:
    html = (pages / f"{brief}.html").read_text(encoding="utf-8")
    assert html.count("<main>") == 1 and "<header" in html.split("<main>")[0]
    assert re.search(r'<html lang="[a-z]{2}-[A-Z]{2}">', html)
    css = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert re.search(r"(?m)^a \{[^}]*text-decoration: underline", css)
    for svg in re.findall(r"<svg\b.*?</svg>", html, flags=re.DOTALL):
        opening = svg.split(">", 1)[0]
        assert 'role="img"' in opening and "aria-labelledby=" in opening
        ident = re.search(r'aria-labelledby="([^"]+)"', opening).group(1)
        assert f'<title id="{ident}">' in svg
        # Everything after the title is one group hidden from assistive technology.
        assert svg.split("</title>", 1)[1].startswith('<g aria-hidden="true">')
    assert html.count('<div class="table-scroll" role="region" tabindex="0"') == html.count("<table>")
    labels = re.findall(r'class="table-scroll" role="region" tabindex="0" aria-label="([^"]+)"', html)
    assert len(labels) == len(set(labels))


def test_the_edgar_page_stays_html_401(pages: Path) -> None:
    html = (pages / "sec-8k.html").read_text(encoding="utf-8")
    assert "aria-" not in html and 'role="region"' not in html
