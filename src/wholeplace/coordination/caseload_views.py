"""Pages of coordination: closing a plan with evidence, sustainment checks, the outcome-claim export and caseloads."""

from __future__ import annotations

from fastapi import APIRouter

from wholeplace.web.templating import NavigationEntry

NAVIGATION: list[NavigationEntry] = []

router = APIRouter()
