"""Security primitives: password hashes, random secrets, token hashes and CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from wholeplace.core.errors import InvalidInputError

MINIMUM_PASSWORD_LENGTH = 12
API_TOKEN_PATTERN = re.compile(r"^wp_(?P<lookup>[a-z0-9]{16})_(?P<secret>[A-Za-z0-9_-]{43})$")

_hasher = PasswordHasher()
# Verifying against this when the user is unknown keeps the time taken the same either way.
_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    check_password_strength(password)
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MINIMUM_PASSWORD_LENGTH:
        raise InvalidInputError(
            f"The password is too short: it needs at least {MINIMUM_PASSWORD_LENGTH} characters.",
            field="password",
            fix="Use a longer password; a few unrelated words make a good one.",
        )


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; always spends the same effort, even for an unknown user."""
    try:
        return _hasher.verify(password_hash or _UNKNOWN_USER_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The SHA-256 of a high-entropy secret, as kept at rest."""
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token(key: str, binding: str) -> str:
    """A form token bound to one session (or one anonymous browser) and signed with the secret key."""
    return hmac.new(key.encode(), f"csrf:{binding}".encode(), hashlib.sha256).hexdigest()


def csrf_token_is_valid(key: str, binding: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token(key, binding), presented)


def new_api_token() -> tuple[str, str, str]:
    """A new machine token as (the whole token to give out once, its lookup part, the hash of its secret)."""
    lookup = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return f"wp_{lookup}_{secret}", lookup, digest(secret)


def split_api_token(token: str) -> tuple[str, str] | None:
    """The (lookup, secret) of a well-formed token, or None when it is malformed."""
    match = API_TOKEN_PATTERN.match(token)
    if match is None:
        return None
    return match["lookup"], match["secret"]
