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


class SandboxRefused(StratatestError):
    """A real account was refused by the sandbox guard (no opt-in, not allowlisted, denylisted, wrong region,
    or the credentials answer for another account): nothing was created. The CLI exits with EXIT_REFUSED."""


class NotAssessable(StratatestError):
    """The target cannot serve what a test needs (a service it lacks): the test is skipped with this reason and
    recorded *not assessed*, never failed and never passed."""


#: Exit codes the CLI and the plugin share: a user's mistake or a missing tool, and a refused real account.
EXIT_ERROR = 3
EXIT_REFUSED = 6
