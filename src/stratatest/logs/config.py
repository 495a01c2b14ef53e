"""Fluent Bit's classic configuration format (`read_config` of `flb_cf_fluentbit.c`), read from a ConfigMap's files.

Every other part of the model starts from these sections, so the reader is as strict as Fluent Bit: sections,
indentation rules, comments, `@INCLUDE` (globs too), `@SET`, `${VAR}`, case-insensitive keys, repeated keys (kept in
order; a single-valued read of a repeated key is an error). `deployed_config` finds the file a rendered workload's
container actually loads, so tests read the configuration Fluent Bit would, not one picked by hand.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from stratatest.errors import ConfigError
from stratatest.logs.strptime import NotModelled

__all__ = ["Config", "Deployed", "Section", "deployed_config"]

_TRUE = {"on", "true", "yes", "1"}
_FALSE = {"off", "false", "no", "0"}
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}")
_BLANK = " \t"


@dataclass(frozen=True)
class Section:
    """One `[KIND]` block: keys lower-cased (Fluent Bit matches them case-insensitively), values trimmed."""

    kind: str
    entries: tuple[tuple[str, str], ...]
    origin: str  # "file:line" of the header, for messages

    def values(self, key: str) -> list[str]:
        """Every value of `key`, in file order (Parser and Rule may repeat)."""
        wanted = key.lower()
        return [v for k, v in self.entries if k == wanted]

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value of a single-valued key; ConfigError when it is set more than once (ambiguous)."""
        found = self.values(key)
        if len(found) > 1:
            raise ConfigError(f"{self.label}: '{key}' is set {len(found)} times ({found}); it takes one value")
        return found[0] if found else default

    def require(self, key: str) -> str:
        value = self.get(key)
        if value is None or value == "":
            raise ConfigError(f"{self.label}: '{key}' is required")
        return value

    def flag(self, key: str, default: bool) -> bool:
        """A boolean as `flb_utils_bool` reads it (on/off, true/false, yes/no, 1/0)."""
        value = self.get(key)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ConfigError(f"{self.label}: '{key}' must be on/off, true/false, yes/no or 1/0, not {value!r}")

    def __contains__(self, key: str) -> bool:
        return bool(self.values(key))

    @property
    def name(self) -> str:
        return (self.get("name") or "").lower()

    @property
    def properties(self) -> dict[str, str | list[str]]:
        """Keys to values; a repeated key maps to the list of its values."""
        out: dict[str, str | list[str]] = {}
        for key in dict.fromkeys(k for k, _ in self.entries):
            found = self.values(key)
            out[key] = found[0] if len(found) == 1 else found
        return out

    @property
    def label(self) -> str:
        """`[FILTER] parser (service-json) at fluent-bit.conf:40`: how messages name a section."""
        alias = self.get("alias") if len(self.values("alias")) == 1 else None
        name = f" {self.name}" if self.name else ""
        return f"[{self.kind.upper()}]{name}" + (f" ({alias})" if alias else "") + f" at {self.origin}"


@dataclass(frozen=True)
class Config:
    """A whole Fluent Bit configuration: the main file, its includes and the parsers files it names."""

    sections: tuple[Section, ...]
    variables: Mapping[str, str]  # @SET
    files: tuple[str, ...]  # every file read, in order

    @classmethod
    def load(
        cls,
        files: Mapping[str, str],
        main: str = "fluent-bit.conf",
        *,
        directory: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Config:
        """Read `main` from `files` (a ConfigMap's data: file name → text), as Fluent Bit reads it from disk.

        `directory` is where those files are mounted (e.g. /fluent-bit/etc): paths in `@INCLUDE` and
        `Parsers_File` are resolved against it, and a path outside it is an error (stratatest cannot read the
        image's own files). Without it, a path resolves by its file name. `env` is the container's environment
        for `${VAR}`; a variable neither `@SET` nor in `env` is an error (Fluent Bit would substitute nothing).
        """
        reader = _Reader(files, directory, env or {})
        reader.read(reader.resolve(main, "the main configuration")[0])
        service = [s for s in reader.raw if s[0] == "service"]
        for _, entries, origin in service:
            for key, value in entries:
                if key == "parsers_file":
                    for name in reader.resolve(reader.expand(value, origin), f"Parsers_File at {origin}"):
                        reader.read(name, parsers_only=True)
        sections = tuple(
            Section(kind, tuple((k, reader.expand(v, origin)) for k, v in entries), origin)
            for kind, entries, origin in reader.raw
        )
        return cls(sections, dict(reader.sets), tuple(reader.included))

    def of(self, kind: str) -> list[Section]:
        return [s for s in self.sections if s.kind == kind.lower()]

    @property
    def service(self) -> Section | None:
        found = self.of("service")
        return found[0] if found else None

    @property
    def inputs(self) -> list[Section]:
        return self.of("input")

    @property
    def filters(self) -> list[Section]:
        return self.of("filter")

    @property
    def outputs(self) -> list[Section]:
        return self.of("output")

    @property
    def parser_sections(self) -> list[Section]:
        return self.of("parser")

    @property
    def multiline_parser_sections(self) -> list[Section]:
        return self.of("multiline_parser")

    def section(self, kind: str, name: str) -> Section:
        """The one section of `kind` whose Name (or Alias) is `name`."""
        found = [s for s in self.of(kind) if name.lower() in (s.name, (s.get("alias") or "").lower())]
        if len(found) != 1:
            have = ", ".join(s.label for s in self.of(kind)) or "none"
            raise ConfigError(f"expected one [{kind.upper()}] named {name!r}, found {len(found)}; have: {have}")
        return found[0]


class _Reader:
    """`read_config` of flb_cf_fluentbit.c, over an in-memory set of files."""

    def __init__(self, files: Mapping[str, str], directory: str | None, env: Mapping[str, str]) -> None:
        self.files = files
        self.directory = directory.rstrip("/") if directory else None
        self.env = env
        self.sets: dict[str, str] = {}
        self.included: list[str] = []
        self.raw: list[tuple[str, list[tuple[str, str]], str]] = []

    def resolve(self, path: str, what: str) -> list[str]:
        """File names in `files` that `path` (possibly a glob) refers to."""
        if self.directory:
            if path.startswith("/"):
                parent = str(PurePosixPath(path).parent)
                if parent != self.directory:
                    raise ConfigError(
                        f"{what}: {path!r} is outside {self.directory}, where the ConfigMap is mounted; "
                        f"stratatest can only read the ConfigMap's files ({sorted(self.files)})"
                    )
            name = PurePosixPath(path).name if path.startswith("/") else path
        else:
            name = PurePosixPath(path).name
        found = sorted(k for k in self.files if fnmatch.fnmatchcase(k, name)) if "*" in name else [name]
        missing = [n for n in found if n not in self.files]
        if missing or not found:
            raise ConfigError(f"{what}: {path!r} is not in the ConfigMap; its files are {sorted(self.files)}")
        return found

    def expand(self, value: str, origin: str) -> str:
        def lookup(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in self.sets:
                return self.sets[key]
            if key in self.env:
                return self.env[key]
            raise ConfigError(
                f"{origin}: ${{{key}}} is neither @SET nor in the container's environment "
                f"(Fluent Bit would use an empty string); environment: {sorted(self.env)}"
            )

        return _VARIABLE.sub(lookup, value)

    def read(self, name: str, *, parsers_only: bool = False) -> None:
        if name in self.included:
            raise ConfigError(f"file already included: {name}")
        self.included.append(name)
        indent: str | None = None
        current: list[tuple[str, str]] | None = None
        kind = ""
        for number, raw in enumerate(self.files[name].split("\n"), start=1):
            line = raw[:-1] if raw.endswith("\r") else raw
            where = f"{name}:{number}"
            if not line or line[0] == "#":
                continue
            if len(line) > 9 and line[:9].lower() == "@include ":
                target = line[9:]
                for included in self.resolve(target, f"@INCLUDE at {where}"):
                    self.read(included, parsers_only=parsers_only)
                continue
            if line[0] == "@" and len(line) > 3:
                if line[:5].lower() == "@set " and "=" in line:
                    key, _, value = line[5:].partition("=")
                    self.sets[key.strip()] = value.strip()
                    continue
                raise ConfigError(f"{where}: unknown meta command {line!r}")
            if line[0] == "[":
                end = line.find("]")
                if end <= 0:
                    raise ConfigError(f"{where}: bad header definition {line!r}")
                kind = line[1:end].strip().lower()
                current = []
                if not parsers_only or kind in ("parser", "multiline_parser"):
                    self.raw.append((kind, current, where))
                continue
            if indent is None:
                if line[0] not in _BLANK:
                    raise ConfigError(f"{where}: entries must be indented under a [SECTION] header: {line!r}")
                width = 1
                while width < len(line) and line[width] in _BLANK:
                    width += 1
                indent = line[:width]
                if width == len(line):
                    continue  # a blank indented line fixes the indentation, as in Fluent Bit
            level = _indent_level(line, indent, where)
            if level == len(line) or line[level] == "#":
                continue
            space = line.find(" ", level)
            if space < 0:
                raise ConfigError(f"{where}: undefined value (key and value are separated by a space): {line!r}")
            key, value = line[level:space], line[space + 1 :]
            if key.startswith("["):
                raise NotModelled(f"{where}: configuration groups ({key}) are not modelled by stratatest")
            if not value:
                raise ConfigError(f"{where}: key {key!r} has an empty value")
            if current is None:
                raise ConfigError(f"{where}: {key!r} is outside any [SECTION]")
            current.append((key.strip().lower(), value.strip()))


def _indent_level(line: str, indent: str, where: str) -> int:
    """`check_indent`: the file's first indentation, exactly; or twice it (group content)."""
    if not line.startswith(indent):
        common = 0
        while common < len(line) and line[common] == indent[common]:
            common += 1
        at = line[common : common + 1]
        reason = "inconsistent use of tab and space" if at and at in _BLANK else "indentation level is too low"
        raise ConfigError(f"{where}: invalid indentation level ({reason}): {line!r}")
    level = len(indent)
    if level < len(line) and line[level] in _BLANK:
        extra = 0
        while level + extra < len(line) and line[level + extra] in _BLANK:
            extra += 1
        if extra != len(indent):
            raise ConfigError(f"{where}: invalid indentation level (extra indentation): {line!r}")
        level += extra
    return level


# --------------------------------------------------------------------------------------------------------------
# The configuration a rendered workload actually loads

IMAGE_DEFAULT_CONFIG = "/fluent-bit/etc/fluent-bit.conf"  # the official image's CMD: -c /fluent-bit/etc/fluent-bit.conf


@dataclass(frozen=True)
class Deployed:
    """A rendered Fluent Bit workload and the configuration its container reads."""

    workload: Any  # stratatest.charts.Manifest
    container: dict[str, Any]
    config_path: str
    config: Config


def deployed_config(manifests: Any, *, kind: str = "DaemonSet") -> Deployed:
    """The Fluent Bit configuration a rendered workload loads: `-c`/`--config` (or the image default), read from
    the ConfigMap mounted at that file's directory, `${VAR}` resolved from the container's `env`.

    `manifests` is a `stratatest.charts.Manifests`. A Secret- or ConfigMap-sourced variable resolves to a marker
    (`<secret/key>`): its value is not in the chart, but the variable being defined is what Fluent Bit needs.
    """
    workload = manifests.find(kind=kind)
    pod = workload.pod_spec or {}
    candidates = [c for c in pod.get("containers") or [] if "fluent-bit" in str(c.get("image", ""))]
    if len(candidates) != 1:
        raise ConfigError(f"{workload.ref}: expected one fluent-bit container, found {len(candidates)}")
    container = candidates[0]
    args = [*(container.get("command") or [])[1:], *(container.get("args") or [])]
    config_path = IMAGE_DEFAULT_CONFIG
    for index, arg in enumerate(args):
        if arg.startswith("--config="):
            config_path = arg.split("=", 1)[1]
        elif arg in ("-c", "--config") and index + 1 < len(args):
            config_path = args[index + 1]
    directory = str(PurePosixPath(config_path).parent)
    mounts = {m["name"]: m for m in container.get("volumeMounts") or []}
    found = [
        (mounts[v["name"]], v["configMap"]["name"])
        for v in pod.get("volumes") or []
        if "configMap" in v and v["name"] in mounts and mounts[v["name"]]["mountPath"].rstrip("/") == directory
    ]
    if len(found) != 1:
        raise ConfigError(f"{workload.ref}: no ConfigMap is mounted at {directory}, where it reads {config_path}")
    mount, configmap = found[0]
    if "subPath" in mount:
        raise NotModelled(f"{workload.ref}: a subPath ConfigMap mount is not modelled (and never receives updates)")
    data = manifests.find(kind="ConfigMap", name=configmap).body.get("data") or {}
    env = {}
    for entry in container.get("env") or []:
        source = entry.get("valueFrom") or {}
        ref = source.get("secretKeyRef") or source.get("configMapKeyRef")
        env[entry["name"]] = str(entry.get("value", f"<{ref['name']}/{ref['key']}>" if ref else "<from the pod>"))
    if container.get("envFrom"):
        raise NotModelled(f"{workload.ref}: envFrom is not modelled (its variable names are not in the chart)")
    config = Config.load(data, PurePosixPath(config_path).name, directory=directory, env=env)
    return Deployed(workload, container, config_path, config)
