"""The mailbox is off until a host is configured, and its flow is registered with the periodic ones."""

from __future__ import annotations

import pytest

from flows.periodic import MODULES, registered
from intake.mail.imap import encode_folder, quote
from intake.settings import Settings


def test_the_mailbox_flow_is_periodic_and_off_without_a_host(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "flows.mailbox" in MODULES
    (entry,) = [e for e in registered() if e.name == "mailbox"]
    assert entry.interval(Settings()) == 0, "no host: off"
    monkeypatch.setenv("BEREDNING_MAILBOX__HOST", "imap.kommunen.se")
    assert entry.interval(Settings()) == 60
    monkeypatch.setenv("BEREDNING_MAILBOX__POLL_SECONDS", "0")
    assert entry.interval(Settings()) == 0, "0 turns it off"
    monkeypatch.setenv("BEREDNING_MAILBOX__POLL_SECONDS", "5")
    monkeypatch.setenv("BEREDNING_MAILBOX__PASSWORD", "hemligt")
    settings = Settings()
    assert entry.interval(settings) == 5
    assert settings.mailbox.effective_port == 993
    assert "hemligt" not in repr(settings.mailbox), "the password is a secret"


def test_folder_names_in_modified_utf7() -> None:
    assert encode_folder("Karantän") == "Karant&AOQ-n"
    assert encode_folder("Behandlade & klara") == "Behandlade &- klara"
    assert quote('Mapp "x"') == '"Mapp \\"x\\""'
