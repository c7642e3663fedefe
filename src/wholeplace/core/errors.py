"""The one error hierarchy: each error says what went wrong and what to do about it."""


class WholeplaceError(Exception):
    """A problem a person can act on; the CLI and the web layer turn it into a message."""

    def __init__(self, problem: str, *, fix: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.problem} {self.fix}".strip()


class ConfigurationError(WholeplaceError):
    """The settings or the data directory are not usable."""


class NotFoundError(WholeplaceError):
    """A named thing does not exist."""


class ConflictError(WholeplaceError):
    """The change would clash with what is already there."""


class InvalidInputError(WholeplaceError):
    """A value given by a person or a machine is not acceptable."""

    def __init__(self, problem: str, *, field: str | None = None, fix: str = "") -> None:
        super().__init__(problem, fix=fix)
        self.field = field


class AuthenticationError(WholeplaceError):
    """Sign-in failed; the message never says whether the user exists."""


class AccountLockedError(AuthenticationError):
    """Too many failed sign-ins: the account is locked for a while."""

    def __init__(self, *, minutes: int) -> None:
        super().__init__(
            "This account is locked after too many failed sign-in attempts.",
            fix=f"Try again in {minutes} minute{'s' if minutes != 1 else ''}, or ask an administrator.",
        )
        self.minutes = minutes


class ThrottledError(AuthenticationError):
    """Too many failed sign-ins from one address."""
