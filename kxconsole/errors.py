"""One error tree for kxconsole.

Every error carries a human ``message`` (what was attempted, where, what went wrong, what to
do) and a short ``title`` for toasts and CLI headings. Errors raised about a host name it in
``host``. The tree::

    KxError
    ├── ConnectError            cannot reach the host (DNS, refused, handshake timeout, dropped)
    │   ├── AuthError           the host refused our credentials
    │   └── HostKeyError        host key unknown (strict policy) or changed (any policy)
    ├── CommandError            a command exited non-zero (exit code, stdout, stderr, command)
    │   └── FatalCommandError   the same, raised by ``must_run`` for callers that cannot go on
    ├── CommandTimeout          a command or wait ran past its timeout (remote process killed)
    ├── SudoError               sudo refused: wrong password, not in sudoers, needs a tty, or
    │                           a password is needed and none was given (``reason`` says which)
    ├── TemplateError           a Jinja2 template failed to parse or render (names the line)
    ├── ValidationError         a caller value can never be valid (user ``a;b``, mode ``999``)
    ├── InventoryError          an inventory file is wrong (names file and line)
    └── ConfigError             a config, theme or keymap file is wrong (names file and line)

Messages never contain secrets: values of :class:`kxconsole.secrets.Secret` render masked,
and commands are redacted before they are put into an error.
"""

from __future__ import annotations


class KxError(Exception):
    """Base of every kxconsole error."""

    title = "Error"

    def __init__(self, message: str, *, title: str | None = None, host: str | None = None):
        super().__init__(message)
        self.message = message
        self.host = host
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class ConnectError(KxError):
    title = "Connection failed"


class AuthError(ConnectError):
    title = "Authentication failed"


class HostKeyError(ConnectError):
    title = "Host key not trusted"

    def __init__(
        self,
        message: str,
        *,
        host: str | None = None,
        fingerprint: str | None = None,
        changed: bool = False,
    ):
        super().__init__(message, host=host)
        self.fingerprint = fingerprint
        self.changed = changed


class CommandError(KxError):
    title = "Command failed"

    def __init__(
        self,
        message: str,
        *,
        host: str | None = None,
        command: str = "",
        exit_code: int | None = None,
        stdout: bytes = b"",
        stderr: bytes = b"",
    ):
        super().__init__(message, host=host)
        self.command = command
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr


class FatalCommandError(CommandError):
    title = "Command failed (fatal)"


class CommandTimeout(KxError):
    title = "Timed out"

    def __init__(
        self, message: str, *, host: str | None = None, command: str = "", timeout: float = 0
    ):
        super().__init__(message, host=host)
        self.command = command
        self.timeout = timeout


class SudoError(KxError):
    """sudo refused to run the command. ``reason`` is one of ``wrong_password``,
    ``not_in_sudoers``, ``requires_tty``, ``password_required``, ``unknown``."""

    title = "sudo refused"

    def __init__(self, message: str, *, host: str | None = None, reason: str = "unknown"):
        super().__init__(message, host=host)
        self.reason = reason


class TemplateError(KxError):
    title = "Template error"

    def __init__(
        self, message: str, *, template: str | None = None, line: int | None = None
    ):
        super().__init__(message)
        self.template = template
        self.line = line


class ValidationError(KxError):
    title = "Invalid value"


class InventoryError(KxError):
    title = "Inventory error"

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.path = path
        self.line = line


class ConfigError(KxError):
    title = "Configuration error"

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.path = path
        self.line = line
