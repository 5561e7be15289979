"""Synthetic values for the redaction tests: personal data in every written form, and look-alikes.

Every personnummer is Luhn-valid with a real date; every look-alike is something `mask()` must
leave alone (an organisation number, a diarienummer, a number that fails Luhn, ...).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Final


def luhn_check_digit(digits: str) -> str:
    """Return the digit that completes the Luhn (mod 10) sum of `digits`.

    Written here rather than imported from the masking: numbers made to test a check must not be
    made by that same check.
    """
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str(-total % 10)


ID_FORMS: Final = (
    "YYMMDD-NNNN",
    "YYMMDDNNNN",
    "YYMMDD NNNN",
    "YYYYMMDD-NNNN",
    "YYYYMMDDNNNN",
    "YYYYMMDD NNNN",
    "YYMMDD+NNNN",
)
FIRST_NAMES: Final = (
    "Anna", "Eva", "Maria", "Karin", "Sara", "Kerstin", "Lena", "Emma", "Ingrid", "Malin", "Jenny",
    "Linda", "Hanna", "Elin", "Johanna", "Camilla", "Ulrika", "Therese", "Frida", "Lisa", "Katarina",
    "Anna-Karin", "Åsa", "Ebba", "Erik", "Lars", "Karl", "Anders", "Johan", "Per", "Nils", "Mikael",
    "Fredrik", "Daniel", "Magnus", "Åke", "Göran", "Stefan", "Mats", "Jonas", "Henrik", "Björn",
    "Oskar", "Martin", "Emil", "Tobias", "Mohammed", "Fatima", "Ali", "Yasmin", "Jan-Erik", "Ida",
)  # fmt: skip
# rarer names that no built-in list of `mask()` knows: only the surname ending or a directory finds them
RARE_FIRST_NAMES: Final = (
    "Gunvor",
    "Majken",
    "Ronny",
    "Sune",
    "Tage",
    "Birger",
    "Dagny",
    "Solveig",
    "Torsten",
    "Vivianne",
)
SURNAMES: Final = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
    "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Lindberg", "Lindström", "Lindqvist", "Lindgren",
    "Berg", "Bergström", "Lundberg", "Lundqvist", "Sandberg", "Forsberg", "Sjöberg", "Wallin",
    "Engström", "Eklund", "Lundin", "Björk", "Bergman", "Holm", "Nyström", "Holmberg", "Söderberg",
    "Blomqvist", "Nordström", "Viklund", "Sundberg", "Hedlund", "Öberg", "Åberg", "Ek", "Dahl",
    "Hosseini", "Yilmaz", "Nguyen", "Kowalski", "Westerlund", "Sjödin", "Norberg", "Hägglund",
)  # fmt: skip
STREETS: Final = (
    "Storgatan", "Köpmangatan", "Bankgatan", "Trädgårdsgatan", "Nybrogatan", "Skolhusallén",
    "Norra Järnvägsgatan", "Bergsgatan", "Rådhusgatan", "Thulegatan", "Sjögatan", "Kyrkogatan",
    "Nackstavägen", "Ringvägen", "Lasarettsvägen", "Björkstigen", "Tallbacken", "Hamngatan",
    "Sallyhillsvägen", "Gustav Adolfs gata", "Skönsbergsvägen", "Södra Stadsgatan", "Åkervägen",
)  # fmt: skip
TOWNS: Final = (
    "Sundsvall", "Matfors", "Kvissleby", "Njurunda", "Stöde", "Liden", "Indal", "Sundsbruk", "Alnö",
    "Timrå", "Härnösand", "Stockholm", "Östersund", "Upplands Väsby", "SUNDSVALL",
)  # fmt: skip
PLACES: Final = ("Skönsberg", "Granlo", "Nacksta", "Bergsåker", "Haga", "Birsta", "Västermalm", "Sidsjö")
PRODUCTS: Final = (
    "Microsoft Teams", "Visma Proceedo", "Tieto Lifecare", "Public 360", "Heroma", "Stratsys",
    "Office 365", "Ciceron Dokument", "Treserva", "Procapita",
)  # fmt: skip
_MONTHS: Final = "januari februari mars april maj juni juli augusti september oktober november december"
_MOBILE_PREFIXES: Final = ("70", "72", "73", "76", "79")
# area code without the 0, and the lengths its subscriber numbers have
_AREAS: Final = (
    ("8", (6, 7, 8)),
    ("60", (6, 7)),
    ("31", (6, 7)),
    ("611", (5, 6)),
    ("90", (6,)),
    ("40", (6, 7)),
)
_EMAIL_DOMAINS: Final = (
    "sundsvall.se",
    "skola.sundsvall.se",
    "gmail.com",
    "hotmail.com",
    "telia.com",
    "foretag.se",
)


def _birth(rng: random.Random, first_year: int, last_year: int) -> date:
    start = date(first_year, 1, 1)
    return start + timedelta(days=rng.randrange((date(last_year, 12, 31) - start).days + 1))


def id_number(rng: random.Random, form: str, *, samordning: bool = False) -> str:
    """Return a Luhn-valid personnummer (or samordningsnummer: day + 60) written in `form`."""
    born = _birth(rng, 1905, 1925) if "+" in form else _birth(rng, 1930, 2008)
    day = born.day + (60 if samordning else 0)
    date6 = f"{born.year % 100:02d}{born.month:02d}{day:02d}"
    serial3 = f"{rng.randrange(1000):03d}"
    return _write(form, born.year // 100, date6, serial3 + luhn_check_digit(date6 + serial3))


def _write(form: str, century: int, date6: str, serial: str) -> str:
    sep = {"-": "-", "+": "+", " ": " "}.get(form[-5], "")
    head = f"{century}{date6}" if form.startswith("YYYY") else date6
    return f"{head}{sep}{serial}"


def luhn_failing(rng: random.Random) -> str:
    """Return a number shaped like a personnummer, with a real date, that fails the Luhn check."""
    form = rng.choice(("YYMMDD-NNNN", "YYYYMMDD-NNNN", "YYYYMMDDNNNN", "YYMMDDNNNN"))
    value = id_number(rng, form)
    if form == "YYMMDDNNNN" and value[0] == "0":  # 07... without separators is a phone number too
        value = "1" + value[1:]
    nine = "".join(ch for ch in value if ch.isdigit())[-10:-1]
    right = luhn_check_digit(nine)
    return value[:-1] + rng.choice([d for d in "0123456789" if d != right])


def impossible_date(rng: random.Random) -> str:
    """Return a Luhn-valid YYMMDD-NNNN whose month or day cannot be a birth date."""
    yy = rng.randrange(30, 100)
    month, day = rng.choice(
        ((13, rng.randrange(1, 29)), (0, 12), (rng.randrange(1, 13), rng.randrange(32, 60)))
    )
    date6, serial3 = f"{yy:02d}{month:02d}{day:02d}", f"{rng.randrange(1000):03d}"
    return f"{date6}-{serial3}{luhn_check_digit(date6 + serial3)}"


def organisation_number(rng: random.Random) -> str:
    """Return a Luhn-valid organisation number (digits 3-4 at least 20), sometimes with the 16 prefix."""
    nine = f"{rng.choice('25789')}{rng.randrange(10)}{rng.randrange(20, 100)}{rng.randrange(100000):05d}"
    ten = nine + luhn_check_digit(nine)
    return rng.choice((f"{ten[:6]}-{ten[6:]}", ten, f"16{ten[:6]}-{ten[6:]}", "212000-2411"))


def phone(rng: random.Random) -> str:
    """Return a Swedish mobile or landline number in one of its common written forms."""
    if rng.random() < 0.55:
        p, s = rng.choice(_MOBILE_PREFIXES), f"{rng.randrange(1_000_000, 10_000_000)}"
        return rng.choice(
            (
                f"0{p}-{s[:3]} {s[3:5]} {s[5:]}",
                f"0{p}-{s}",
                f"0{p} {s[:3]} {s[3:5]} {s[5:]}",
                f"0{p}{s}",
                f"0{p}-{s[:2]} {s[2:4]} {s[4:]}",
                f"0{p}{s[0]} {s[1:3]} {s[3:5]} {s[5:]}",
                f"+46 {p} {s[:3]} {s[3:5]} {s[5:]}",
                f"+46{p}{s}",
                f"+46 (0){p}-{s[:3]} {s[3:5]} {s[5:]}",
                f"0046 {p} {s[:3]} {s[3:5]} {s[5:]}",
                f"0046{p}{s}",
            )
        )
    area, lengths = rng.choice(_AREAS)
    length = rng.choice(lengths)
    s = str(rng.randrange(10 ** (length - 1), 10**length))
    grouped = {5: f"{s[:3]} {s[3:]}", 6: f"{s[:2]} {s[2:4]} {s[4:]}", 7: f"{s[:3]} {s[3:5]} {s[5:]}"}.get(
        length, f"{s[:3]} {s[3:6]} {s[6:]}"
    )
    return rng.choice(
        (
            f"0{area}-{grouped}",
            f"0{area}-{s}",
            f"0{area} {grouped}",
            f"(0{area}) {grouped}",
            f"+46 {area} {grouped}",
        )
    )


def email(rng: random.Random, first: str, last: str) -> str:
    """Return an e-mail address built from a name, as people and municipalities write them."""
    plain = str.maketrans("åäöéÅÄÖÉ", "aaoeAAOE")
    f, s = first.translate(plain).lower(), last.translate(plain).lower()
    local = rng.choice((f"{f}.{s}", f"{f[0]}{s}", f"{f}{rng.randrange(50, 99)}", f"{f}-{s}", f"{f}.{s}+it"))
    written = f"{local}@{rng.choice(_EMAIL_DOMAINS)}"
    return written if rng.random() < 0.9 else written.title()


def address(rng: random.Random, *, multiline: bool = False) -> str:
    """Return a street address, a box address or a postal code with town."""
    street = f"{rng.choice(STREETS)} {rng.randrange(1, 150)}{rng.choice(('', '', ' B', 'A'))}"
    code = f"{rng.randrange(100, 990)} {rng.randrange(10, 100)}"
    town = rng.choice(TOWNS)
    postal = f"{code} {town}" if rng.random() < 0.85 else f"{code.replace(' ', '')} {town}"
    if multiline:
        return f"{street}\n{postal}"
    return rng.choice(
        (
            street,
            f"{street}, {postal}",
            f"{street}, lgh {rng.randrange(1001, 1400)}",
            f"Box {rng.randrange(1, 999)}, {postal}",
            f"{code} {town}",
        )
    )


def person(rng: random.Random, *, rare: bool = False) -> tuple[str, str]:
    """Return a first name (`rare`: one outside the common lists) and a surname."""
    return rng.choice(RARE_FIRST_NAMES if rare else FIRST_NAMES), rng.choice(SURNAMES)


def diarienummer(rng: random.Random) -> str:
    """Return a registry number such as KS-2023-00123 or Dnr 2021/1234."""
    year = rng.randrange(2015, 2027)
    return rng.choice(
        (
            f"KS-{year}-{rng.randrange(1, 2000):05d}",
            f"Dnr {year}/{rng.randrange(1, 9999)}",
            f"SN {year}/{rng.randrange(1, 999):04d}",
            f"BoU-{year}-{rng.randrange(1, 999):04d}",
        )
    )


def amount(rng: random.Random) -> str:
    """Return an amount of money as written in Swedish."""
    thousands = rng.randrange(10, 99999)
    spaced = f"{thousands * 1000:,}".replace(",", " ")
    return rng.choice(
        (
            f"{spaced} kr",
            f"{rng.randrange(1, 30)},{rng.randrange(1, 10)} mnkr",
            f"{spaced} kronor",
            f"{rng.randrange(50, 900)} tkr",
            f"{spaced} SEK",
            f"{spaced}:-",
        )
    )


def calendar_date(rng: random.Random) -> str:
    """Return a date as written in Swedish texts."""
    day = date(2024, 1, 1) + timedelta(days=rng.randrange(1200))
    months = _MONTHS.split()
    return rng.choice(
        (
            day.isoformat(),
            f"{day.day} {months[day.month - 1]} {day.year}",
            f"den {day.day}/{day.month}",
            day.strftime("%Y%m%d"),
            f"{day.day}.{day.month}.{day.year}",
        )
    )


def project_number(rng: random.Random) -> str:
    """Return a portfolio or project number such as 22-04 or P12345."""
    return rng.choice(
        (
            f"{rng.randrange(19, 27)}-{rng.randrange(1, 60):02d}",
            f"P{rng.randrange(10000, 99999)}",
            f"PR-{rng.randrange(2019, 2027)}-{rng.randrange(1, 200):03d}",
        )
    )


def reference(rng: random.Random) -> str:
    """Return a submission reference such as IN-2026-00042."""
    return f"IN-{rng.randrange(2024, 2027)}-{rng.randrange(1, 99999):05d}"


def version(rng: random.Random) -> str:
    """Return a software version."""
    return rng.choice(
        (
            f"{rng.randrange(1, 12)}.{rng.randrange(0, 20)}.{rng.randrange(0, 30)}",
            f"v{rng.randrange(1, 5)}.{rng.randrange(10)}",
            f"{rng.randrange(2019, 2026)}.{rng.randrange(1, 13):02d}",
        )
    )
