"""The one exception type the audit component raises for bad input."""


class ConfigError(ValueError):
    """Bad settings, constructor input or catalog data.

    The message always names the field path, the value given and what is allowed, so a failed synth
    points straight at the line to fix.
    """

    def __init__(self, field: str, value: object, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: got {value!r}; allowed: {allowed}")
