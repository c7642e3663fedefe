"""GOV.UK pagination for any paged list: the first, last and neighbouring pages, gaps as ellipses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def pagination(href: Callable[[int], str], *, page: int, pages: int, label: str) -> dict[str, Any] | None:
    """The parameters of the govukPagination macro, or None when everything fits on one page. `href` gives the
    address of a page by its number; `label` names the navigation landmark."""
    if pages <= 1:
        return None
    items: list[dict[str, Any]] = []
    for number in range(1, pages + 1):
        if number in (1, pages) or abs(number - page) <= 1:
            items.append({"number": number, "href": href(number), "current": number == page})
        elif items and not items[-1].get("ellipsis"):
            items.append({"ellipsis": True})
    return {
        "items": items,
        "previous": {"href": href(page - 1)} if page > 1 else None,
        "next": {"href": href(page + 1)} if page < pages else None,
        "landmarkLabel": label,
    }
