"""The shapes of the JSON documents the API answers with, for the OpenAPI document and the tests that hold the
server to it.

Routes build their bodies as plain dicts (``api/views.py`` and the routes' own ``*_view`` functions) and send
them as ready-made bytes; FastAPI skips its response model for a returned ``Response``, so these models are
never used to serialise anything and cost the hot paths nothing. ``extra="forbid"``: a field a view sends but a
model does not name fails the schema checks (``tests/integration/test_openapi_document.py`` and the fuzz test).
"""
