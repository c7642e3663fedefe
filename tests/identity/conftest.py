"""Fixtures the identity tests share with the web tests."""

from tests.web.conftest import signed_in_as  # noqa: F401 - a fixture, found by pytest through this import
