"""Who may get an acknowledgement, and how addresses are counted (the loop and spam guards)."""

from __future__ import annotations

from intake.mail.ack import in_domains, normalise_address
from intake.settings import MailboxSettings


def test_only_configured_domains_and_their_subdomains() -> None:
    domains = ["kommunen.se"]
    assert in_domains("anna@kommunen.se", domains) and in_domains("anna@it.kommunen.se", domains)
    assert not in_domains("anna@kommunen.se.evil.example", domains)
    assert not in_domains("anna@evilkommunen.se", domains)
    assert not in_domains("no-at-sign", domains)


def test_the_shared_address_s_domain_is_the_default() -> None:
    assert MailboxSettings(address="ideer@Kommunen.se").ack_domains_or_own() == ["kommunen.se"]
    assert MailboxSettings().ack_domains_or_own() == []
    assert MailboxSettings(ack_domains="@bolaget.se, kommunen.se").ack_domains_or_own() == [
        "bolaget.se",
        "kommunen.se",
    ]


def test_tags_case_and_ignored_dots_count_as_one_address() -> None:
    dotless = ["gmail.com"]
    assert normalise_address("Anna.Berg+ide@Gmail.com", dotless) == "annaberg@gmail.com"
    assert normalise_address("anna.berg+x@kommunen.se", dotless) == "anna.berg@kommunen.se"
