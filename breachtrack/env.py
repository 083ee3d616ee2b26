"""Strict readers for configuration from environment variables.

Every setting that comes from the environment goes through one of these, so a
malformed value stops the process at start-up with a message naming the
variable, instead of surfacing later as a confusing runtime error.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse


class ConfigurationError(Exception):
    """A configuration value is missing or malformed."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str, environ=None) -> str | None:
    environ = os.environ if environ is None else environ
    value = environ.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def env_str(name: str, default: str | None = None, *, environ=None) -> str | None:
    value = _raw(name, environ)
    return default if value is None else value


def env_bool(name: str, default: bool, *, environ=None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(f"{name}={value!r} is not a boolean; use one of {sorted(_TRUE | _FALSE)}")


def env_int(name: str, default: int, *, minimum: int | None = None, environ=None) -> int:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"{name}={value!r} is not a whole number") from None
    if minimum is not None and number < minimum:
        raise ConfigurationError(f"{name}={number} is below the minimum of {minimum}")
    return number


def env_instant(name: str, default: str, *, environ=None) -> datetime:
    """An ISO 8601 instant with its UTC offset (``1990-01-01T00:00:00Z``), returned in UTC.

    A wall-clock time without an offset is refused: the process would otherwise read it in
    whatever zone it happens to run in.
    """
    value = _raw(name, environ) or default
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(f"{name}={value!r} is not an ISO 8601 instant (e.g. 1990-01-01T00:00:00Z)") from None
    if instant.utcoffset() is None:
        raise ConfigurationError(f"{name}={value!r} has no UTC offset: add one, e.g. Z or +01:00")
    return instant.astimezone(UTC)


def env_list(name: str, default: list[str] | None = None, *, environ=None) -> list[str]:
    value = _raw(name, environ)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...], *, environ=None) -> str:
    value = _raw(name, environ) or default
    if value not in choices:
        raise ConfigurationError(f"{name}={value!r} must be one of {', '.join(choices)}")
    return value


def env_secret(name: str, *, environ=None) -> str | None:
    """Read a secret from NAME, or from the file named by NAME_FILE.

    The *_FILE form lets container and systemd deployments mount secrets as files
    instead of putting them in the process environment. Setting both is refused:
    one of them would be silently ignored.
    """
    direct = _raw(name, environ)
    file_name = _raw(f"{name}_FILE", environ)
    if direct and file_name:
        raise ConfigurationError(f"set either {name} or {name}_FILE, not both")
    if file_name:
        try:
            content = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(f"{name}_FILE={file_name!r} cannot be read: {exc}") from None
        if not content:
            raise ConfigurationError(f"{name}_FILE={file_name!r} is empty")
        return content
    return direct


def env_url(name: str, default: str | None = None, *, schemes: tuple[str, ...], environ=None) -> str | None:
    value = _raw(name, environ) or default
    if value is None:
        return None
    scheme = urlparse(value).scheme
    if scheme not in schemes:
        raise ConfigurationError(f"{name} must be a URL with scheme {' or '.join(schemes)}, got {scheme or 'none'!r}")
    return value
