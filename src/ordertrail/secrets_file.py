"""A secret kept in a file: made once (atomically, mode 0600) and read by every later process.

The embedded default needs no configuration: the first start writes a random signing key to
``data_dir/secret_key`` and every later start, and every worker process, reads the same one
(``runtime.read_secret_key``). Production sets ``ORDERTRAIL_SECRET_KEY`` so all machines share it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create(path: Path) -> bytes:
    """The key kept at ``path``, created atomically (first writer wins) if missing."""
    try:
        text = path.read_text().strip()
        if text:
            return text.encode()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = secrets.token_urlsafe(48)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(candidate)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(temporary, path)  # fails if another process got there first: then theirs is the key
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_text().strip().encode()
