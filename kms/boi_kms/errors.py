"""The one exception type for bad input to boi_kms."""


class ConfigError(ValueError):
    """Bad input: the message names the field path, the value given and what is allowed."""

    def __init__(self, field: str, value: object, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: got {value!r}; allowed: {allowed}")
