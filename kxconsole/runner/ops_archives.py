"""Downloads and archive extraction as pure plans.

``download`` uses curl (``-fsSL``, so an HTTP error fails) or else wget on the host, whichever
``command -v`` finds; it writes to a temp file in the destination directory, checks the
optional SHA-256 there, then renames it into place (atomic: a reader never sees half a file).
A file already present is kept when no checksum is given or its checksum matches.

``extract`` picks the tool by suffix (.tar, .tar.gz/.tgz, .tar.bz2/.tbz2, .tar.xz/.txz, .zip)
and records what it unpacked in a marker file ``<dest>/.kx-extracted-<sha256 of archive>``:
when that marker is there, the same archive was already extracted and nothing runs; a new
archive replaces the old marker. Archives are unpacked with ``--no-same-owner`` (files belong
to whoever extracts, not to the archive's uids).

``download_and_extract`` keeps the archive at ``<dest>/.kx-downloads/<name>``, so running it
again needs no network and changes nothing.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from urllib.parse import urlsplit

from kxconsole.errors import CommandError, ValidationError
from kxconsole.runner.ops_core import Operation, Plan, ProbeResult, Shell, Step
from kxconsole.runner.quoting import (
    q,
    qpath,
    validate_path,
    validate_sha256,
    validate_url,
)

MARKER_PREFIX = ".kx-extracted-"
DOWNLOADS_DIR = ".kx-downloads"

_TAR_FLAGS = {".tar.gz": "z", ".tgz": "z", ".tar.bz2": "j", ".tbz2": "j", ".tar.xz": "J",
              ".txz": "J", ".tar": ""}
_ZIP_TOOLS = {
    "unzip": "unzip -o -q {archive} -d {dest}",
    "bsdtar": "bsdtar -xf {archive} -C {dest}",
    "python3": "python3 -m zipfile -e {archive} {dest}",
}


def archive_kind(path: str) -> str:
    """The archive suffix that decides the tool (``.tar.gz``, ``.zip``, …)."""
    lower = path.lower()
    for suffix in (*_TAR_FLAGS, ".zip"):
        if lower.endswith(suffix):
            return suffix
    raise ValidationError(
        f"cannot tell how to extract {path!r}: supported suffixes are .tar, .tar.gz, .tgz, "
        ".tar.bz2, .tbz2, .tar.xz, .txz and .zip"
    )


def _tagged(output: str) -> dict[str, list[str]]:
    """``key value`` lines → {key: [values]}."""
    tags: dict[str, list[str]] = {}
    for line in output.splitlines():
        key, _, value = line.strip().partition(" ")
        tags.setdefault(key, []).append(value.strip())
    return tags


def _parent(path: str) -> str:
    return posixpath.dirname(path.rstrip("/")) or "."


def download_op(
    url: str, dest_path: str, sudo: bool = False, sha256: str | None = None
) -> Operation:
    url = validate_url(url)
    dest = validate_path(dest_path)
    want = validate_sha256(sha256) if sha256 else None
    d, parent = qpath(dest), _parent(dest)
    probe = Shell(
        f"if [ -d {d} ]; then echo 'sha dir'; elif [ -f {d} ]; then printf 'sha '; "
        f"sha256sum < {d}; else echo 'sha -'; fi; "
        f"if [ -d {qpath(parent)} ]; then echo 'dir present'; else echo 'dir absent'; fi; "
        "if command -v curl >/dev/null 2>&1; then echo 'tool curl'; "
        "elif command -v wget >/dev/null 2>&1; then echo 'tool wget'; else echo 'tool none'; fi",
        sudo=sudo,
    )

    def plan(results: Mapping[str, ProbeResult]) -> Plan:
        tags = _tagged(results["state"].stdout)
        have = (tags.get("sha") or ["-"])[0][:64]
        if have == "dir":
            raise CommandError(f"cannot download to {dest}: it is a directory; name the file")
        if have != "-" and (want is None or have == want):
            return Plan([], f"{dest} already downloaded")
        tool = (tags.get("tool") or ["none"])[0]
        if tool == "none":
            raise CommandError(
                f"cannot download {url}: neither curl nor wget is installed on the host; "
                "install one of them (install_packages curl) and retry",
                command="command -v curl wget",
            )
        fetch = (
            f"curl -fsSL --connect-timeout 30 --retry 2 -o \"$tmp\" {q(url)}"
            if tool == "curl"
            else f"wget -q --timeout=60 --tries=3 -O \"$tmp\" {q(url)}"
        )
        verify = (
            f"got=$(sha256sum < \"$tmp\" | cut -c1-64); [ \"$got\" = {want} ] || "
            f"{{ echo \"sha256 mismatch: expected {want}, got $got\" >&2; exit 1; }}; "
            if want
            else ""
        )
        script = (
            f"set -e; tmp=$(mktemp {qpath(parent + '/.kx-download.XXXXXX')}); "
            f"trap 'rm -f \"$tmp\"' EXIT; {fetch}; {verify}"
            f"chmod 0644 \"$tmp\"; mv -f \"$tmp\" {d}"
        )
        steps: list[Step] = []
        if (tags.get("dir") or ["absent"])[0] != "present":
            steps.append(Shell(f"mkdir -p {qpath(parent)}", sudo=sudo, what=f"create {parent}"))
        steps.append(Shell(script, sudo=sudo, what=f"download {url} to {dest}"))
        return Plan(steps, f"download {url} to {dest}")

    return Operation({"state": probe}, plan)


def extract_op(
    archive_path: str, dest_dir: str, sudo: bool = False, archive_pending: bool = False
) -> Operation:
    """``archive_pending``: the archive is still to be downloaded (dry-run of
    download_and_extract), so plan the extraction without probing it."""
    archive, dest = validate_path(archive_path), validate_path(dest_dir)
    kind = archive_kind(archive)
    a, d = qpath(archive), qpath(dest)
    script = (
        f"if [ -f {a} ]; then printf 'sha '; sha256sum < {a}; else echo 'sha -'; fi; "
        f"if [ -d {d} ]; then echo 'dir present'; else echo 'dir absent'; fi; "
        f"for m in {d}/{MARKER_PREFIX}*; do "
        f"[ -e \"$m\" ] && echo \"marker ${{m##*/{MARKER_PREFIX}}}\"; done; "
    )
    if kind == ".zip":
        found = [f"command -v {t} >/dev/null 2>&1; then echo 'tool {t}'" for t in _ZIP_TOOLS]
        script += "if " + "; elif ".join(found) + "; else echo 'tool none'; fi; "
    script += "true"

    def plan(results: Mapping[str, ProbeResult]) -> Plan:
        tags = _tagged(results["state"].stdout)
        sha = (tags.get("sha") or ["-"])[0][:64]
        if sha == "-" and not archive_pending:
            raise CommandError(f"cannot extract {archive}: no such file", command="extract")
        if sha != "-" and not archive_pending and sha in tags.get("marker", []):
            return Plan([], f"{archive} already extracted to {dest}")
        steps: list[Step] = []
        if (tags.get("dir") or ["absent"])[0] != "present":
            steps.append(Shell(f"mkdir -p {d}", sudo=sudo, what=f"create {dest}"))
        if kind == ".zip":
            tool = (tags.get("tool") or ["none"])[0]
            if tool not in _ZIP_TOOLS:
                raise CommandError(
                    f"cannot extract {archive}: no unzip, bsdtar or python3 on the host; "
                    "install unzip and retry",
                    command="command -v unzip bsdtar python3",
                )
            cmd = _ZIP_TOOLS[tool].format(archive=a, dest=d)
        else:
            cmd = f"tar --no-same-owner -x{_TAR_FLAGS[kind]}f {a} -C {d}"
        steps.append(Shell(cmd, sudo=sudo, what=f"extract {archive} to {dest}"))
        marker_sha = sha if sha != "-" and not archive_pending else None
        marker = (
            f"{d}/{MARKER_PREFIX}{marker_sha}"
            if marker_sha
            else f"{d}/{MARKER_PREFIX}\"$(sha256sum < {a} | cut -c1-64)\""
        )
        steps.append(
            Shell(f"rm -f {d}/{MARKER_PREFIX}* && touch {marker}", sudo=sudo, what="mark extracted")
        )
        return Plan(steps, f"extract {archive} to {dest}")

    return Operation({"state": Shell(script, sudo=sudo)}, plan)


def download_archive_path(url: str, dest_dir: str) -> str:
    """Where ``download_and_extract`` keeps the archive: ``<dest>/.kx-downloads/<name>``."""
    name = posixpath.basename(urlsplit(validate_url(url)).path)
    if not name:
        raise ValidationError(f"cannot name the archive of {url!r}: its path has no file name")
    archive_kind(name)
    return f"{validate_path(dest_dir).rstrip('/') or '/'}/{DOWNLOADS_DIR}/{name}"
