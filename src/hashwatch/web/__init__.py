"""The web application: a thin adapter (FastAPI) over :mod:`hashwatch.services`."""
