"""Personal data masking: every written form, the look-alikes that stay, stable placeholders, round trips."""

from __future__ import annotations

import copy
import pickle
import re
from datetime import date

import pytest
from pydantic import ValidationError

from beredning_bench.privacy.evaluation import evaluate
from beredning_bench.privacy.synthetic import generate
from intake.privacy import Kind, MaskedText, Redaction, RedactionNotSealed, Span, mask
from intake.privacy._idnumbers import luhn_check_digit, luhn_ok

TODAY = date(2026, 6, 1)


def _kinds(redaction: Redaction) -> list[Kind]:
    return [span.kind for span in redaction.spans]


def _with_check_digit(nine: str) -> str:
    return nine + luhn_check_digit(nine)


def test_luhn_on_known_numbers() -> None:
    # Skatteverket's published test numbers, a samordningsnummer and Sundsvall's organisation number
    for valid in ("8112189876", "1212121212", "7010632391", "2120002411"):
        assert luhn_ok(valid)
    assert not luhn_ok("8112189875")
    assert luhn_ok(_with_check_digit("850709123"))


@pytest.mark.parametrize(
    "written",
    [
        "811218-9876",
        "8112189876",
        "811218 9876",
        "811218\xa09876",
        "811218–9876",
        "19811218-9876",
        "198112189876",
        "19811218 9876",
        "121212+1212",
    ],
)
def test_personnummer_in_every_form(written: str) -> None:
    text = f"Brukaren har personnummer {written}, och ärendet gäller bostadsanpassning."
    redaction = mask(text, today=TODAY)
    assert redaction.text == "Brukaren har personnummer [PNR_1], och ärendet gäller bostadsanpassning."
    assert _kinds(redaction) == [Kind.PERSONNUMMER]
    assert redaction.spans[0].original == written


@pytest.mark.parametrize("written", ["701063-2391", "7010632391", "19701063-2391", "197010632391"])
def test_samordningsnummer_day_plus_sixty(written: str) -> None:
    redaction = mask(f"Samordningsnummer: {written}.", today=TODAY)
    assert redaction.text == "Samordningsnummer: [SAMNR_1]."
    assert _kinds(redaction) == [Kind.SAMORDNINGSNUMMER]


def test_numbers_failing_luhn_or_with_impossible_dates_stay() -> None:
    impossible_month = _with_check_digit("811318987")
    impossible_day = _with_check_digit("811240987")
    future = "20" + _with_check_digit("301218987")
    text = (
        f"Ordernummer 811218-9875, 8112189875 och 19811218-9875. Avtal {impossible_month[:6]}-"
        f"{impossible_month[6:]} och {impossible_day[:6]}-{impossible_day[6:]}; löpnummer {future}."
    )
    assert luhn_ok(impossible_month[-10:]) and luhn_ok(future[-10:])
    redaction = mask(text, today=TODAY)
    assert redaction.spans == ()
    assert redaction.text == text


@pytest.mark.parametrize(
    "written",
    [
        "070-123 45 67",
        "070-1234567",
        "070 123 45 67",
        "0701234567",
        "070-12 34 567",
        "0701 23 45 67",
        "070\xa0123\xa045\xa067",
        "+46 70 123 45 67",
        "+46701234567",
        "+46 (0)70-123 45 67",
        "0046 70 123 45 67",
        "0046701234567",
        "08-123 456 78",
        "08-123 45 67",
        "08-12 34 56",
        "060-19 10 00",
        "060-123 45 67",
        "0611-123 45",
        "0611-12 34 56",
        "(060) 19 10 00",
        "+46 60 19 10 00",
        "+46 8 123 456 78",
    ],
)
def test_phone_numbers_in_common_forms(written: str) -> None:
    redaction = mask(f"Ring mig på {written} efter lunch.")
    assert redaction.text == "Ring mig på [TELEFON_1] efter lunch."
    assert _kinds(redaction) == [Kind.TELEFON]


def test_phone_followed_by_another_number_keeps_only_the_phone() -> None:
    redaction = mask("Ring 08-123 45 67 12 gånger.")
    assert redaction.text == "Ring [TELEFON_1] 12 gånger."


def test_a_ten_digit_number_that_is_both_reads_by_its_context() -> None:
    both = _with_check_digit("070123123")  # a valid personnummer (born 2007) and a mobile number
    assert mask(f"Tel: {both}", today=TODAY).spans[0].kind is Kind.TELEFON
    assert mask(f"Personnummer: {both}", today=TODAY).spans[0].kind is Kind.PERSONNUMMER


@pytest.mark.parametrize(
    "written",
    [
        "anna.svensson@sundsvall.se",
        "A.Svensson@Skola.Sundsvall.SE",
        "kontakt+it@foretag.se",
        "anna(at)sundsvall.se",
    ],
)
def test_email_addresses(written: str) -> None:
    redaction = mask(f"Skriv till {written}.")
    assert redaction.text == "Skriv till [EPOST_1]."
    assert _kinds(redaction) == [Kind.EPOST]


@pytest.mark.parametrize(
    "written",
    [
        "Storgatan 12, 852 30 Sundsvall",
        "Norra Järnvägsgatan 5 B, 852 30 Sundsvall",
        "Storgatan 12",
        "Köpmangatan 3, lgh 1102",
        "Gustav Adolfs gata 5",
        "Stora Torget 3",
        "Box 123",
        "Box 123, 851 85 Sundsvall",
        "123 45 Ort",
        "SE-852 30 Sundsvall",
    ],
)
def test_addresses(written: str) -> None:
    redaction = mask(f"Hon bor på {written} sedan i fjol.")
    assert redaction.text == "Hon bor på [ADRESS_1] sedan i fjol."
    assert _kinds(redaction) == [Kind.ADRESS]


def test_address_over_two_lines_in_a_signature() -> None:
    redaction = mask("Mvh\nEva\nStorgatan 12\n85230 Sundsvall\n")
    assert redaction.text == "Mvh\n[PERSON_1]\n[ADRESS_1]\n"


LOOKALIKES = (
    "Projekt 22-04 och P12345 kostar 150 000 kr, 1,5 mnkr respektive 350 tkr; 12 050 000 kr totalt.",
    "Beslut 2026-12-01, start 1 december 2026, klart 15.3.2027, delmål 20261201.",
    "Diarienummer KS-2023-00123, Dnr 2021/1234, SN 2024/0456 och referensen IN-2026-00042.",
    "Organisationsnummer 212000-2411, 556677-8899, 2120002411 och 16556677-8899.",
    "Version 4.2.1, v2.10, Windows 11 23H2, ISO 27001, kl. 08.00-17.00, 1 200 användare, 25 %.",
    "Bankgiro 5050-1055, IBAN SE45 5000 0000 0583 9825 7466, ordernummer 1234567890.",
    "Skolorna i Skönsberg och Granlo använder Microsoft Teams, Visma Proceedo och Tieto Lifecare.",
    "Det kostar 50 kr per år och per elev, enligt Sundsvalls kommun.",
)


@pytest.mark.parametrize("text", LOOKALIKES)
def test_lookalikes_are_not_personal_data(text: str) -> None:
    redaction = mask(text, names=["Per Holm"], today=TODAY)
    assert redaction.spans == (), [s.original for s in redaction.spans]
    assert redaction.text == text


def test_submitter_names_whole_in_parts_and_in_the_genitive() -> None:
    text = "Jag heter Anna Svensson. Annas förslag: ring Svensson. anna svensson igen. Annasten och Holm."
    redaction = mask(text, names=["Anna Svensson"])
    assert redaction.text == (
        "Jag heter [PERSON_1]. [PERSON_1]s förslag: ring [PERSON_1]. [PERSON_1] igen. Annasten och Holm."
    )


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        (
            "Med vänliga hälsningar\nKerstin Lindqvist\nHandläggare",
            "Med vänliga hälsningar\n[PERSON_1]\nHandläggare",
        ),
        ("Mvh\n\nTorsten\n", "Mvh\n\n[PERSON_1]\n"),
        ("Mvh Torsten", "Mvh [PERSON_1]"),
        ("Hälsningar,\nTorsten Öhrn, IT-samordnare", "Hälsningar,\n[PERSON_1], IT-samordnare"),
        ("Best regards,\nTorsten Öhrn", "Best regards,\n[PERSON_1]"),
        ("Tack på förhand!\nTorsten", "Tack på förhand!\n[PERSON_1]"),
        ("/Torsten", "/[PERSON_1]"),
        ("Vänliga hälsningar\nSocialtjänsten", "Vänliga hälsningar\nSocialtjänsten"),
        ("Tack!\nVi hörs", "Tack!\nVi hörs"),
    ],
)
def test_signature_names(signature: str, expected: str) -> None:
    body = "Vi behöver en ny e-tjänst för bygglov.\n\n"
    assert mask(body + signature).text == body + expected


def test_signature_name_is_masked_everywhere_else_too() -> None:
    text = "Torsten här! Ring Torsten på 060-19 10 00.\n\nMvh\nTorsten Öhrn\n"
    assert mask(text).text == "[PERSON_1] här! Ring [PERSON_1] på [TELEFON_1].\n\nMvh\n[PERSON_1]\n"


def test_greeting_and_directory_names() -> None:
    text = "Hej Gunvor,\n\nJag har pratat med gunvor öhrn och Majken Zetterqvist om saken. Öhrn håller med."
    redaction = mask(text, directory=["Gunvor Öhrn", "Majken Zetterqvist", "Nils Persson"])
    assert (
        redaction.text
        == "Hej [PERSON_1],\n\nJag har pratat med [PERSON_2] och [PERSON_3] om saken. Öhrn håller med."
    )


def test_common_name_patterns_without_any_list() -> None:
    text = "Karin Lundqvist och Lisbeth Westerlund på ekonomi; min kollega Birger Kowalski; enligt Svensson."
    redaction = mask(text)
    assert (
        redaction.text == "[PERSON_1] och [PERSON_2] på ekonomi; min kollega [PERSON_3]; enligt [PERSON_4]."
    )


def test_a_one_word_name_is_masked_only_as_written() -> None:
    redaction = mask("Mvh Per\n\nDet kostar 10 kr per år. Per sa det.")
    assert redaction.text == "Mvh [PERSON_1]\n\nDet kostar 10 kr per år. [PERSON_1] sa det."


def test_same_value_same_placeholder_however_written() -> None:
    text = (
        "Pnr 811218-9876 (19811218-9876), samnr 701063-2391. Ring 070-123 45 67 eller +46 70 123 45 67, "
        "inte 060-19 10 00. Mejla ANNA@X.SE eller anna@x.se, inte bo@x.se. Pnr 121212-1212."
    )
    redaction = mask(text, today=TODAY)
    assert mask("anna(at)x.se och ANNA@x.se").text == "[EPOST_1] och [EPOST_1]"
    assert redaction.text == (
        "Pnr [PNR_1] ([PNR_1]), samnr [SAMNR_1]. Ring [TELEFON_1] eller [TELEFON_1], "
        "inte [TELEFON_2]. Mejla [EPOST_1] eller [EPOST_1], inte [EPOST_2]. Pnr [PNR_2]."
    )


EMAIL = """Hej DigIT,

Jag heter Karin Lundqvist och jobbar på Individ- och familjeomsorgen. En invånare med
personnummer 19811218-9876 ringde (tel 070-123 45 67) om ärende KS-2023-00123; kostnad 150 000 kr.

Med vänliga hälsningar
Karin Lundqvist
Storgatan 12, 852 30 Sundsvall
karin.lundqvist@sundsvall.se
"""


def test_spans_index_the_original_and_restore_round_trips() -> None:
    redaction = mask(EMAIL, names=["Karin Lundqvist"], today=TODAY)
    assert {s.kind for s in redaction.spans} == set(Kind) - {Kind.SAMORDNINGSNUMMER}
    for span in redaction.spans:
        assert EMAIL[span.start : span.end] == span.original
        assert span.placeholder.startswith(f"[{span.kind.prefix}_")
    assert [s.start for s in redaction.spans] == sorted(s.start for s in redaction.spans)
    assert redaction.restore() == EMAIL
    assert "19811218-9876" not in redaction.text and "KS-2023-00123" in redaction.text


def test_redaction_survives_json_but_only_the_fresh_one_feeds_a_model() -> None:
    redaction = mask(EMAIL, names=["Karin Lundqvist"], today=TODAY)
    loaded = Redaction.model_validate_json(redaction.model_dump_json())
    assert loaded == redaction and loaded.spans == redaction.spans
    assert loaded.restore() == EMAIL
    assert redaction.masked.text == redaction.text
    with pytest.raises(RedactionNotSealed):
        _ = loaded.masked


def test_reveal_puts_originals_into_a_models_answer() -> None:
    redaction = mask("Ring Karin Lundqvist på 070-123 45 67.")
    answer = "Kontaktperson: [PERSON_1] ([TELEFON_1]); okänd [PERSON_9]."
    assert redaction.reveal(answer) == "Kontaktperson: Karin Lundqvist (070-123 45 67); okänd [PERSON_9]."


def test_masked_text_cannot_be_made_from_a_string() -> None:
    with pytest.raises(TypeError):
        MaskedText("Anna Svensson, 811218-9876")
    with pytest.raises(TypeError):
        MaskedText("Anna Svensson", _seal=object())
    masked = mask("Anna Svensson", names=["Anna Svensson"]).masked
    assert str(masked) == "[PERSON_1]"
    with pytest.raises(AttributeError):
        masked._text = "Anna Svensson"
    with pytest.raises(TypeError):
        pickle.dumps(masked)
    assert copy.deepcopy(masked) is masked


def test_span_and_redaction_validate_what_is_stored() -> None:
    with pytest.raises(ValidationError):
        Span(kind=Kind.PERSON, start=0, end=3, original="Anna", placeholder="[PERSON_1]")
    with pytest.raises(ValidationError):
        Span(kind=Kind.PERSON, start=0, end=4, original="Anna", placeholder="PERSON_1")
    span = Span(kind=Kind.PERSON, start=0, end=4, original="Anna", placeholder="[PERSON_1]")
    with pytest.raises(ValidationError):
        Redaction(text="[PERSON_1] [PERSON_1]", spans=(span, span))
    with pytest.raises(ValueError, match="does not hold"):
        Redaction(text="[EPOST_1]", spans=(span,)).restore()


def test_generator_plants_valid_numbers_where_it_says() -> None:
    samples = generate(200, seed=7)
    assert [s.text for s in samples] == [s.text for s in generate(200, seed=7)]
    forms: set[str] = set()
    for sample in samples:
        for item in (*sample.personal, *sample.lookalikes):
            assert sample.text[item.start : item.end] == item.value
        for item in sample.personal:
            if item.kind in (Kind.PERSONNUMMER, Kind.SAMORDNINGSNUMMER):
                digits = re.sub(r"\D", "", item.value)
                assert luhn_ok(digits[-10:]), item.value
                forms.add(re.sub(r"\d", "N", item.value))
        for item in sample.lookalikes:
            if item.kind == "luhnfail":
                assert not luhn_ok(re.sub(r"\D", "", item.value)[-10:])
    assert forms >= {
        "NNNNNN-NNNN",
        "NNNNNNNNNN",
        "NNNNNN NNNN",
        "NNNNNNNN-NNNN",
        "NNNNNNNNNNNN",
        "NNNNNN+NNNN",
    }


def test_recall_and_false_positives_on_generated_texts() -> None:
    result = evaluate(400, seed=11)
    assert all(score.planted > 0 for score in result.by_kind.values())
    assert result.overall.recall >= 0.99, result.missed
    assert result.false_positives == 0, result.false_positive_examples
    assert result.stray_masks == 0, result.false_positive_examples
