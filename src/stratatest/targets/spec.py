"""Target specs: `NAME` or `NAME:key=value,key=value` (testinfra's short spec strings, for targets).

`--target localstack:endpoint=http://127.0.0.1:4566`, `--target aws:account=123456789012,profile=sandbox`.
A value may not contain a comma; a target that needs one takes it from a file or the environment instead.
The default spec comes from `STRATATEST_TARGET`, else `moto`.
"""

from __future__ import annotations

import os
import re

from stratatest.errors import ConfigError

DEFAULT_TARGET = "moto"
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
#: What an AWS region name looks like (us-east-1, ap-southeast-2, us-gov-west-1).
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def default_spec() -> str:
    return os.environ.get("STRATATEST_TARGET") or DEFAULT_TARGET


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    """`"aws:account=1,profile=x"` → `("aws", {"account": "1", "profile": "x"})`; malformed → ConfigError."""
    name, _, rest = spec.strip().partition(":")
    if not _NAME.match(name):
        raise ConfigError(f"target spec {spec!r}: {name!r} is not a target name", hint="NAME[:key=value,...]")
    options: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key):
            raise ConfigError(f"target spec {spec!r}: {part!r} is not key=value", hint="NAME[:key=value,...]")
        if key in options:
            raise ConfigError(f"target spec {spec!r}: {key!r} is given twice")
        options[key] = value.strip()
    return name, options
