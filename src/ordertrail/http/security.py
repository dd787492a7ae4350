"""Security headers on every response (pages, API, static files), as one pure ASGI middleware."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline script or style anywhere: every script and stylesheet is a file served by the app.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# The API docs pages (/docs, /redoc) run vendored viewers from this server, still with no inline script. Their
# React and styled-components renderers write <style> elements at run time, and ReDoc runs its search in a worker
# made from a blob: so those two allowances, and only on those pages (they show no customer data).
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Frame-Options": "DENY",
}


def _raw(policy: str, private: bool) -> list[tuple[bytes, bytes]]:
    headers = {"Content-Security-Policy": policy, **BASE_HEADERS}
    if private:
        headers["Cache-Control"] = "no-store"
    return [(name.lower().encode(), value.encode()) for name, value in headers.items()]


class SecurityHeaders:
    """Adds the headers to each response; paths under ``private_prefixes`` are also never cached."""

    def __init__(
        self, app: ASGIApp, *, private_prefixes: Sequence[str] = (), docs_paths: Sequence[str] = ("/docs",)
    ) -> None:
        self.app = app
        self.private_prefixes = tuple(private_prefixes)
        self.docs_paths = tuple(docs_paths)
        # Encoded once: this runs on every response, the hot paths' included.
        self._raw = {
            (docs, private): _raw(DOCS_POLICY if docs else CONTENT_SECURITY_POLICY, private)
            for docs in (False, True)
            for private in (False, True)
        }
        # Only the headers a response is given are replaced: a public response keeps its own Cache-Control
        # (static files' year-long caching), a private one always gets no-store.
        self._names = {key: frozenset(name for name, _ in raw) for key, raw in self._raw.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        key = (path.startswith(self.docs_paths), path.startswith(self.private_prefixes))
        extra = self._raw[key]
        names = self._names[key]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = [header for header in message.get("headers", ()) if header[0].lower() not in names]
                message["headers"] = own + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
