from hypothesis import given, settings
from hypothesis import strategies as st

from wholeplace.core import security


@settings(max_examples=5, deadline=None)
@given(st.text(min_size=12, max_size=40))
def test_a_password_verifies_against_its_own_hash_only(password: str) -> None:
    hashed = security.hash_password(password)
    assert security.verify_password(hashed, password)
    assert not security.verify_password(hashed, password + "x")


def test_unknown_user_never_verifies() -> None:
    assert not security.verify_password(None, "anything at all")


def test_a_garbled_hash_does_not_verify() -> None:
    assert not security.verify_password("not-an-argon2-hash", "anything at all")


@given(st.text(max_size=20), st.text(max_size=20))
def test_csrf_token_is_bound_to_its_session(first: str, second: str) -> None:
    token = security.csrf_token("key", first)
    assert security.csrf_token_is_valid("key", first, token)
    assert security.csrf_token_is_valid("key", second, token) == (first == second)
    assert not security.csrf_token_is_valid("other key", first, token)
    assert not security.csrf_token_is_valid("key", first, None)


def test_issued_api_tokens_split_into_lookup_and_secret() -> None:
    whole, lookup, secret_hash = security.new_api_token()
    parts = security.split_api_token(whole)
    assert parts is not None
    assert parts[0] == lookup
    assert security.digest(parts[1]) == secret_hash


@given(st.text(max_size=80))
def test_malformed_api_tokens_are_recognised_as_such(text: str) -> None:
    parts = security.split_api_token(text)
    if parts is not None:
        assert text == f"wp_{parts[0]}_{parts[1]}"
        assert len(parts[0]) == 16
