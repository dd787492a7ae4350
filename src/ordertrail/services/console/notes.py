"""Adding an internal note to a parcel: the note and its audit entry in one transaction, retried safely.

Who may: staff whose role has the NOTE permission (not viewers), and keys that read the parcel (admin keys, the
merchant's own keys). The parcel must be one the reader sees; another merchant's is answered as unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from ordertrail.domain.console.notes import Note, body_hash, note_message
from ordertrail.domain.errors import Forbidden, IdempotencyKeyConflict
from ordertrail.domain.staff.audit import Action
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.console.detail import canonical_number, visible_parcel
from ordertrail.services.console.readers import Reader
from ordertrail.services.ports import Ports
from ordertrail.storage.console import notes as note_store
from ordertrail.storage.staff import audit as audit_store


@dataclass(frozen=True, slots=True)
class AddedNote:
    note: Note
    replayed: bool  # a retry under the same Idempotency-Key: the note written the first time


async def add_note(
    services: Ports, reader: Reader, *, tracking_number: str, message: str, idempotency_key: str | None
) -> AddedNote:
    """Raises Forbidden, ParcelNotFound, InvalidInput (``message``) and IdempotencyKeyConflict."""
    if not reader.may(Permission.NOTE):
        raise Forbidden("Your role may read parcels but not add notes.")
    number = canonical_number(tracking_number)
    text = note_message(message)
    digest = body_hash(number, text)
    now = services.clock()

    def write(connection: Connection) -> AddedNote:
        parcel = visible_parcel(connection, reader, number)
        if idempotency_key is not None:
            earlier = note_store.note_by_key(connection, author=reader.actor, idempotency_key=idempotency_key)
            if earlier is not None:
                return _replay(earlier, digest)
        note = note_store.add_note(
            connection,
            parcel_id=parcel.id,
            author=reader.actor,
            message=text,
            at=now,
            idempotency_key=idempotency_key,
            body_hash=digest,
        )
        if note is None:  # a concurrent retry wrote it first (PostgreSQL): answer with what it wrote
            assert idempotency_key is not None
            found = note_store.note_by_key(connection, author=reader.actor, idempotency_key=idempotency_key)
            assert found is not None
            return _replay(found, digest)
        audit_store.append(
            connection,
            actor=reader.actor,
            action=Action.NOTE_ADDED,
            at=now,
            merchant_id=parcel.merchant_id,
            order_number=parcel.order_number,
            tracking_number=number,
            detail={"note_id": note.id, "message": text},
        )
        return AddedNote(note, replayed=False)

    return await services.db.write(write)


def _replay(earlier: tuple[Note, str], digest: str) -> AddedNote:
    note, earlier_digest = earlier
    if earlier_digest != digest:
        raise IdempotencyKeyConflict(field="Idempotency-Key")
    return AddedNote(note, replayed=True)
