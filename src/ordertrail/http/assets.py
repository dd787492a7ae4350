"""Static files served compressed and cached: each file is read, hashed and gzipped once, at start.

A page links a file by ``url(name)``, which carries the hash of its content (``/static/css/ordertrail.css?v=…``):
a response to that exact URL may be kept for a year (``immutable``), since a changed file gets a new URL. A
request without the current hash (an old page, a hand-typed URL) gets the file with ``no-cache`` and an ETag, so
it is revalidated, never stale. Text types are sent gzipped to clients that accept it (``Vary: Accept-Encoding``).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

IMMUTABLE: Final = "public, max-age=31536000, immutable"
REVALIDATE: Final = "no-cache"
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/manifest+json")
_MIN_COMPRESSED: Final = 256  # smaller files gain nothing from gzip's header


@dataclass(frozen=True, slots=True)
class _File:
    body: bytes
    gzipped: bytes | None
    media_type: str
    digest: str

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'


def _media_type(path: Path) -> str:
    if path.suffix in (".js", ".mjs"):
        return "text/javascript; charset=utf-8"
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def _read(path: Path) -> _File:
    body = path.read_bytes()
    media_type = _media_type(path)
    compressible = media_type.startswith(_COMPRESSIBLE) and len(body) >= _MIN_COMPRESSED
    # mtime=0: the same file gives the same gzip bytes on every start and every worker.
    gzipped = gzip.compress(body, compresslevel=9, mtime=0) if compressible else None
    return _File(body, gzipped, media_type, hashlib.sha256(body).hexdigest()[:16])


class StaticAssets:
    """An ASGI app for the files under ``directory``, mounted at ``mount`` (e.g. "/static")."""

    def __init__(self, directory: Path, mount: str) -> None:
        self.mount = mount.rstrip("/")
        self._files = {
            path.relative_to(directory).as_posix(): _read(path)
            for path in sorted(directory.rglob("*"))
            if path.is_file() and not path.name.startswith(".")
        }

    def url(self, name: str) -> str:
        """The URL of ``name`` with its content hash; raises KeyError for a file that is not there."""
        return f"{self.mount}/{name}?v={self._files[name].digest}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        name = path[len(root) :] if root and path.startswith(root) else path.removeprefix(self.mount)
        found = self._files.get(name.lstrip("/"))
        if scope["method"] not in ("GET", "HEAD"):
            response = Response(status_code=405, headers={"Allow": "GET, HEAD"})
        elif found is None:
            response = Response("Not Found", status_code=404, media_type="text/plain")
        else:
            response = _respond(found, Headers(scope=scope), scope.get("query_string", b"").decode("latin-1"))
        await response(scope, receive, send)


def _respond(found: _File, headers: Headers, query: str) -> Response:
    hashed = parse_qs(query).get("v") == [found.digest]
    common = {
        "Cache-Control": IMMUTABLE if hashed else REVALIDATE,
        "ETag": found.etag,
        "Vary": "Accept-Encoding",
    }
    if found.etag in [tag.strip() for tag in headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=common)
    accepts_gzip = "gzip" in headers.get("accept-encoding", "").lower()
    if found.gzipped is not None and accepts_gzip:
        return Response(found.gzipped, media_type=found.media_type, headers={**common, "Content-Encoding": "gzip"})
    return Response(found.body, media_type=found.media_type, headers=common)


# The customer pages' files: the pages (web/) and the unsubscribe pages (api/) both link them, and neither may
# import the other, so their one instance lives here, found by path rather than by import.
CUSTOMER_STATIC: Final = Path(__file__).resolve().parents[1] / "web" / "static"


@functools.cache
def customer_assets() -> StaticAssets:
    return StaticAssets(CUSTOMER_STATIC, "/static")


def asset_url(name: str) -> str:
    """The content-hashed URL of a customer-page file (``css/ordertrail.css``)."""
    return customer_assets().url(name)
