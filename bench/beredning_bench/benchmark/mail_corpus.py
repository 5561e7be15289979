"""Synthetic mail for the mail benchmark and tests: people writing in Swedish, and machines answering.

Deterministic for a seed. Each mail comes with the kind it must end as, so a run can check
itself: `submission` (a person; some in Latin-1, some HTML-only, some with attachments, some
pairs that reuse one Message-ID), `automatic` (one of every auto-reply and bounce shape) and
`quarantine` (not a mail at all).
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

PEOPLE = ("Göran Åström", "Åsa Öberg", "Lena Nyström", "Per Holm", "Karin Lund", "Anders Ek", "Maja Sjö")
TOPICS = (
    "digital ansökan om färdtjänst",
    "bättre skidbussar till Åre",
    "e-arkiv för fler verksamhetssystem",
    "chatt på webben för kontaktcenter",
    "bokning av idrottshallar och aulor",
    "digitala lönebesked för timanställda",
    "laddstolpar vid kommunhuset",
    "felanmälan av gatubelysning i en app",
    "digital närvaroregistrering i förskolan",
    "parkeringstillstånd som e-tjänst",
)
AUTOMATIC_SHAPES = (
    ("Auto-Submitted", "auto-replied", "Re: {t}"),
    ("Precedence", "bulk", "Nyhetsbrev"),
    ("Precedence", "junk", "Erbjudande"),
    ("Precedence", "list", "Re: {t}"),
    ("Precedence", "auto_reply", "Re: {t}"),
    ("Return-Path", "<>", "Undelivered Mail Returned to Sender"),
    ("X-Auto-Response-Suppress", "All", "Automatiskt svar: {t}"),
    ("X-MS-Exchange-Generated-Message-Source", "Mailbox Rules Agent", "VB: {t}"),
    ("", "", "Automatic reply: {t}"),
    ("List-Id", "<nyheter.kommunen.se>", "Veckobrev"),
)


@dataclass(frozen=True)
class SampleMail:
    """One synthetic mail and the kind it must end as."""

    name: str
    raw: bytes
    kind: str


def _address(name: str) -> str:
    plain = name.lower().translate(str.maketrans("åäöé ", "aaoe."))
    return f"{plain}@kommunen.se"


def _person(rng: random.Random, n: int, when: datetime) -> EmailMessage:
    name = rng.choice(PEOPLE)
    topic = rng.choice(TOPICS)
    message = EmailMessage()
    message["From"] = f"{name} <{_address(name)}>"
    message["To"] = "ideer@kommunen.se"
    message["Subject"] = f"Förslag: {topic} ({n})"
    message["Date"] = format_datetime(when)
    message["Message-ID"] = f"<person-{n}@kommunen.se>"
    text = (
        f"Hej!\n\nJag föreslår {topic}. Det skulle spara tid för både invånare och personal, "
        f"och det är förslag nummer {n} från vår enhet.\n\nMed vänliga hälsningar\n{name}\n"
    )
    shape = n % 5
    if shape == 0:
        message.set_content(text, charset="iso-8859-1", cte="quoted-printable")
    elif shape == 1:
        message.set_content(f"<html><body><p>{text}</p><div style='display:none'>DOLD</div></body></html>",
                            subtype="html")  # fmt: skip
    elif shape == 2:
        message.set_content(text)
        message.add_attachment(bytes(rng.randrange(256) for _ in range(20_000)), maintype="application",
                               subtype="pdf", filename="underlag åäö.pdf")  # fmt: skip
    else:
        message.set_content(text, cte="8bit" if shape == 3 else "base64")
    return message


def _machine(rng: random.Random, n: int, when: datetime) -> bytes:
    header, value, subject = AUTOMATIC_SHAPES[n % len(AUTOMATIC_SHAPES)]
    message = EmailMessage()
    message["From"] = f"{rng.choice(PEOPLE)} <{_address(rng.choice(PEOPLE))}>"
    message["To"] = "ideer@kommunen.se"
    message["Subject"] = subject.format(t=rng.choice(TOPICS))
    message["Date"] = format_datetime(when)
    message["Message-ID"] = f"<machine-{n}@kommunen.se>"
    if header:
        message[header] = value
    message.set_content("Jag är ledig till och med måndag. / I am out of office.")
    return bytes(message)


def synthetic_mails(count: int, seed: int = 6) -> list[SampleMail]:
    """Return `count` mails: about 70 % people, 25 % machines, the rest not mail at all.

    Every tenth person's mail has a twin that reuses its Message-ID with other words (both must
    become submissions).
    """
    rng = random.Random(seed)
    start = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
    out: list[SampleMail] = []
    n = 0
    while len(out) < count:
        n += 1
        when = start + timedelta(minutes=n)
        roll = rng.random()
        if roll < 0.70:
            message = _person(rng, n, when)
            out.append(SampleMail(f"person-{n}", bytes(message), "submission"))
            if n % 10 == 0 and len(out) < count:
                message.replace_header("Subject", f"Ett annat förslag ({n})")
                out.append(SampleMail(f"person-{n}-twin", bytes(message), "submission"))
        elif roll < 0.95:
            out.append(SampleMail(f"machine-{n}", _machine(rng, n, when), "automatic"))
        else:
            junk = base64.b64decode(base64.b64encode(rng.randbytes(rng.randrange(1, 3000))))
            out.append(SampleMail(f"junk-{n}", b"\x00" + junk, "quarantine"))
    return out
