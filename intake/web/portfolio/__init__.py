"""The portfolio pages: browse, search and open initiatives; staff import and export."""

from intake.web.portfolio.pages import PortfolioPages

__all__ = ["PortfolioPages"]
