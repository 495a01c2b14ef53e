"""Settings from the environment, validated up front so a typo fails the pod at start, not at the first request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LOG_LEVELS = ("debug", "info", "warning", "error")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


class ConfigError(ValueError):
    """An environment variable holds a value the service refuses to guess about."""


@dataclass(frozen=True)
class Settings:
    host: str = "0.0.0.0"  # a container must listen on all interfaces; tests pass HOST=127.0.0.1
    port: int = 8080
    admin_enabled: bool = False
    log_level: str = "info"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read PORT, HOST, SAMPLE_ADMIN_ENABLED and LOG_LEVEL; an empty variable counts as unset."""
        defaults = cls()
        host = environ.get("HOST", "").strip() or defaults.host
        return cls(
            host=host,
            port=_port(environ.get("PORT", "").strip(), defaults.port),
            admin_enabled=_flag("SAMPLE_ADMIN_ENABLED", environ.get("SAMPLE_ADMIN_ENABLED", "").strip(), False),
            log_level=log_level(environ),
        )


def log_level(environ: Mapping[str, str]) -> str:
    """LOG_LEVEL, lower-cased; separate so logging can be set up before the rest of the settings are checked."""
    value = environ.get("LOG_LEVEL", "").strip().lower() or "info"
    if value not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {value!r}")
    return value


def _port(value: str, default: int) -> int:
    if not value:
        return default
    try:
        port = int(value)
    except ValueError:
        raise ConfigError(f"PORT must be an integer, not {value!r}") from None
    if not 1 <= port <= 65535:  # 0 (an ephemeral port) is refused: the chart and probes need to know the port
        raise ConfigError(f"PORT must be between 1 and 65535, not {port}")
    return port


def _flag(name: str, value: str, default: bool) -> bool:
    lowered = value.lower()
    if not lowered:
        return default
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    # A misspelt "ture" silently meaning false would hide the fault API from a test that expects it.
    raise ConfigError(f"{name} must be true or false, not {value!r}")
