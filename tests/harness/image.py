"""The Debian image the isolated test hosts boot from: built once by debootstrap, cached under
``/var/cache/kxconsole-test-image/<recipe hash>`` (rebuilt when the recipe below changes), built
in a temp dir and renamed into place under a lock, so concurrent pytest processes build it once.

The image holds no secrets and no test users: those are a per-session overlay layer
(see hosts.py), so one image serves every session.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.harness.procs import HarnessError

IMAGE_ROOT = Path(os.environ.get("KXCONSOLE_TEST_IMAGE_ROOT", "/var/cache/kxconsole-test-image"))
SUITE = "bookworm"
# curl: the runner's download tests; unzip: its extract tests. No python3: the runner must not
# need Python on a target.
PACKAGES = ("openssh-server", "sudo", "iproute2", "procps", "curl", "unzip", "ca-certificates")
# .debs fetched into the image's apt cache, so installing them in a test needs no download
PRECACHED = ("hello", "sl")
COMPLETE_MARK = ".kx-image-complete"
BUILD_TIMEOUT = 900  # seconds; debootstrap alone takes about a minute

# a sysvinit service the runner's service tests start, stop, enable and disable
KXTESTD = """#!/bin/sh
### BEGIN INIT INFO
# Provides:          kxtestd
# Required-Start:    $local_fs
# Required-Stop:     $local_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: kxconsole test daemon (it only sleeps)
### END INIT INFO
PIDFILE=/run/kxtestd.pid
DAEMON=/usr/bin/sleep
case "$1" in
  start) start-stop-daemon --start --quiet --oknodo --background --make-pidfile \\
           --pidfile $PIDFILE --exec $DAEMON -- 1000000 ;;
  stop) start-stop-daemon --stop --quiet --oknodo --retry 5 --pidfile $PIDFILE --exec $DAEMON
        rm -f $PIDFILE ;;
  restart|force-reload) "$0" stop && "$0" start ;;
  status) start-stop-daemon --status --pidfile $PIDFILE --exec $DAEMON ;;
  *) echo "Usage: $0 {start|stop|restart|status}" >&2; exit 3 ;;
esac
"""

CHROOT_STEPS = f"""set -e
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
apt-get update -qq
apt-get install -y -qq --download-only {" ".join(PRECACHED)}
# every test host gets a host key of its own at start
rm -f /etc/ssh/ssh_host_*
"""


def mirror() -> str:
    """The Debian mirror of this machine's own apt sources (deb822 or one-line format)."""
    texts = []
    for path in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        texts += path.read_text(errors="replace").split("\n\n")
    for stanza in texts:
        fields = dict(re.findall(r"^(\w[\w-]*):\s*(.+)$", stanza, re.M))
        if SUITE in fields.get("Suites", "").split():
            return str(fields.get("URIs", "").split()[0])
    sources_list = Path("/etc/apt/sources.list")
    if sources_list.exists():
        for line in sources_list.read_text(errors="replace").splitlines():
            m = re.match(r"\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)", line)
            if m and m.group(2) == SUITE:
                return m.group(1)
    return "http://deb.debian.org/debian"


def recipe() -> str:
    return "\n".join(
        ["v1", SUITE, mirror(), *PACKAGES, "precached", *PRECACHED, KXTESTD, CHROOT_STEPS]
    )


def image_path() -> Path:
    digest = hashlib.sha256(recipe().encode()).hexdigest()[:12]
    return IMAGE_ROOT / f"{SUITE}-{digest}"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # waits while another pytest process builds
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def ensure_image() -> Path:
    """The image's root directory, built first if this recipe has none yet."""
    path = image_path()
    if (path / COMPLETE_MARK).exists():
        return path
    for tool, package in (("debootstrap", "debootstrap"), ("unshare", "util-linux")):
        if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None:
            raise HarnessError(
                f"the isolated-host harness needs `{tool}` (Debian package {package}); install "
                "it (.ci/run does) — these tests fail rather than skip without it"
            )
    IMAGE_ROOT.mkdir(parents=True, exist_ok=True)
    with _locked(IMAGE_ROOT / ".lock"):
        if (path / COMPLETE_MARK).exists():
            return path
        for stale in IMAGE_ROOT.glob(".build-*"):  # left by a build that was killed
            shutil.rmtree(stale, ignore_errors=True)
        build = IMAGE_ROOT / f".build-{path.name}-{os.getpid()}"
        try:
            _build(build)
            os.rename(build, path)
        finally:
            shutil.rmtree(build, ignore_errors=True)
    return path


def _run_logged(argv: list[str], log: Path, what: str) -> None:
    with log.open("ab") as out:
        proc = subprocess.run(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, timeout=BUILD_TIMEOUT
        )
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise HarnessError(f"building the test image failed at {what} (log {log}):\n{tail}")


def _build(root: Path) -> None:
    log = IMAGE_ROOT / f"{root.name.lstrip('.')}.log"
    started = time.monotonic()
    _run_logged(
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(PACKAGES)}",
            SUITE,
            str(root),
            mirror(),
        ],
        log,
        "debootstrap",
    )
    init_script = root / "etc/init.d/kxtestd"
    init_script.write_text(KXTESTD)
    init_script.chmod(0o755)
    # chroot steps in a throw-away mount + PID namespace, with /proc and the host's /dev nodes
    r = shlex.quote(str(root))
    setup = f"set -e\nmount -t proc proc {r}/proc\n"
    for dev in ("null", "zero", "random", "urandom"):
        setup += f"touch {r}/dev/{dev}\nmount --bind /dev/{dev} {r}/dev/{dev}\n"
    setup += f"cp /etc/resolv.conf {r}/etc/resolv.conf\n"
    setup += f"exec chroot {r} sh -c {shlex.quote(CHROOT_STEPS)}\n"
    _run_logged(
        [
            "unshare",
            "--mount",
            "--pid",
            "--fork",
            "--kill-child",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            setup,
        ],
        log,
        "the chroot steps",
    )
    (root / COMPLETE_MARK).write_text(f"{recipe()}\nbuilt in {time.monotonic() - started:.0f} s\n")
