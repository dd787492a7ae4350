"""Handing parcels to couriers by CSV from the console (/console/handovers): an upload, a preview of each line
(refusals with their line numbers, nothing handed over yet), a confirmation that hands them over once however
often it is sent, the CSRF token on every form, the handover permission and the merchant scope of the bulk API."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordertrail.services.console.handover_csv import MAX_CSV_BYTES
from ordertrail.settings import Settings
from tests.conftest import auth, order_body
from tests.support.staff import FAST_HASHING, csrf_of, staff_user

UPS_NUMBER = "1Z5R89390357567127"
BAD_UPS_NUMBER = "1Z5R89390357567128"  # the check digit fails
_ROW = re.compile(r'<tr data-outcome="([a-z_]+)" id="line-(\d+)">')


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", public_base_url="http://testserver", **FAST_HASHING)


def _as(client: TestClient, run_services: Callable[..., Any], settings: Settings, *user: str) -> str:
    client.cookies.clear()
    staff_user(client, run_services, settings, *user)
    return csrf_of(client.get("/console").text)


def _order(client: TestClient, key: str, parcels: int = 1) -> list[str]:
    response = client.post("/api/v1/orders", json=order_body(parcels=[{}] * parcels), headers=auth(key))
    assert response.status_code == 201, response.text
    return [p["tracking_number"] for p in response.json()["parcels"]]


def _upload(client: TestClient, token: str | None, content: bytes, name: str = "handovers.csv") -> Any:
    data = {} if token is None else {"csrf_token": token}
    return client.post("/console/handovers/preview", data=data, files={"file": (name, content, "text/csv")})


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert found is not None, html
    return found.group(1)


def _outcomes(html: str) -> dict[int, str]:
    return {int(line): outcome for outcome, line in _ROW.findall(html)}


def _courier(client: TestClient, number: str) -> Any:
    return client.get(f"/api/v1/tracking/{number}").json()["courier"]


def _handed_over_entries(client: TestClient, admin: str) -> list[str]:
    log = client.get("/api/v1/audit-log", headers=auth(admin)).json()["entries"]
    return sorted(e["tracking_number"] for e in log if e["action"] == "parcel.handed_over")


def test_operations_uploads_sees_each_line_confirms_and_a_second_confirm_changes_nothing(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    merchant = make_key("merchant", merchant="Shop A")
    other = make_key("merchant", merchant="Shop B")
    admin = make_key("admin")
    good, second, bad = _order(client, merchant, 3)
    (theirs,) = _order(client, other)
    token = _as(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    upload_page = client.get("/console/handovers")
    assert upload_page.status_code == 200
    assert 'action="/console/handovers/preview" enctype="multipart/form-data"' in upload_page.text
    assert 'href="/console/handovers" aria-current="page"' in upload_page.text  # in the navigation
    assert 'href="/console/handovers"' in client.get(f"/console/parcels/{good}").text  # and by the parcel's form

    # As a spreadsheet saves it: a byte order mark, CRLF, the columns in its own order with one of its own, a
    # blank line, a quoted cell.
    csv = (
        "\ufeffnote,Courier,tracking_number,courier_tracking_number,service_level\r\n"
        f'"first, fragile",UPS,{good},1z5r 8939 0357 5671 27,\r\n'  # line 2
        f",ups,{bad},{BAD_UPS_NUMBER},\r\n"  # line 3: the check digit fails
        "\r\n"  # line 4: blank, skipped
        f",dpd,{theirs},DPD-0002,\r\n"  # line 5: Shop B's parcel
        ",dpd,OT000000000000,DPD-0003,\r\n"  # line 6: no such parcel
        f",royal_mail,{second},,\r\n"  # line 7: no courier number
        f",dpd,{second},DPD-0004,next\r\n"  # line 8
    ).encode()
    assert _upload(client, None, csv).status_code == 403  # no CSRF token
    preview = _upload(client, token, csv)
    assert preview.status_code == 200, preview.text
    assert _outcomes(preview.text) == {2: "handed_over", 3: "invalid", 5: "not_found", 6: "not_found",
                                       7: "invalid", 8: "handed_over"}  # fmt: skip
    assert "Line 3: courier_tracking_number " in preview.text
    assert "Line 7: courier_tracking_number is required" in preview.text
    assert "2 to hand over, 0 unchanged, 4 refused" in preview.text
    assert "Hand over 2 parcels" in preview.text
    assert _courier(client, good) is None and _courier(client, second) is None  # a preview hands nothing over

    form = {
        "csrf_token": token,
        "key": _hidden(preview.text, "key"),
        "upload": _hidden(preview.text, "upload"),
        "filename": "handovers.csv",
    }
    assert client.post("/console/handovers", data={**form, "csrf_token": "forged"}).status_code == 403
    assert _courier(client, good) is None
    done = client.post("/console/handovers", data=form)
    assert done.status_code == 200, done.text
    assert "handovers.csv: 2 handed over, 0 unchanged, 4 refused" in done.text
    assert _outcomes(done.text)[2] == "handed_over" and _outcomes(done.text)[3] == "invalid"
    assert (_courier(client, good)["code"], _courier(client, good)["tracking_number"]) == ("ups", UPS_NUMBER)
    assert (_courier(client, second)["tracking_number"], _courier(client, second)["service_level"]) == (
        "DPD-0004",
        "next",
    )
    assert _courier(client, bad) is None and _courier(client, theirs) is None
    assert _handed_over_entries(client, admin) == sorted([good, second])

    # Sent again (a double click, a reload): the first answer, nothing done twice.
    again = client.post("/console/handovers", data=form)
    assert again.status_code == 200 and "nothing was done again" in again.text, again.text
    assert _outcomes(again.text) == _outcomes(done.text)
    assert _handed_over_entries(client, admin) == sorted([good, second])

    # The same key for another file is refused, not acted on.
    other_file = base64.b64encode(f"tracking_number,courier,courier_tracking_number\n{bad},dpd,DPD-0009\n".encode())
    conflict = client.post("/console/handovers", data={**form, "upload": other_file.decode()})
    assert conflict.status_code == 409 and 'id="handover-file-error"' in conflict.text
    assert _courier(client, bad) is None

    # A fresh preview of the same file: what stands now is unchanged.
    later = _upload(client, token, csv)
    assert _outcomes(later.text)[2] == "unchanged" and _outcomes(later.text)[8] == "unchanged"


def test_a_file_the_page_cannot_read_is_refused_with_the_reason(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    make_key("merchant", merchant="Shop A")
    token = _as(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    header = b"tracking_number,courier,courier_tracking_number\n"
    large = _upload(client, token, header + b"OT1,dpd,DPD-1\n" * (MAX_CSV_BYTES // 14 + 1))
    assert large.status_code == 413 and "larger than 512 KiB" in large.text
    missing = _upload(client, token, b"tracking_number,courier\nOT1,dpd\n")
    assert missing.status_code == 422 and "(missing: courier_tracking_number)" in missing.text
    latin = _upload(client, token, header + "OT1,dpd,DPD-Ü\n".encode("latin-1"))
    assert latin.status_code == 422 and "not UTF-8" in latin.text
    empty = _upload(client, token, header)
    assert empty.status_code == 422 and "no handovers" in empty.text
    assert _upload(client, token, b"", name="").status_code == 422  # no file chosen
    expired = client.post("/console/handovers", data={"csrf_token": token, "key": "k", "upload": "not base64!"})
    assert expired.status_code == 422 and "upload the file again" in expired.text


@pytest.mark.parametrize("role", ["support", "viewer"])
def test_who_may_not_hand_over_is_refused_at_every_step(
    role: str, client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    merchant = make_key("merchant", merchant="Shop A")
    (number,) = _order(client, merchant)
    token = _as(client, run_services, settings, f"{role}@example.com", role, "Shop A")
    assert 'href="/console/handovers"' not in client.get("/console").text
    refused = client.get("/console/handovers")
    assert refused.status_code == 403 and "handles exceptions" in refused.text
    csv = f"tracking_number,courier,courier_tracking_number\n{number},dpd,DPD-0001\n".encode()
    assert _upload(client, token, csv).status_code == 403
    form = {"csrf_token": token, "key": "a-key", "upload": base64.b64encode(csv).decode()}
    assert client.post("/console/handovers", data=form).status_code == 403
    assert _courier(client, number) is None


def test_a_merchant_user_cannot_hand_over_another_merchants_parcels(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    mine = make_key("merchant", merchant="Shop A")
    theirs_key = make_key("merchant", merchant="Shop B")
    (own,) = _order(client, mine)
    (theirs,) = _order(client, theirs_key)
    token = _as(client, run_services, settings, "owner@example.com", "merchant", "Shop A")
    csv = f"tracking_number,courier,courier_tracking_number\n{theirs},dpd,DPD-0001\n{own},dpd,DPD-0002\n".encode()
    preview = _upload(client, token, csv)
    assert _outcomes(preview.text) == {2: "not_found", 3: "handed_over"}
    form = {"csrf_token": token, "key": _hidden(preview.text, "key"), "upload": _hidden(preview.text, "upload")}
    # Even a form rewritten to name only the other merchant's parcel hands nothing over.
    forged = base64.b64encode(f"tracking_number,courier,courier_tracking_number\n{theirs},dpd,DPD-1\n".encode())
    answer = client.post("/console/handovers", data={**form, "key": "another-key", "upload": forged.decode()})
    assert answer.status_code == 200 and _outcomes(answer.text) == {2: "not_found"}
    assert client.post("/console/handovers", data=form).status_code == 200
    assert _courier(client, theirs) is None
    assert _courier(client, own)["tracking_number"] == "DPD-0002"
