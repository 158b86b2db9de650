"""Report sections: each a function of one vehicle's data returning a JSON-ready block."""

from analytics.reports.sections import base, common, finance, insurance, utility
from analytics.reports.sections.base import estimate, finite, section

__all__ = ["base", "common", "estimate", "finance", "finite", "insurance", "section", "utility"]
