"""Scan ingest: single scans and offline batches. The hot path: bodies are parsed and answered by hand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request, Security
from pydantic import TypeAdapter, ValidationError
from starlette.responses import Response

from ordertrail.api import json_bodies
from ordertrail.api.documents.scanning import ScanBatchOut, ScanOut
from ordertrail.api.responses import BODY, KEY, WRITES, errors
from ordertrail.api.schemas.scanning import ScanBatchIn, ScanIn
from ordertrail.api.views import scan_result
from ordertrail.domain.errors import EventIdConflict, FieldProblem, InvalidInput, PayloadTooLarge, UnmatchedScan
from ordertrail.domain.scanning.scans import Outcome, ScanInput
from ordertrail.http.deps import API_KEY, get_ingestor, get_settings, json_response
from ordertrail.http.problems import field_problems, from_error, invalid
from ordertrail.services.accounts.keys import key_hash_of

# The ingest transaction checks the key itself; the dependency only declares the scheme in the document.
router = APIRouter(prefix="/api/v1", tags=["scanning"], dependencies=[Security(API_KEY)])

# Hand-parsed bodies still appear in the OpenAPI document: app.py fills these in from the schemas.
SCAN_BODY = {"x-body-model": "ScanIn"}
BATCH_BODY = {"x-body-model": "ScanBatchIn"}


def _key_hash(request: Request) -> str:
    """The sender's key, checked for form only: the ingest transaction checks it against the store."""
    return key_hash_of(request.headers.get("authorization"))


async def _json(request: Request) -> Any:
    return json_bodies.loads(await request.body())


@router.post(
    "/scans",
    status_code=201,
    summary="Record one scan",
    description=(
        "Scanner and admin keys. Idempotent by the scan's `event_id`: a retry of a stored scan answers 200 with the"
        " stored result and changes nothing, while a different scan under a used `event_id` is a 409. An unknown "
        "tracking number answers 404 and the scan is kept as unmatched (`GET /api/v1/unmatched-scans`)."
    ),
    openapi_extra=SCAN_BODY,
    response_model=ScanOut,
    response_description="Recorded: the stored event and the parcel after it",
    responses={
        200: {"model": ScanOut, "description": "A retry of a stored scan: the stored result"},
        **errors(
            KEY,
            BODY,
            WRITES,
            404,
            409,
            notes={404: "Unknown number: kept as unmatched", 409: "event_id reused for a different scan"},
        ),
    },
)
async def record_scan(request: Request) -> Response:
    key_hash = _key_hash(request)
    try:
        scan = ScanIn.model_validate(await _json(request)).to_input()
    except ValidationError as error:
        return invalid(field_problems(error))
    (result,) = await get_ingestor(request).record([scan], key_hash=key_hash)
    if result.outcome is Outcome.CREATED:
        return json_response(scan_result(result), 201)
    if result.outcome is Outcome.DUPLICATE:
        return json_response(scan_result(result), 200)
    if result.outcome is Outcome.UNMATCHED:
        return from_error(UnmatchedScan(field="tracking_number"))
    if result.outcome is Outcome.CONFLICT:
        return from_error(EventIdConflict(field="event_id"))
    return from_error(InvalidInput("The scan breaks a rule.", problems=result.problems))


@router.post(
    "/scans/batch",
    summary="Record up to 1,000 scans, each on its own",
    description=(
        "Scanner and admin keys; at most `ORDERTRAIL_MAX_BATCH_SCANS` (1,000) scans, or 413. Answers 200 with every"
        " scan's outcome (created, duplicate, invalid, unmatched, …) in its place, and counts per outcome: an "
        "invalid scan names `scans.<index>.<field>` and does not stop the others. A retried batch is safe: scans "
        "stored already answer `duplicate`."
    ),
    openapi_extra=BATCH_BODY,
    response_model=ScanBatchOut,
    response_description="Each scan's outcome in its place (an invalid item does not fail the batch)",
    responses=errors(KEY, BODY, WRITES, notes={413: "The body is too large, or holds more scans than allowed"}),
)
async def record_scan_batch(request: Request) -> Response:
    key_hash = _key_hash(request)
    parsed = parse_batch(await request.body(), max_scans=get_settings(request).max_batch_scans)
    valid = [p for p in parsed if isinstance(p, ScanInput)]
    recorded = iter(await get_ingestor(request).record(valid, key_hash=key_hash)) if valid else iter(())
    results = [
        _in_batch(index, scan_result(next(recorded), with_event=False)) if isinstance(p, ScanInput) else p
        for index, p in enumerate(parsed)
    ]
    counts = {outcome.value: 0 for outcome in Outcome}
    for result in results:
        counts[result["outcome"]] += 1
    return json_response({"results": results, "counts": counts})


# The whole list validated in one call: pydantic-core runs the loop, not a Python call per item.
_SCAN_LIST: TypeAdapter[list[ScanIn]] = TypeAdapter(list[ScanIn])


def parse_batch(body: bytes, *, max_scans: int) -> list[ScanInput | dict[str, Any]]:
    """Each item of a batch body as a valid scan or its 'invalid' result naming the fields, in order.

    Raises MalformedBody, InvalidInput (the body is not ``{"scans": [...]}``, or repeats a key) or
    PayloadTooLarge (more than ``max_scans`` items).
    """
    document = json_bodies.loads(body)
    if not isinstance(document, dict) or not isinstance(document.get("scans"), list):
        raise InvalidInput("The body must be an object with a 'scans' array.", field="scans")
    extra = set(document) - {"scans"}
    if extra:
        raise InvalidInput(f"Unknown field {sorted(extra)[0]!r}.", field=sorted(extra)[0])
    items: list[Any] = document["scans"]
    if len(items) > max_scans:
        raise PayloadTooLarge(f"A batch holds at most {max_scans} scans; this one has {len(items)}: split it.")
    try:
        models = _SCAN_LIST.validate_python(items)
    except (ValidationError, InvalidInput):
        # Some item is invalid: each is validated on its own, so the others are still recorded and the errors
        # name the fields of that item alone (the rare path: devices send valid scans).
        return [_parse_item(index, item) for index, item in enumerate(items)]
    return [_converted(index, model, item) for index, (model, item) in enumerate(zip(models, items, strict=True))]


def _converted(index: int, model: ScanIn, item: dict[str, Any]) -> ScanInput | dict[str, Any]:
    try:
        return model.to_input()
    except InvalidInput as error:
        return _invalid(index, item.get("event_id"), error.problems)


def _in_batch(index: int, result: dict[str, Any]) -> dict[str, Any]:
    """Name fields by their place in the batch (``scans.3.reason``)."""
    if "errors" in result:
        result["errors"] = [{**e, "field": f"scans.{index}.{e['field']}"} for e in result["errors"]]
        result["error"] = "; ".join(f"{e['field']} {e['reason']}" for e in result["errors"])
    return result


def _parse_item(index: int, item: Any) -> ScanInput | dict[str, Any]:
    """A valid scan, or its 'invalid' result naming the fields."""
    event_id = item.get("event_id") if isinstance(item, dict) else None
    try:
        return ScanIn.model_validate(item).to_input()
    except ValidationError as error:
        problems = field_problems(error)
    except InvalidInput as error:
        problems = error.problems
    return _invalid(index, event_id, problems)


def _invalid(index: int, event_id: Any, problems: Sequence[FieldProblem]) -> dict[str, Any]:
    return {
        "event_id": event_id if isinstance(event_id, str) else None,
        "outcome": Outcome.INVALID.value,
        "error": "; ".join(f"scans.{index}.{p.field} {p.reason}" for p in problems),
        "errors": [{"field": f"scans.{index}.{p.field}", "reason": p.reason} for p in problems],
    }


__all__ = ["ScanBatchIn", "router"]
