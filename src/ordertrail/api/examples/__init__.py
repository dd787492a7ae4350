"""Examples in the OpenAPI document: request bodies, the main answers and webhook bodies, each a value its schema
accepts (``tests/integration/test_openapi_examples.py`` validates every one against its schema)."""
