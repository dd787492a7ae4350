// Starts ReDoc on this server's own OpenAPI document (read-only reference; requests are tried in /docs).
Redoc.init("/openapi.json", { hideDownloadButton: false, expandResponses: "200,201" }, document.getElementById("redoc"));
