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


class IngestError(WholeplaceError):
    """A problem with an input file or mapping that its sender can fix: where it is, what, and what to do."""

    def __init__(
        self,
        problem: str,
        *,
        file: str,
        row: int | None = None,
        column: str | None = None,
        line: int | None = None,
        fix: str = "",
    ) -> None:
        super().__init__(problem, fix=fix)
        self.file = file
        self.row = row
        self.column = column
        self.line = line

    @property
    def where(self) -> str:
        """The file, and the line of a mapping or the row and column of a file: "pupils.csv, row 7, column 'dob'"."""
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.where}: {super().__str__()}"
