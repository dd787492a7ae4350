"""Real page checkers for the browser tests: axe-core injected into Chromium, a reflow measurement, and the Nu
HTML Checker (vnu.jar on Debian's Java). Both tools come from tests/tools (npm ci by scripts/install-system)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

TOOLS = Path(__file__).resolve().parents[1] / "tools" / "node_modules"
AXE = TOOLS / "axe-core" / "axe.min.js"
VNU = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"


def axe_violations(page: Page) -> list[str]:
    """axe-core's violations of the page as it is now (WCAG 2.x A and AA and best practices), one line each.

    The page's context must bypass CSP: axe is injected as a script of the test, not of the page."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']}: {node['target']} {node.get('failureSummary', '')[:200]}"
        for violation in result["violations"]
        for node in violation["nodes"]
    ]


def overflow(page: Page) -> list[str]:
    """Elements that reach past the viewport's right edge (WCAG 1.4.10 Reflow), with the document's width first;
    empty when the page fits."""
    found: list[str] = page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const out = [];
          if (document.documentElement.scrollWidth > width) {
            out.push(`document ${document.documentElement.scrollWidth}px > ${width}px`);
          }
          for (const element of document.querySelectorAll('body *')) {
            const box = element.getBoundingClientRect();
            if (box.width && box.right > width + 0.5 && getComputedStyle(element).position !== 'fixed'
                && !element.closest('.visually-hidden, [hidden]')) {
              out.push(`${element.tagName.toLowerCase()}.${element.className} right=${Math.round(box.right)}`);
            }
          }
          return out.slice(0, 20);
        }"""
    )
    return found


def vnu_errors(documents: dict[str, str], directory: Path) -> list[str]:
    """The Nu HTML Checker's errors for each named HTML document (one Java start for all of them)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for index, (name, html) in enumerate(documents.items()):
        path = directory / f"page-{index}.html"
        path.write_text(html, encoding="utf-8")
        paths[str(path.resolve())] = name
    run = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", "--exit-zero-always", *paths],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    errors = []
    for message in messages:
        source = message.get("url", "").removeprefix("file:")
        name = next((n for p, n in paths.items() if source.endswith(p)), source)
        errors.append(f"{name}: {message.get('message')} [{message.get('extract', '')[:120]!r}]")
    return errors
