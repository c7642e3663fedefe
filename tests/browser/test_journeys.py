"""Every demo user signs in, walks every page their role reaches, and each page passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import check_page
from wholeplace.core.roles import Role
from wholeplace.demo.service import DEMO_PASSWORD, USERS

pytestmark = pytest.mark.browser

ADMIN_LINKS = {"Home", "Administration", "Security log", "Your account"}


def sign_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def navigation_links(page: Page) -> set[str]:
    return set(page.get_by_role("navigation", name="Main").get_by_role("link").all_inner_texts())


def test_the_login_page_and_its_errors_are_accessible(page: Page) -> None:
    page.goto("/login")
    check_page(page, "login")
    sign_in(page, "admin", "not the right password")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_page(page, "login-error")
    page.goto("/no-such-page")
    check_page(page, "not-found")
    page.goto("/accessibility")
    check_page(page, "accessibility")


@pytest.mark.parametrize("demo_user", USERS, ids=[user.username for user in USERS])
def test_each_demo_user_sees_only_what_their_role_allows(page: Page, demo_user: object) -> None:
    username = demo_user.username  # type: ignore[attr-defined]
    roles = set(demo_user.roles)  # type: ignore[attr-defined]
    sign_in(page, username)
    expect(page.get_by_role("heading", level=1)).to_have_text("Riverford")
    links = navigation_links(page)
    assert ("Administration" in links) == (Role.ADMINISTRATOR in roles)
    assert ("Security log" in links) == bool(
        roles & {Role.ADMINISTRATOR, Role.INFORMATION_GOVERNANCE_OFFICER}
    )
    for link in sorted(links):
        page.get_by_role("navigation", name="Main").get_by_role("link", name=link).click()
        check_page(page, f"{username}-{link.lower().replace(' ', '-')}")
    if Role.ADMINISTRATOR not in roles:
        response = page.goto("/admin/users")
        assert response is not None and response.status == 403
        check_page(page, f"{username}-forbidden")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out")).to_be_visible()


def test_an_administrator_walks_every_administration_page(page: Page) -> None:
    sign_in(page, "admin")
    page.goto("/admin")
    check_page(page, "admin")
    page.get_by_role("link", name="Change the place's name").click()
    check_page(page, "admin-place")

    page.goto("/admin/agencies")
    check_page(page, "admin-agencies")
    page.get_by_role("link", name="Riverford Homes").click()
    check_page(page, "admin-agency")
    page.get_by_label("New team's name").fill("Income Recovery")
    page.get_by_role("button", name="Add team").click()
    expect(page.get_by_text("Income Recovery")).to_be_visible()

    page.goto("/admin/agencies/new")
    page.get_by_role("button", name="Add agency").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_page(page, "admin-agency-new-errors")
    page.get_by_label("Name").fill("Vale Fire and Rescue")
    page.get_by_label("Public").check()
    page.get_by_label("Sector").select_option("fire")
    page.get_by_role("button", name="Add agency").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vale Fire and Rescue")

    page.goto("/admin/users/new")
    check_page(page, "admin-user-new")
    page.get_by_label("Full name").fill("Nia Roberts")
    page.get_by_label("Username").fill("nia")
    page.get_by_label("Agency", exact=True).select_option(label="Riverford Homes")
    page.get_by_label("Practitioner").check()
    page.get_by_label("First password").fill("a long first password")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_text("User added.")).to_be_visible()
    check_page(page, "admin-user")
    page.goto("/admin/users")
    check_page(page, "admin-users")

    page.goto("/admin/tokens/new")
    check_page(page, "admin-token-new")
    page.get_by_label("Agency", exact=True).select_option(label="Riverford Schools")
    page.get_by_label("Name").fill("Schools MIS nightly feed")
    page.get_by_label("Read the place and its agencies").check()
    page.get_by_role("button", name="Issue token").click()
    token = page.locator("#token").inner_text()
    assert token.startswith("wp_")
    check_page(page, "admin-token-created")
    page.goto("/admin/tokens")
    check_page(page, "admin-tokens")
    page.get_by_role("button", name="Revoke Schools MIS nightly feed").click()
    expect(page.get_by_text("Token revoked")).to_be_visible()

    page.goto("/security-log")
    check_page(page, "security-log")
    expect(page.get_by_text("token revoked").first).to_be_visible()
