"""The forum pages: each forum's next agenda to read, print and download, and its decisions."""

from intake.web.forums.pages import ForumPages

__all__ = ["ForumPages"]
