"""The web layer: JSON API and server-rendered pages."""

from intake.web.app import create_app

__all__ = ["create_app"]
