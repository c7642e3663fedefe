"""Commands for the place's spend (being built)."""

from __future__ import annotations

import typer

spend_app = typer.Typer(help="The place's public spend: the Total Place count and Fiscal Data Packages.")
