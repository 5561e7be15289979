"""Generate real-looking Swedish submissions with planted personal data and look-alikes.

Each text is an e-mail from an employee proposing an IT improvement (greeting, body, signature),
a web-form text without signature, or an English e-mail. Personal data is planted in every
written form (`_values`), and so are look-alikes that must stay: organisation numbers,
diarienummer, amounts, dates, project numbers, references, versions, numbers failing Luhn,
places and product names. The positions of both are recorded, so that recall and false
positives can be measured exactly (`beredning_bench.privacy.evaluation`).
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from beredning_bench.privacy import _values as v
from intake.privacy import Kind


@dataclass(frozen=True, slots=True)
class Planted:
    """One planted value: `text[start:end] == value`; `kind` is a `Kind` value or a look-alike label."""

    kind: str
    start: int
    end: int
    value: str


@dataclass(frozen=True, slots=True)
class SyntheticText:
    """A generated text, what was planted in it, and the names a caller would pass to `mask()`."""

    text: str
    personal: tuple[Planted, ...]
    lookalikes: tuple[Planted, ...]
    names: tuple[str, ...]
    directory: tuple[str, ...]


@dataclass(slots=True)
class _Context:
    rng: random.Random
    first: str
    last: str
    directory: list[str]
    values: dict[str, str] = field(default_factory=dict)


_Factory = Callable[[_Context], str]

_PERSONAL: Final[dict[str, tuple[Kind, _Factory]]] = {
    "pnr": (Kind.PERSONNUMMER, lambda c: v.id_number(c.rng, c.rng.choice(v.ID_FORMS))),
    "samnr": (
        Kind.SAMORDNINGSNUMMER,
        lambda c: v.id_number(c.rng, c.rng.choice(v.ID_FORMS[:6]), samordning=True),
    ),
    "phone": (Kind.TELEFON, lambda c: v.phone(c.rng)),
    "email": (Kind.EPOST, lambda c: v.email(c.rng, *v.person(c.rng))),
    "myemail": (Kind.EPOST, lambda c: v.email(c.rng, c.first, c.last)),
    "address": (Kind.ADRESS, lambda c: v.address(c.rng)),
    "postal": (Kind.ADRESS, lambda c: v.address(c.rng, multiline=True)),
    "self": (Kind.PERSON, lambda c: f"{c.first} {c.last}"),
    "first": (Kind.PERSON, lambda c: c.first),
    "staff": (Kind.PERSON, lambda c: c.rng.choice(c.directory)),
    "greet": (Kind.PERSON, lambda c: c.rng.choice(c.directory).split()[0]),
    "third": (Kind.PERSON, lambda c: " ".join(v.person(c.rng, rare=c.rng.random() < 0.2))),
}
_LOOKALIKES: Final[dict[str, _Factory]] = {
    "org": lambda c: v.organisation_number(c.rng),
    "dnr": lambda c: v.diarienummer(c.rng),
    "amount": lambda c: v.amount(c.rng),
    "date": lambda c: v.calendar_date(c.rng),
    "project": lambda c: v.project_number(c.rng),
    "ref": lambda c: v.reference(c.rng),
    "version": lambda c: v.version(c.rng),
    "luhnfail": lambda c: v.luhn_failing(c.rng),
    "baddate": lambda c: v.impossible_date(c.rng),
    "place": lambda c: c.rng.choice(v.PLACES),
    "product": lambda c: c.rng.choice(v.PRODUCTS),
}

_PERSONAL_SV: Final = (
    "Vi har en brukare med personnummer {pnr} vars ansökan fastnade i systemet i tre veckor.",
    "En invånare (pnr {pnr}) ringde och kunde inte logga in med BankID i e-tjänsten.",
    "Ett exempel är ärendet för en person med samordningsnummer {samnr}, som inte gick att registrera.",
    "Hennes personnummer {pnr} saknades i registret trots att hon är folkbokförd här.",
    "Jag har pratat med {staff} på IT-avdelningen som tycker att idén är bra.",
    "Kontakta gärna {staff2} om ni vill veta mer om hur vi arbetar i dag.",
    "{third} på ekonomi har tagit fram en första kalkyl.",
    "Min kollega {third2} har samma problem i sin verksamhet.",
    "Ring mig gärna på {phone} om något är oklart.",
    "Jag nås på {phone} eller via {myemail}.",
    "Mejla {email} om ni har frågor om det nuvarande avtalet.",
    "Brukaren bor på {address} och har fått fel faktura två gånger.",
    "Vårdnadshavaren, som bor på {address2}, har klagat på att e-tjänsten krånglar.",
    "Pnr: {pnr2}, tel: {phone2}, e-post: {email2} - så ser ett typiskt ärende ut i dag.",
    "Personen med personnummer {pnr} har även samordningsnummer {samnr2} i ett äldre system.",
    "{first} heter jag förresten, och jag har jobbat med det här i flera år.",
)
_LOOKALIKE_SV: Final = (
    "Kommunens organisationsnummer är {org}.",
    "Leverantören (org.nr {org2}) har lämnat en offert på {amount}.",
    "Ärendet har diarienummer {dnr}.",
    "Det hänger ihop med projekt {project} i portföljen.",
    "Beslut fattades {date} och införandet kan börja {date2}.",
    "Min tidigare inlämning har referensen {ref}.",
    "Vi kör i dag version {version} av systemet.",
    "Ordernumret {luhnfail} hittades inte i {product}.",
    "Avtalsnumret {baddate} stämmer inte med leverantörens uppgifter.",
    "Kostnaden uppskattas till {amount2} per år och ungefär 1 200 användare berörs.",
    "Det gäller förskolorna i {place} och {place2}.",
    "I dag använder vi {product2} för detta, med drift kl. 07.00-18.00.",
    "Se även {dnr2} och projekt {project2}; fakturan {luhnfail2} avser {amount3}.",
)
_INTROS_SV: Final = (
    "Jag heter {self} och arbetar som {title} inom {unit}.",
    "Jag vill föreslå en förbättring av hur vi hanterar ansökningar digitalt.",
    "Vi på {unit} har ett behov som jag tror att fler förvaltningar delar.",
)
_ENGLISH: Final = (
    "Hi {greet},\n\nMy name is {self} and I work with {unit}. A resident with personal identity number {pnr} "
    "could not log in to the e-service. The supplier (org no {org}) quoted {amount}; see {dnr}.\n"
    "Call me at {phone} or write to {myemail}.\n\nBest regards,\n{self}\n{title}\n",
)
_GREETINGS: Final = ("Hej {greet},", "Hej!", "Hej DigIT,", "Hej alla,", "Hejsan {greet}!", "Hej {greet}!")
_SIGNOFFS: Final = (
    "Med vänliga hälsningar",
    "Vänliga hälsningar",
    "Mvh",
    "MVH",
    "Hälsningar",
    "Med vänlig hälsning",
    "Bästa hälsningar",
    "Best regards",
)
_TITLES: Final = ("IT-samordnare", "enhetschef", "handläggare", "systemförvaltare", "administratör", "lärare")
_UNITS: Final = (
    "Socialtjänsten",
    "Barn- och utbildningsförvaltningen",
    "Stadsbyggnadskontoret",
    "Kultur- och fritidsförvaltningen",
    "Individ- och familjeomsorgen",
    "Lantmäteriavdelningen",
)


def _signature(rng: random.Random) -> str:
    name_line = rng.choice(("{self}", "{self}", "{self}", "{first}"))
    lines = [rng.choice(_SIGNOFFS), name_line, "{title}", "{unit}, Sundsvalls kommun"]
    roll = rng.random()
    if roll < 0.15:  # sign-off and name on one line
        lines[:2] = [rng.choice(("Mvh {first}", "Hälsningar {self}", "/{first}", "Mvh, {self}"))]
    elif roll < 0.3:  # name and title on one line, after a blank line
        lines[1:3] = ["", "{self}, {title}"]
    if rng.random() < 0.5:
        lines.append("{postal}")
    lines.append(rng.choice(("Tel: {phone3}", "Mobil: {phone3}", "{phone3}", "Telefon {phone3}")))
    if rng.random() < 0.6:
        lines.append("{myemail}")
    return "\n".join(lines)


def _email_text(rng: random.Random) -> str:
    body = [rng.choice(_INTROS_SV)]
    body += rng.sample(_PERSONAL_SV, rng.randrange(2, 5)) + rng.sample(_LOOKALIKE_SV, rng.randrange(2, 5))
    rng.shuffle(body[1:])
    paragraphs = [" ".join(body[i : i + 3]) for i in range(0, len(body), 3)]
    return "\n\n".join([rng.choice(_GREETINGS), *paragraphs, _signature(rng)]) + "\n"


def _form_text(rng: random.Random) -> str:
    body = rng.sample(_PERSONAL_SV[:-1], rng.randrange(2, 5)) + rng.sample(_LOOKALIKE_SV, rng.randrange(2, 5))
    rng.shuffle(body)
    return " ".join(body)


def generate_one(rng: random.Random) -> SyntheticText:
    """Generate one text with its planted personal data and look-alikes."""
    first, last = v.person(rng)
    directory = sorted({" ".join(v.person(rng)) for _ in range(12)} - {f"{first} {last}"})
    context = _Context(rng, first, last, directory)
    roll = rng.random()
    if roll < 0.65:
        template, names = _email_text(rng), (f"{first} {last}",) if rng.random() < 0.5 else ()
    elif roll < 0.9:
        template, names = _form_text(rng), (f"{first} {last}",)
    else:
        template, names = rng.choice(_ENGLISH), ()
    return _fill(template, context, names)


def generate(count: int, seed: int = 0) -> list[SyntheticText]:
    """Generate `count` texts; the same seed gives the same texts."""
    rng = random.Random(seed)
    return [generate_one(rng) for _ in range(count)]


def _fill(template: str, context: _Context, names: tuple[str, ...]) -> SyntheticText:
    parts: list[str] = []
    length = 0
    personal: list[Planted] = []
    lookalikes: list[Planted] = []
    for literal, slot, _, _ in string.Formatter().parse(template):
        parts.append(literal)
        length += len(literal)
        if slot is None:
            continue
        base = slot.rstrip("0123456789")
        value = context.values.get(slot)
        if value is None:
            value = context.values[slot] = _value(base, context)
        if base in _PERSONAL:
            personal.append(Planted(_PERSONAL[base][0].value, length, length + len(value), value))
        elif base in _LOOKALIKES:
            lookalikes.append(Planted(base, length, length + len(value), value))
        parts.append(value)
        length += len(value)
    return SyntheticText("".join(parts), tuple(personal), tuple(lookalikes), names, tuple(context.directory))


def _value(base: str, context: _Context) -> str:
    if base in _PERSONAL:
        return _PERSONAL[base][1](context)
    if base in _LOOKALIKES:
        return _LOOKALIKES[base](context)
    if base == "title":
        return context.rng.choice(_TITLES)
    if base == "unit":
        return context.rng.choice(_UNITS)
    raise KeyError(f"unknown slot {{{base}}}")
