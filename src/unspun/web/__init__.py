"""The web UI and REST API (``unspun serve``)."""

from .app import CSP, create_app

__all__ = ["CSP", "create_app"]
