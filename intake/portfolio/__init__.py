"""Portfolio files: read and check CSV/XLSX rows, parse Swedish money, write exports.

Nothing here touches the database; `intake.services.portfolio` stores what the reader yields.
"""

from __future__ import annotations

from intake.portfolio.columns import FIELDS, HEADERS, ColumnMap, map_columns
from intake.portfolio.money import Money, format_money, parse_money
from intake.portfolio.reader import (
    ParsedRow,
    PortfolioFileError,
    PortfolioRow,
    PortfolioSource,
    RowError,
    parse_rows,
    read_portfolio,
)
from intake.portfolio.writer import ENCODINGS, ExportEncodingError, write_csv, write_xlsx

__all__ = [
    "ENCODINGS",
    "FIELDS",
    "HEADERS",
    "ColumnMap",
    "ExportEncodingError",
    "Money",
    "ParsedRow",
    "PortfolioFileError",
    "PortfolioRow",
    "PortfolioSource",
    "RowError",
    "format_money",
    "map_columns",
    "parse_money",
    "parse_rows",
    "read_portfolio",
    "write_csv",
    "write_xlsx",
]
