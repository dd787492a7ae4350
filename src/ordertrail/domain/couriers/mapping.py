"""Couriers' status codes mapped to ordertrail's vocabulary, read from the data files in ``mappings/``.

A file per courier (``mappings/<courier>.json``)::

    {"courier": "ups", "codes": {"D": {"status": "delivered"}, "X": {"status": "exception", "reason": "damaged"}}}

Each entry names an ordertrail status and, where the status takes them, a reason code and a substatus. A code
no file maps is recorded as ``in_transit`` with the raw code kept (``resolve``): a courier that adds a code must
not make its events vanish, and "in transit" is the one claim that is true of any event between dispatch and
delivery.

Aggregators (Karrio, EasyPost, AfterShip) speak their own vocabularies for every courier they track: their files
are ``mappings/<aggregator>.json`` with ``"aggregator"`` in place of ``"courier"`` and a ``carriers`` table that
names ordertrail's courier code for the aggregator's name of a courier (``{"DHLExpress": "dhl"}``). A code
``primary/detail`` (an aggregator's status and its detail) no file maps is read as ``primary``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any, Final

from ordertrail.domain.couriers.handover import COURIER_CODE
from ordertrail.domain.errors import FieldProblem
from ordertrail.domain.scanning.status import REASON_REQUIRED, STATUS_BY_VALUE, SUBSTATUSES, Status, reasons_for

# Statuses a courier event cannot claim: the order's own first event, and what only the shop decides.
_NOT_FROM_COURIERS: Final = frozenset({Status.ORDER_PLACED, Status.PROCESSING, Status.PACKED, Status.CANCELLED})
# What a courier's code may mean, in lifecycle order (the console's choice of statuses).
COURIER_STATUSES: Final = tuple(s for s in Status if s not in _NOT_FROM_COURIERS)


@dataclass(frozen=True, slots=True)
class StatusMapping:
    """What one courier code means in ordertrail's vocabulary."""

    status: Status
    reason: str | None = None
    substatus: str | None = None
    mapped: bool = True  # False: no file maps the code (recorded in transit, the raw code kept)


UNMAPPED: Final = StatusMapping(Status.IN_TRANSIT, mapped=False)


class MappingError(ValueError):
    """A mapping file that breaks the rules: refused when loaded, so a bad file never reaches the timeline."""


def parse_mapping(document: Any, *, source: str) -> tuple[str, dict[str, StatusMapping]]:
    """A mapping file's courier and codes; raises MappingError naming the file and the entry."""
    if not isinstance(document, dict) or set(document) != {"courier", "codes"}:
        raise MappingError(f"{source}: must be an object with exactly 'courier' and 'codes'")
    return _name(document["courier"], key="courier", source=source), _codes(document["codes"], source=source)


def parse_aggregator_mapping(document: Any, *, source: str) -> tuple[str, dict[str, StatusMapping], dict[str, str]]:
    """An aggregator's file: its name, codes and carriers table; raises MappingError naming the file and entry."""
    if not isinstance(document, dict) or set(document) != {"aggregator", "codes", "carriers"}:
        raise MappingError(f"{source}: must be an object with exactly 'aggregator', 'codes' and 'carriers'")
    carriers = document["carriers"]
    if not isinstance(carriers, dict):
        raise MappingError(f"{source}: 'carriers' must be an object")
    for name, courier in carriers.items():
        if not isinstance(courier, str) or not COURIER_CODE.match(courier):
            raise MappingError(f"{source}: carriers.{name} must be a courier code such as 'ups'")
    name = _name(document["aggregator"], key="aggregator", source=source)
    return name, _codes(document["codes"], source=source), dict(carriers)


def _name(name: Any, *, key: str, source: str) -> str:
    if not isinstance(name, str) or not COURIER_CODE.match(name):
        raise MappingError(f"{source}: '{key}' must be a code such as 'ups'")
    return name


def _codes(codes: Any, *, source: str) -> dict[str, StatusMapping]:
    if not isinstance(codes, dict):
        raise MappingError(f"{source}: 'codes' must be an object")
    return {code: _entry(entry, where=f"{source}: codes.{code}") for code, entry in codes.items()}


def _entry(entry: Any, *, where: str) -> StatusMapping:
    if not isinstance(entry, dict) or not set(entry) <= {"status", "reason", "substatus"}:
        raise MappingError(f"{where}: must be an object of 'status' and optionally 'reason', 'substatus'")
    found = checked_entry(entry.get("status"), entry.get("reason"), entry.get("substatus"))
    if isinstance(found, FieldProblem):
        raise MappingError(f"{where}: {found.field} {found.reason}")
    return found


def checked_entry(status_value: Any, reason: Any, substatus: Any) -> StatusMapping | FieldProblem:
    """One code's meaning as a mapping file or a merchant's override gives it, or the rule it breaks (one rule
    for both: an override cannot say what a shipped file could not)."""
    status = STATUS_BY_VALUE.get(status_value) if isinstance(status_value, str) else None
    if status is None or status in _NOT_FROM_COURIERS:
        allowed = ", ".join(s.value for s in Status if s not in _NOT_FROM_COURIERS)
        return FieldProblem("status", f"must be one of {allowed}")
    allowed_reasons = reasons_for(status)
    if status in REASON_REQUIRED and reason not in allowed_reasons:
        return FieldProblem("reason", f"{status.value} needs a reason: one of {', '.join(sorted(allowed_reasons))}")
    if reason is not None and reason not in allowed_reasons:
        return FieldProblem("reason", f"{status.value} takes no reason code {reason!r}")
    if substatus is not None and substatus not in SUBSTATUSES.get(status, ()):
        known = ", ".join(sorted(SUBSTATUSES.get(status, ()))) or "none"
        return FieldProblem("substatus", f"{substatus!r} is not a substatus of {status.value}: one of {known}")
    return StatusMapping(status, reason, substatus)


@dataclass(frozen=True, slots=True)
class MappingRegistry:
    """Every courier's and aggregator's codes (``codes[name][code]``), and the aggregators' carrier names."""

    codes: Mapping[str, Mapping[str, StatusMapping]]
    carriers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def resolve(
        self,
        vocabulary: str,
        code: str,
        overrides: Mapping[tuple[str, str], StatusMapping] | None = None,
        *,
        courier: str | None = None,
    ) -> StatusMapping:
        """What ``code`` of a courier or aggregator (``vocabulary``) means: the merchant's override
        (``overrides[(courier, code)]``, the courier defaulting to the vocabulary) where it has one, else the
        shipped file's entry (``primary/detail`` falls back to ``primary``); UNMAPPED when neither says."""
        if overrides:
            found = overrides.get((courier or vocabulary, code))
            if found is not None:
                return found
        codes = self.codes.get(vocabulary, {})
        found = codes.get(code)
        if found is None and "/" in code:
            found = codes.get(code.split("/", 1)[0])
        return UNMAPPED if found is None else found

    def courier_of(self, aggregator: str, name: str) -> str | None:
        """ordertrail's courier code for an aggregator's name of a courier: its table, else the name lower-cased."""
        known = self.carriers.get(aggregator, {}).get(name)
        if known is not None:
            return known
        code = name.strip().lower()
        return code if COURIER_CODE.match(code) else None


def load_registry() -> MappingRegistry:
    """The mappings shipped with the package; raises MappingError for a file that breaks the rules."""
    codes: dict[str, dict[str, StatusMapping]] = {}
    carriers: dict[str, dict[str, str]] = {}
    for path in sorted(files(__package__).joinpath("mappings").iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".json"):
            continue
        document = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(document, dict) and "aggregator" in document:
            name, entries, table = parse_aggregator_mapping(document, source=path.name)
            carriers[name] = table
        else:
            name, entries = parse_mapping(document, source=path.name)
        if path.name != f"{name}.json" or name in codes:
            raise MappingError(f"{path.name}: must be named after its courier or aggregator ({name}.json)")
        codes[name] = entries
    return MappingRegistry(codes, carriers)
