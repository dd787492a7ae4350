"""The HTTP API: the FastAPI app factory, routes, request schemas, JSON views and the error table."""
