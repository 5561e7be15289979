"""Admin pages: API keys for other systems."""

from intake.web.admin.apikeys import ApiKeyPages

__all__ = ["ApiKeyPages"]
