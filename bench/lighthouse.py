"""Lighthouse scores for the pages people use: the tracking page, the order view, the scanner station, the
console (signed in) and the API docs, from a real ``ordertrail serve`` with demo data.

Run: ``.venv/bin/python -m bench.lighthouse`` (installs Lighthouse into bench/tools with npm ci on first use; needs
Debian's chromium). Prints a Markdown table of the four category scores per page and the audits each did not
pass, as docs/pages-for-everyone.md records them; each page's full report is kept in bench/results/lighthouse/.
Lighthouse's performance score uses its default mobile emulation with simulated throttling, so it is comparable
between runs on one machine, not an absolute figure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "bench" / "tools"
LIGHTHOUSE = TOOLS / "node_modules" / ".bin" / "lighthouse"
ORDERTRAIL = Path(sys.executable).parent / "ordertrail"  # the command installed beside this Python
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PASSWORD = secrets.token_urlsafe(16)  # the measuring account's, used once
REPORTS = ROOT / "bench" / "results" / "lighthouse"  # each page's full report, for the details behind a score
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=TOOLS, check=True)
    with tempfile.TemporaryDirectory() as scratch:
        server, base = _serve(Path(scratch))
        try:
            pages, cookie = _pages(base, Path(scratch))
            print("| page | " + " | ".join(CATEGORIES) + " | audits not passed |")
            print("|---|" + "---:|" * len(CATEGORIES) + "---|")
            for name, path in pages.items():
                signed_in = path.startswith("/console")
                scores, failed = _lighthouse(base + path, args.chromium, cookie if signed_in else None, name)
                cells = " | ".join(str(scores[c]) for c in CATEGORIES)
                print(f"| {name} | {cells} | {', '.join(failed)} |", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _serve(scratch: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "ORDERTRAIL_DATA_DIR": str(scratch / "data"),
        "ORDERTRAIL_DEMO_LIVE_SECONDS": "0",  # the pages hold still while they are measured
    }
    command = [str(ORDERTRAIL), "serve", "--port", str(port), "--demo", "10"]
    log = (scratch / "server.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            break
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"the server did not start: see {scratch / 'server.log'}")


def _cli(scratch: Path, *args: str) -> str:
    env = {**os.environ, "ORDERTRAIL_DATA_DIR": str(scratch / "data")}
    done = subprocess.run([str(ORDERTRAIL), *args], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    return done.stdout.strip().splitlines()[-1]


def _pages(base: str, scratch: Path) -> tuple[dict[str, str], str]:
    """The pages to measure, and the console session's cookie header."""
    admin = _cli(scratch, "keys", "create", "--role", "admin", "--name", "lighthouse")
    with httpx.Client(base_url=base, timeout=30) as http:
        listed = http.get("/api/v1/parcels", params={"limit": 50}, headers={"Authorization": f"Bearer {admin}"})
        parcels = listed.json()["parcels"]
        delivered = next(p for p in parcels if p["status"] == "delivered")
        held = next((p for p in parcels if p["delayed"] or p["reason"]), parcels[0])
        order = http.get(
            f"/api/v1/orders/{delivered['order_number']}", headers={"Authorization": f"Bearer {admin}"}
        ).json()
        opened = http.post(
            "/track/order",
            data={"order_number": order["order_number"], "verifier": order["destination"]["postal_code"]},
            follow_redirects=False,
        )
        order_view = opened.headers["location"].removeprefix(base)
        merchant = order["merchant"]
        invitation = _cli(scratch, "users", "create", "--email", "ops@lighthouse.example", "--role", "operations",
                          "--merchant", merchant)  # fmt: skip
        path = "/" + invitation.split("/", 3)[3]
        form = http.get(path).text
        token = CSRF.search(form)
        assert token, "no form on the invitation page"
        http.post(path, data={"csrf_token": token.group(1), "password": PASSWORD, "password_again": PASSWORD})
        login = CSRF.search(http.get("/console/login").text)
        assert login, "no form on the sign-in page"
        data = {"csrf_token": login.group(1), "email": "ops@lighthouse.example", "password": PASSWORD}
        http.post("/console/login", data={**data, "next": "/console"}, follow_redirects=False)
        cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    pages = {
        "home (tracking form)": "/",
        "tracking page, delivered": f"/t/{delivered['tracking_number']}",
        "tracking page, held up": f"/t/{held['tracking_number']}",
        "order view": order_view,
        "scanner station": "/scan",
        "console overview": "/console",
        "console parcel list": "/console/parcels",
        "console parcel detail": f"/console/parcels/{held['tracking_number']}",
        "API docs (Swagger UI)": "/docs",
        "API docs (ReDoc)": "/redoc",
    }
    return pages, cookie


def _lighthouse(url: str, chromium: str, cookie: str | None, name: str) -> tuple[dict[str, int], list[str]]:
    """The category scores (0–100), and the ids of the scored audits that did not pass."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    report = REPORTS / (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".json")
    command = [
        str(LIGHTHOUSE),
        url,
        f"--chrome-path={chromium}",
        "--chrome-flags=--headless=new --no-sandbox",
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json",
        f"--output-path={report}",
        "--quiet",
    ]
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": chromium})
    result = json.loads(report.read_text())
    categories, audits = result["categories"], result["audits"]
    scores = {name: round((categories[name]["score"] or 0) * 100) for name in CATEGORIES}
    scored = {ref["id"] for name in CATEGORIES for ref in categories[name]["auditRefs"] if ref["weight"] > 0}
    failed = sorted(i for i in scored if audits[i]["score"] is not None and audits[i]["score"] < 0.9)
    return scores, failed


if __name__ == "__main__":
    main()
