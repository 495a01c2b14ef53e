"""JSON lines on stdout: the shape the log shipper's parser and the Elasticsearch mappings rely on."""

from __future__ import annotations

import io
import json
import logging
import sys
import time
from typing import Any, TextIO

# The contract names four levels; CRITICAL never comes from this code but folds into "error" if a library uses it.
_LEVEL_NAMES = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "error",
}
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
ACCESS_ATTRIBUTE = "access"  # LogRecord attribute (via `extra=`) holding an access line's extra fields


def utc_millis(created: float) -> str:
    """`2026-11-26T13:00:00.123Z`: millisecond precision and a literal Z, never a local offset."""
    seconds = int(created)
    millis = int((created - seconds) * 1000)  # truncated, so never 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: tracebacks go inside `message`, JSON escapes their newlines."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message = f"{message}\n{self.formatException(record.exc_info)}"
        document: dict[str, Any] = {
            "time": utc_millis(record.created),
            "level": _LEVEL_NAMES.get(record.levelno, "error" if record.levelno > logging.ERROR else "debug"),
            "logger": record.name,
            "message": message,
        }
        access = getattr(record, ACCESS_ATTRIBUTE, None)
        if isinstance(access, dict):
            document.update(access)
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def configure(level: str, stream: TextIO | None = None) -> None:
    """Route every logger (ours and any library's) through one JSON handler on stdout."""
    target = stream if stream is not None else _utf8_stdout()
    handler = logging.StreamHandler(target)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(_LEVELS[level])
    logging.captureWarnings(True)


def _utf8_stdout() -> TextIO:
    # The contract says UTF-8 whatever the container's locale; line buffering keeps lines whole and prompt.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace", line_buffering=True)
    return sys.stdout
