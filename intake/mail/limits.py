"""The caps that keep one hostile mail from costing more than a bounded amount of time and memory."""

from __future__ import annotations

from dataclasses import dataclass

from intake.settings import MailboxSettings


@dataclass(frozen=True)
class MailLimits:
    """Sizes past which a mail is cut (and flagged) or quarantined; see `MailboxSettings`."""

    max_mail_bytes: int = 25 * 1024 * 1024
    max_header_bytes: int = 1024 * 1024
    max_header_chars: int = 8192
    max_text_bytes: int = 1024 * 1024
    max_text_chars: int = 100_000
    max_parts: int = 200
    max_depth: int = 20
    max_attachments: int = 50

    @classmethod
    def from_settings(cls, settings: MailboxSettings) -> MailLimits:
        """Return the limits configured for the mailbox."""
        return cls(
            max_mail_bytes=settings.max_mail_bytes,
            max_header_bytes=settings.max_header_bytes,
            max_header_chars=settings.max_header_chars,
            max_text_bytes=settings.max_text_bytes,
            max_parts=settings.max_parts,
            max_attachments=settings.max_attachments,
        )
