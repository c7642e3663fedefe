"""Outcomes: results, indicators and performance measures the partners own, and early warning by SPC."""
