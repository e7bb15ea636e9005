"""Errors raised while building policies; each names what was wrong and what is allowed."""


class GrantError(ValueError):
    """A grant cannot be turned into policy statements (unknown action, bad ARN, unknown principal)."""
