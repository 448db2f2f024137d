"""The HTTP API (FastAPI): thin routes over the library, with authentication, client scope, masking and audit."""
