"""Reading portfolio files: encodings, delimiters, XLSX, header variants and bad rows by line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from intake.domain.process import load_process
from intake.portfolio import (
    ParsedRow,
    PortfolioFileError,
    RowError,
    map_columns,
    parse_rows,
    read_portfolio,
)

REAL_EXPORT = Path(__file__).resolve().parents[2] / "demo/portfolio/sundsvall-utvecklingsportfolj-utdrag.csv"
HEADER = "Nr;År;Utvecklingsärende;Projektnr;Kostnad (totalt);2%-aren"


def _read(path: Path, sheet: str | None = None) -> list[ParsedRow | RowError]:
    return list(parse_rows(read_portfolio(path, sheet=sheet), load_process()))


def _ok(results: list[ParsedRow | RowError]) -> dict[str, ParsedRow]:
    return {r.values.nr: r for r in results if isinstance(r, ParsedRow)}


def _errors(results: list[ParsedRow | RowError]) -> dict[int, str]:
    return {r.line: r.message for r in results if isinstance(r, RowError)}


def _write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "p.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_the_real_sundsvall_export_reads_all_15_rows() -> None:
    results = _read(REAL_EXPORT)
    rows = _ok(results)
    assert len(rows) == 15 and not _errors(results)
    item = rows["22-04"].values
    assert (item.year, item.title, item.project_number) == (2022, "SBK Parkeringsstillstånd", "11773")
    assert (item.cost_sek, item.cost_text) == (2_114_575, "2 114 575 kr")
    assert (item.two_percent_sek, item.two_percent_text) == (None, None)
    assert (rows["22-23"].values.cost_sek, rows["22-23"].values.cost_text) == (0, "- kr")
    cut = rows["21-14"]
    assert (cut.line, cut.values.two_percent_sek, cut.values.two_percent_text) == (3, None, "730 00")
    assert len(cut.warnings) == 1 and "2%-aren" in cut.warnings[0]
    warned = sorted(r.line for r in rows.values() if r.warnings)
    assert warned == [3, 6, 9, 11, 12, 13, 16]
    # The file has no step, focus area or description: an import must leave those alone.
    assert "step" not in item.provided and "description" not in item.provided


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    text = f"{HEADER}\r\n22-07;2022;Öka takten i e-arkiv för så många som möjligt;11673;1 600 000 kr;\r\n"
    rows = _ok(_read(_write(tmp_path, text, encoding)))
    assert rows["22-07"].values.title == "Öka takten i e-arkiv för så många som möjligt"
    assert rows["22-07"].values.year == 2022


def test_windows_1252_is_detected_from_the_bytes(tmp_path: Path) -> None:
    path = _write(tmp_path, f"{HEADER}\n22-07;2022;Ärende på väg;;;\n", "cp1252")
    assert b"\xc4rende" in path.read_bytes()  # really one byte per letter, not UTF-8
    assert _ok(_read(path))["22-07"].values.title == "Ärende på väg"


def test_utf16_tab_separated_text_from_excel(tmp_path: Path) -> None:
    path = _write(tmp_path, "Nr\tTitel\tKostnad\n22-01\tÅtgärd\t2 000 kr\n", "utf-16")
    row = _ok(_read(path))["22-01"].values
    assert (row.title, row.cost_sek) == ("Åtgärd", 2000)


def test_comma_csv_with_quotes_and_english_headers(tmp_path: Path) -> None:
    text = (
        "Number,Year,Title,Project number,Cost,2 % funding\n"
        '22-04,2022,"Parking permits, phase 2","11773","2,114,575",\n'
    )
    row = _ok(_read(_write(tmp_path, text)))["22-04"].values
    assert (row.title, row.project_number, row.cost_sek) == ("Parking permits, phase 2", "11773", 2_114_575)


def test_excel_sep_line_names_the_delimiter(tmp_path: Path) -> None:
    results = _read(_write(tmp_path, "sep=,\nNr,Titel\n22-01,Första;andra\n"))
    row = _ok(results)["22-01"]
    assert (row.line, row.values.title) == (3, "Första;andra")


def test_header_variants_fold_case_spaces_and_accents() -> None:
    columns = map_columns(
        [
            "NR",
            "ar",
            "  Utvecklingsarende ",
            "PROJEKTNUMMER",
            "Kostnad",
            "2 %-ären",
            "Fokus område",
            "Status",
            "Beskrivning",
            "Ansvarig",
        ]
    )
    assert set(columns.index) == {
        "nr", "year", "title", "project_number", "cost", "two_percent", "focus_area", "step", "description",
    }  # fmt: skip
    assert columns.ignored == ["Ansvarig"]


def test_a_second_column_for_the_same_field_is_ignored_and_named() -> None:
    columns = map_columns(["Nr", "Titel", "Title"])
    assert columns.index["title"] == 1
    assert columns.ignored == ["Title (same as Titel)"]


def test_bad_rows_have_their_line_numbers_and_good_rows_still_come_through(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "Nr;År;Utvecklingsärende;Steg;Fokusområde;Beskrivning",  # line 1
            "22-01;2022;Bra;Steg 1 – Behov och lösning;Effektiv kommun;",  # 2
            ";2022;Utan nummer;;;",  # 3
            "22-02;2022;;;;",  # 4
            "22-03;tjugo;Konstigt år;;;",  # 5
            "22-04;2022;Okänt steg;Steg 9;;",  # 6
            '22-05;2022;Flera rader;;;"rad ett',  # 7
            'rad två"',  # 8 (same row as 7)
            "22-06;2022;Okänt område;;Rymden;",  # 9
            "",  # 10 (blank: skipped)
            "22-01;2022;Dubblett;;;",  # 11
            "   ;2022;Bara blanksteg;;;",  # 12
            "22-07;1999;För gammalt;;;",  # 13
            "22-08;;Sist;steg-2;bolagen;",  # 14
        ]
    )
    results = _read(_write(tmp_path, text))
    rows, errors = _ok(results), _errors(results)
    assert sorted(rows) == ["22-01", "22-05", "22-08"]
    assert rows["22-01"].values.step == "steg-1"
    assert rows["22-01"].values.focus_area == "effektiv-kommun"
    assert (rows["22-05"].line, rows["22-05"].values.description) == (7, "rad ett\nrad två")
    assert (rows["22-08"].line, rows["22-08"].values.year) == (14, 2022)  # year from the Nr
    assert (rows["22-08"].values.step, rows["22-08"].values.focus_area) == ("steg-2", "bolagen")
    assert sorted(errors) == [3, 4, 5, 6, 9, 11, 12, 13]
    assert "Nr is missing" in errors[3] and "Nr is missing" in errors[12]
    assert "Utvecklingsärende (title) is missing" in errors[4]
    assert "'tjugo'" in errors[5]
    assert "'Steg 9' is not a step" in errors[6] and "steg-0" in errors[6] and "beslutad" in errors[6]
    assert "'Rymden' is not a focus area" in errors[9] and "Smarta Sundsvall" in errors[9]
    assert "first on line 2" in errors[11]
    assert "1999" in errors[13]


def test_every_problem_of_a_row_is_named_at_once(tmp_path: Path) -> None:
    errors = _errors(_read(_write(tmp_path, "Nr;Titel;År\n;;1800\n")))
    assert "Nr is missing" in errors[2] and "title" in errors[2] and "1800" in errors[2]


def test_values_too_long_for_the_database_are_row_errors(tmp_path: Path) -> None:
    text = f"Nr;Titel;Projektnr\n22-01;{'x' * 501};1\n22-02;Ok;{'9' * 101}\n22-03;Ok;1\n"
    results = _read(_write(tmp_path, text))
    errors = _errors(results)
    assert "Titel is 501 characters long; at most 500 fit" in errors[2]
    assert "Projektnr is 101 characters long" in errors[3]
    assert list(_ok(results)) == ["22-03"]


def test_planner_export_columns(tmp_path: Path) -> None:
    text = (
        "Task ID,Task Name,Bucket Name,Progress,Description\n"
        "AbC123,22-04 SBK Parkeringstillstånd,Steg 1 – Behov och lösning,In progress,Digitala tillstånd\n"
        "DeF456,Ett kort utan nummer,Klara för beslut,Not started,\n"
    )
    source = read_portfolio(_write(tmp_path, text))
    assert source.columns.ignored == ["Task ID", "Progress"]
    assert source.notes and "Nr" in source.notes[0]
    results = list(parse_rows(source, load_process()))
    row = _ok(results)["22-04"].values
    assert (row.title, row.step, row.description, row.year) == (
        "SBK Parkeringstillstånd",
        "steg-1",
        "Digitala tillstånd",
        2022,
    )
    assert "title does not start with a Nr" in _errors(results)[3]


def test_xlsx_with_numbers_blank_rows_before_the_header_and_a_named_sheet(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.append(["Fel blad"])
    sheet = workbook.create_sheet("Portfölj")
    sheet.append([])
    sheet.append([None, None])
    sheet.append(["Nr", "År", "Utvecklingsärende", "Projektnr", "Kostnad (totalt)", "2%-aren"])  # row 3
    sheet.append(["22-04", 2022, "SBK Parkeringsstillstånd", 11773, 2114575, None])  # row 4
    sheet.append([None, None, None, None, None, None])  # row 5: empty
    sheet.append(["22-07", 2022.0, "Öka takten i e-arkiv", "11673", 1600000.4, "1 600 00"])  # row 6
    sheet.append(["22-09", None, None, None, "- kr", None])  # row 7: no title
    sheet.append([datetime(2022, 4, 22), 2022, "Excel gjorde ett datum", None, None, None])  # row 8
    path = tmp_path / "portfolj.xlsx"
    workbook.save(path)

    results = _read(path, sheet="Portfölj")
    rows, errors = _ok(results), _errors(results)
    first = rows["22-04"]
    assert first.line == 4
    assert (first.values.year, first.values.project_number) == (2022, "11773")
    assert (first.values.cost_sek, first.values.cost_text) == (2_114_575, "2 114 575 kr")
    second = rows["22-07"]
    assert (second.line, second.values.year, second.values.cost_sek) == (6, 2022, 1_600_000)
    assert second.values.two_percent_text == "1 600 00" and second.warnings
    assert sorted(errors) == [7, 8]
    assert "format the column as text" in errors[8]


def test_xlsx_first_sheet_is_the_default_and_a_missing_sheet_names_the_others(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.title = "Första"
    workbook.active.append(["Nr", "Titel"])
    workbook.active.append(["23-01", "Förstudie Digital post"])
    path = tmp_path / "p.xlsx"
    workbook.save(path)
    assert list(_ok(_read(path))) == ["23-01"]
    with pytest.raises(PortfolioFileError, match="no sheet 'Saknas'; its sheets: Första"):
        read_portfolio(path, sheet="Saknas")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\n\n;;\n", "is empty"),
        (b"Adress;Telefon\nA;B\n", "no title column in the header on line 1"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", r"old Excel \(.xls\)"),
        (b"PK\x03\x04 not really a zip", "not a readable Excel file"),
        (b"Nr;Titel\n22-01;\x81\x8d\x8f\n", "neither UTF-8 nor Windows-1252"),
    ],
)
def test_unreadable_files_raise_a_clear_message(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(content)
    with pytest.raises(PortfolioFileError, match=message):
        read_portfolio(path)


def test_a_missing_file_and_a_sheet_for_csv_are_file_errors(tmp_path: Path) -> None:
    with pytest.raises(PortfolioFileError, match="cannot read"):
        read_portfolio(tmp_path / "saknas.csv")
    with pytest.raises(PortfolioFileError, match="Excel files only"):
        read_portfolio(REAL_EXPORT, sheet="Blad1")
