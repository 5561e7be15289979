"""Personal data masking: what a language model may see of a submission.

`mask(text, names=..., directory=...)` finds personal data and replaces each value with a stable
placeholder, numbered per kind in order of first appearance; the same value (however written)
gets the same placeholder within one text:

| kind (`Kind`) | placeholder | what |
|---|---|---|
| `personnummer` | `[PNR_1]` | YYMMDD-NNNN, YYMMDD+NNNN (over 100), YYYYMMDDNNNN, `-`/`+`/space/none |
| `samordningsnummer` | `[SAMNR_1]` | the same with day + 60 |
| `telefon` | `[TELEFON_1]` | 070-123 45 67, 0701234567, +46 70 123 45 67, 0046..., 08-123 456 78 |
| `epost` | `[EPOST_1]` | e-mail addresses, also written with (at) |
| `person` | `[PERSON_1]` | names: submitter, signature, greeting, directory, common patterns |
| `adress` | `[ADRESS_1]` | Storgatan 12, 852 30 Sundsvall; Box 123; 852 30 Sundsvall |

Both number kinds need a real date and a valid Luhn check digit.
Organisation numbers (212000-2411: month 20 or more), diarienummer, project numbers, amounts,
dates, references and numbers failing Luhn stay as written.

The result is a `Redaction` (pydantic, JSON) that keeps the spans over the original so that the
mapping can be stored and reviewers see the original, and `Redaction.masked`, a `MaskedText`:
the only type a model client accepts, and one that nothing but `mask()` can build.
"""

from intake.privacy._mask import mask
from intake.privacy._model import PLACEHOLDER, Kind, MaskedText, Redaction, RedactionNotSealed, Span

__all__ = ["PLACEHOLDER", "Kind", "MaskedText", "Redaction", "RedactionNotSealed", "Span", "mask"]
