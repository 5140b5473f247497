"""Exceptions the host raises for misuse: each message names what is wrong and where."""

from __future__ import annotations


class RewardkitError(Exception):
    """Base class of every error rewardkit raises on purpose."""


class RegistrationError(RewardkitError):
    """A plugin registered a reward that breaks the contract (bad metadata, duplicate name)."""


class DuplicateRewardError(RegistrationError):
    """Two plugins registered rewards of the same name; the message names both."""


class UnknownRewardError(RewardkitError, KeyError):
    """No installed plugin registers a reward of this name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class ParameterError(RewardkitError, ValueError):
    """A reward was built with a parameter it does not accept."""

    def __init__(self, reward: str, param: str, message: str) -> None:
        self.reward, self.param = reward, param
        super().__init__(f"reward {reward!r}, parameter {param!r}: {message}")


class MissingColumnError(RewardkitError, ValueError):
    """A reward needs a data column the caller did not supply."""

    def __init__(self, reward: str, column: str, available: list[str] | tuple[str, ...],
                 declared: str | None = None) -> None:
        self.reward, self.column, self.available = reward, column, list(available)
        #: The reward's own column name when ``columns=`` mapped it to ``column``.
        self.declared = declared if declared != column else None
        avail = ", ".join(sorted(self.available)) or "none"
        via = f" (its column {self.declared!r}, mapped by columns={{{self.declared!r}: {column!r}}})" if self.declared else ""
        super().__init__(f"reward {reward!r} needs column {column!r}{via}, which is missing (available: {avail})")


class CompositeError(RewardkitError, ValueError):
    """A composite reward's terms are inconsistent (bad weight, shaping, gate, or sign)."""


class TextTypeError(RewardkitError, TypeError):
    """A completion or prompt is neither text nor chat messages (``None``, a number, a stray dict)."""


class DataError(RewardkitError, ValueError):
    """An input file is malformed; the message names the file and line."""
