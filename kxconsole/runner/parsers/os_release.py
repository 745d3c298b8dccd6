"""Parsers for the files that name a Linux distribution.

``/etc/os-release`` is the source (see os-release(5)); ``/etc/redhat-release`` and
``/etc/lsb-release`` are read only on old hosts that have no os-release.
"""

from __future__ import annotations

import re
import shlex

from kxconsole.runner.models import OSInfo

_PARENTHESISED = re.compile(r"\(([^()]*)\)")
_REDHAT_RELEASE = re.compile(
    r"^(?P<name>.+?)\s+release\s+(?P<version>\S+)(?:\s+\S+)*?\s*(?:\((?P<codename>[^)]*)\))?\s*$"
)


def parse_key_values(text: str) -> dict[str, str]:
    """``KEY=value`` lines as in os-release(5): shell quoting, ``#`` comments, blank lines.

    A line whose quoting is broken keeps its raw value with the outer quotes stripped, so one
    bad line does not lose the rest of the file.
    """
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        if not key.replace("_", "").isalnum():
            continue
        try:
            words = shlex.split(value, comments=False, posix=True)
            values[key] = " ".join(words)
        except ValueError:
            values[key] = value.strip().strip("\"'")
    return values


def _codename(values: dict[str, str]) -> str:
    """VERSION_CODENAME when the file has the key (Fedora states it empty on purpose), else
    UBUNTU_CODENAME, else the parenthesised part of VERSION ("8 (Core)" → "Core") unless that
    is the VARIANT ("Workstation Edition") or "LTS", which are not codenames."""
    if "VERSION_CODENAME" in values:
        return values["VERSION_CODENAME"]
    if values.get("UBUNTU_CODENAME"):
        return values["UBUNTU_CODENAME"]
    match = _PARENTHESISED.search(values.get("VERSION", ""))
    if match is None:
        return ""
    word = match.group(1).strip()
    return "" if word in (values.get("VARIANT", ""), "LTS") else word


def parse_os_release(text: str) -> OSInfo:
    """os-release text → :class:`OSInfo` (``arch`` and ``kernel`` are left empty).

    Raises ValueError when the text names no distribution (no ID and no NAME).
    """
    values = parse_key_values(text)
    os_id = values.get("ID", "").lower()
    if not os_id and not values.get("NAME"):
        raise ValueError("os-release has neither ID nor NAME")
    if not os_id:
        os_id = values["NAME"].split()[0].lower()
    return OSInfo(
        id=os_id,
        version_id=values.get("VERSION_ID", ""),
        pretty_name=values.get("PRETTY_NAME") or values.get("NAME", ""),
        codename=_codename(values),
        id_like=values.get("ID_LIKE", "").lower().split(),
    )


_REDHAT_IDS = {
    "centos": "centos",
    "red hat": "rhel",
    "rocky": "rocky",
    "almalinux": "almalinux",
    "fedora": "fedora",
    "oracle": "ol",
    "amazon": "amzn",
    "scientific": "scientific",
    "cloudlinux": "cloudlinux",
}


def parse_redhat_release(text: str) -> OSInfo:
    """``CentOS release 6.10 (Final)`` → OSInfo, for RHEL-family hosts without os-release."""
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    match = _REDHAT_RELEASE.match(line)
    if match is None:
        raise ValueError(f"not a redhat-release line: {line[:80]!r}")
    name = match.group("name")
    os_id = next(
        (v for k, v in _REDHAT_IDS.items() if name.lower().startswith(k)),
        name.split()[0].lower(),
    )
    return OSInfo(
        id=os_id,
        version_id=match.group("version"),
        pretty_name=line,
        codename=(match.group("codename") or "").strip(),
        id_like=[] if os_id in ("rhel", "fedora") else ["rhel", "fedora"],
    )


def parse_lsb_release(text: str) -> OSInfo:
    """``/etc/lsb-release`` (DISTRIB_ID, DISTRIB_RELEASE, …) → OSInfo, for old hosts."""
    values = parse_key_values(text)
    if not values.get("DISTRIB_ID"):
        raise ValueError("lsb-release has no DISTRIB_ID")
    os_id = values["DISTRIB_ID"].lower()
    return OSInfo(
        id=os_id,
        version_id=values.get("DISTRIB_RELEASE", ""),
        pretty_name=values.get("DISTRIB_DESCRIPTION", values["DISTRIB_ID"]),
        codename=values.get("DISTRIB_CODENAME", ""),
        id_like=["debian"] if os_id == "ubuntu" else [],
    )
