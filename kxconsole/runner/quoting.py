"""Validation and shell quoting of caller values.

Every value a caller hands the runner reaches the shell through :func:`q` (``shlex.quote``),
so spaces, quotes, ``$``, ``;``, backquotes and newlines are data, never code. Values that can
never be valid (a user called ``a;b``, mode ``999``, a hostname with a space) are refused with
:class:`~kxconsole.errors.ValidationError` *before* anything runs, by the ``validate_*``
functions below, which return the normalised value.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
import shlex
from collections.abc import Iterable
from urllib.parse import urlsplit

from kxconsole.connector.base import parse_mode
from kxconsole.errors import ValidationError
from kxconsole.secrets import MASK, Secret

_USER_RE = re.compile(r"^[a-z_][a-z0-9_-]*[$]?$")
_LABEL_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
# Debian and RPM package names plus the pins operators write: nginx=1.18*, libc6:amd64,
# kernel-devel-5.14, python3.11, g++
_PACKAGE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+:~=*@-]*$")
# systemd unit names (foo.service, getty@tty1.service) and init.d script names
_SERVICE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9@._:+-]*$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_URL_PASSWORD_RE = re.compile(r"(://[^:/@\s]+:)[^@/\s]+@")


def q(value: str) -> str:
    """The shell-quoted form of ``value`` (a single word for ``sh``)."""
    return shlex.quote(value)


def qpath(path: str) -> str:
    """A quoted path that can never be read as an option (``-rf`` → ``./-rf``)."""
    path = validate_path(path)
    return q("./" + path if path.startswith("-") else path)


def validate_path(path: str) -> str:
    if not isinstance(path, str) or not path:
        raise ValidationError("a path is required (got an empty value)")
    if "\0" in path:
        raise ValidationError(f"path {path!r} contains a NUL byte; no file can have that name")
    return path


def validate_removable(path: str) -> str:
    """Refuse to remove the root directory (``/``, ``//``, ``/./``, ``/..``)."""
    path = validate_path(path)
    if posixpath.normpath(path) in ("/", "//"):
        raise ValidationError(f"refusing to remove {path!r}: it is the root directory")
    return path


def validate_mode(mode: str | int) -> str:
    """An octal file mode (``"644"``, ``"0644"``, ``0o644``) → ``"0644"``; ``"999"``,
    ``"12345"`` and ``"abc"`` are refused."""
    value = parse_mode(mode)
    if value is None:
        raise ValidationError("a file mode is required, such as '0644'")
    return format(value, "04o")


def validate_username(name: str, what: str = "user name") -> str:
    """POSIX-portable user and group names: ``^[a-z_][a-z0-9_-]*[$]?$``, at most 32."""
    if not isinstance(name, str) or not _USER_RE.match(name) or len(name) > 32:
        raise ValidationError(
            f"{what} {name!r} is not valid: use lower-case letters, digits, '_' and '-', "
            "starting with a letter or '_', at most 32 characters"
        )
    return name


def validate_groupname(name: str) -> str:
    return validate_username(name, "group name")


def validate_owner(name: str, what: str) -> str:
    """A user or group for chown: a valid name or a numeric id."""
    if isinstance(name, str) and name.isdigit():
        return name
    return validate_username(name, what)


def validate_hostname(name: str) -> str:
    """An RFC 1123 host name (dots allowed, labels of letters, digits and inner hyphens)."""
    labels = name.split(".") if isinstance(name, str) else []
    if (
        not isinstance(name, str)
        or not name
        or len(name) > 253
        or not all(_LABEL_RE.match(label) for label in labels)
    ):
        raise ValidationError(
            f"host name {name!r} is not valid: use letters, digits and '-' in dot-separated "
            "labels of 1-63 characters (RFC 1123), at most 253 in all"
        )
    return name


def validate_ip(ip: str) -> str:
    """An IPv4 or IPv6 address, returned in its canonical form."""
    try:
        return str(ipaddress.ip_address(ip.strip() if isinstance(ip, str) else ip))
    except ValueError:
        raise ValidationError(f"{ip!r} is not an IPv4 or IPv6 address") from None


def validate_package(name: str) -> str:
    if not isinstance(name, str) or not _PACKAGE_RE.match(name):
        raise ValidationError(
            f"package name {name!r} is not valid: no spaces, no leading '-', only letters, "
            "digits and . + - _ : ~ = * @"
        )
    return name


def validate_packages(names: Iterable[str]) -> list[str]:
    result = [validate_package(n) for n in names]
    if not result:
        raise ValidationError("no package names given")
    return list(dict.fromkeys(result))  # drop repeats, keep order


def validate_service(name: str) -> str:
    if not isinstance(name, str) or not _SERVICE_RE.match(name) or len(name) > 256:
        raise ValidationError(
            f"service name {name!r} is not valid: no '/', no spaces, no leading '-'; "
            "letters, digits and @ . _ : + - only"
        )
    return name


def validate_port(port: int) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValidationError(f"port {port!r} is not a TCP port (1-65535)")
    return port


def validate_sha256(digest: str) -> str:
    value = digest.strip().lower() if isinstance(digest, str) else ""
    if not _SHA256_RE.match(value):
        raise ValidationError(f"{digest!r} is not a SHA-256 digest (64 hex digits)")
    return value


def validate_url(url: str) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https", "ftp")
        or not parts.netloc
        or any(c.isspace() or ord(c) < 32 for c in url)
    ):
        raise ValidationError(f"{url!r} is not an http, https or ftp URL without spaces")
    return url


def validate_absolute(path: str, what: str) -> str:
    path = validate_path(path)
    if not path.startswith("/") or any(c.isspace() for c in path):
        raise ValidationError(f"{what} {path!r} must be an absolute path without spaces")
    return path


def redact(text: str, secrets: Iterable[Secret | str | None] = ()) -> str:
    """``text`` with every secret value and every URL password masked."""
    for secret in secrets:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value:
            text = text.replace(value, MASK)
    return _URL_PASSWORD_RE.sub(rf"\g<1>{MASK}@", text)
