"""User-facing errors: one line that says what is wrong and what to do, never a traceback."""


class StratatestError(Exception):
    """An error the user can act on. The CLI and the pytest plugin print `str(err)` alone."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} — {hint}" if hint else message)


class ToolMissing(StratatestError):
    """A binary or provider the suite needs is not installed."""


class ConfigError(StratatestError):
    """Bad input: malformed HCL, unknown control id, bad option value."""


class TargetError(StratatestError):
    """The target (emulator or account) cannot be started, reached or trusted."""


class TerraformFailed(StratatestError):
    """A terraform command failed; the message carries the command line and terraform's own error."""


class ScanFailed(StratatestError):
    """A static scanner (Checkov) gave no usable report: it crashed, could not parse a file, or scanned nothing."""
