"""Swedish money as typed in spreadsheets: amounts, zero dashes, units and cut-off columns."""

from __future__ import annotations

from decimal import Decimal

import pytest

from intake.portfolio.money import Money, format_money, parse_money


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("2 114 575 kr", 2_114_575),
        ("2 114 575,50 kr", 2_114_576),  # öre round half up
        ("2 114 575,49 kr", 2_114_575),
        ("2114575", 2_114_575),
        ("2114575 kr", 2_114_575),
        ("2114575kr", 2_114_575),
        ("1.600.000 kr", 1_600_000),
        ("1,600,000", 1_600_000),
        ("1.234,50 kr", 1_235),
        ("12 345.67", 12_346),
        ("2\u00a0114\u00a0575\u00a0kr", 2_114_575),  # no-break spaces from Excel
        ("2\u202f114\u202f575 kr", 2_114_575),  # narrow no-break spaces
        ("  730 000 kr  ", 730_000),
        ("500 SEK", 500),
        ("SEK 500", 500),
        ("500 kronor", 500),
        ("500:-", 500),
        ("1 500 tkr", 1_500_000),
        ("1,5 mnkr", 1_500_000),
        ("2,25 Mkr", 2_250_000),
        ("1,125 mkr", 1_125_000),
        ("0 kr", 0),
        ("-500 kr", -500),
    ],
)
def test_amounts(text: str, amount: int) -> None:
    result = parse_money(text)
    assert result.amount == amount
    assert result.warning is None


@pytest.mark.parametrize("text", ["- kr", "-", "–", "  -  kr ", "- SEK"])
def test_a_dash_is_zero_and_the_text_is_kept(text: str) -> None:
    result = parse_money(text)
    assert result == Money(0, " ".join(text.split()), None)


@pytest.mark.parametrize("value", [None, "", "   ", "\u00a0"])
def test_empty_is_no_amount_and_no_text(value: str | None) -> None:
    assert parse_money(value) == Money(None, None, None)


@pytest.mark.parametrize("text", ["730 00", "1 600 00", "147 50", "60 00", "1 420 00"])
def test_cut_off_digit_groups_keep_the_text_with_a_warning(text: str) -> None:
    result = parse_money(text)
    assert result.amount is None
    assert result.text == text
    assert result.warning is not None
    assert "malformed digit grouping" in result.warning
    assert repr(text) in result.warning


@pytest.mark.parametrize("text", ["okänt", "ca 500 kr", "kr", "se bilaga"])
def test_text_that_is_no_amount_is_kept_with_a_warning(text: str) -> None:
    result = parse_money(text)
    assert result.amount is None
    assert result.text == text
    assert result.warning


@pytest.mark.parametrize(
    ("value", "amount", "text"),
    [
        (2_114_575, 2_114_575, "2 114 575 kr"),
        (2_114_575.5, 2_114_576, "2 114 576 kr"),
        (730_000.0, 730_000, "730 000 kr"),
        (Decimal("0"), 0, "0 kr"),
    ],
)
def test_excel_numbers(value: float | Decimal, amount: int, text: str) -> None:
    assert parse_money(value) == Money(amount, text, None)


def test_a_number_that_is_not_finite_is_a_warning() -> None:
    result = parse_money(float("nan"))
    assert result.amount is None
    assert result.warning


@pytest.mark.parametrize(
    ("amount", "text"),
    [(2_114_575, "2 114 575 kr"), (0, "0 kr"), (999, "999 kr"), (1000, "1 000 kr"), (-2500, "-2 500 kr")],
)
def test_format(amount: int, text: str) -> None:
    assert format_money(amount) == text
    assert parse_money(text).amount == amount


def test_format_none_is_empty() -> None:
    assert format_money(None) == ""
