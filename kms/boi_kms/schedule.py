"""Rotation dates for KMS keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from boi_kms.classes import ROTATION_MAX_DAYS, ROTATION_MIN_DAYS
from boi_kms.errors import ConfigError


@dataclass(frozen=True)
class KeyRotation:
    alias: str
    class_name: str
    rotation_days: int
    next_rotations: tuple[date, ...]


def rotation_schedule(keys: list[dict], start: date, count: int = 3) -> list[KeyRotation]:
    """The next `count` rotation dates after `start` for each key.

    KMS rotates `rotation_days` after rotation was enabled and then every period; a key without a
    `created` date is taken to be enabled on `start`.
    """
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ConfigError("count", count, "a positive integer")
    result = []
    for i, key in enumerate(keys):
        path = f"keys[{i}]"
        if not isinstance(key, dict):
            raise ConfigError(path, key, "a mapping with alias, class, rotation_days and optional created")
        for field in ("alias", "class"):
            if not isinstance(key.get(field), str) or not key[field]:
                raise ConfigError(f"{path}.{field}", key.get(field), "a non-empty string")
        days = key.get("rotation_days")
        if isinstance(days, bool) or not isinstance(days, int) or not ROTATION_MIN_DAYS <= days <= ROTATION_MAX_DAYS:
            raise ConfigError(
                f"{path}.rotation_days", days, f"an integer from {ROTATION_MIN_DAYS} to {ROTATION_MAX_DAYS}"
            )
        created = key.get("created", start)
        if not isinstance(created, date):
            raise ConfigError(f"{path}.created", created, "a date")
        period = timedelta(days=days)
        if created >= start:
            first = created + period
        else:
            elapsed_periods = (start - created) // period
            first = created + period * (elapsed_periods + 1)
        dates = tuple(first + period * n for n in range(count))
        result.append(KeyRotation(key["alias"], key["class"], days, dates))
    return result
