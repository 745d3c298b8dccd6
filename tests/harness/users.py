"""The test users, their keys and the files that define them (passwd, shadow, group, sudoers,
homes), written into a directory tree that is later mounted over a system's own files — never
onto the real machine's /etc.

| user      | login            | sudo                                               |
|-----------|------------------|----------------------------------------------------|
| kxkey     | key (2 keys)     | ``NOPASSWD: ALL``                                  |
| kxpass    | password         | ``ALL`` with password, ``timestamp_timeout=0``     |
| kxnosudo  | password         | none                                               |
| kxtty     | key and password | ``NOPASSWD: ALL`` but ``requiretty``               |
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh


@dataclass(frozen=True)
class TestUser:
    __test__ = False  # not a pytest test class

    name: str
    key_login: bool
    password_login: bool
    sudoers: str  # lines for the sudoers drop-in ("" = no sudo)


TEST_USERS = (
    TestUser("kxkey", True, False, "kxkey ALL=(ALL:ALL) NOPASSWD: ALL\n"),
    TestUser(
        "kxpass",
        False,
        True,
        # without timestamp_timeout=0 sudo caches a right password and a later wrong one passes
        "Defaults:kxpass timestamp_timeout=0\nkxpass ALL=(ALL:ALL) ALL\n",
    ),
    TestUser("kxnosudo", False, True, ""),
    TestUser("kxtty", True, True, "Defaults:kxtty requiretty\nkxtty ALL=(ALL:ALL) NOPASSWD: ALL\n"),
)
SUDOERS_FILE = "kxconsole-test"


@dataclass(frozen=True)
class ClientKeys:
    key_path: Path  # unencrypted ed25519, authorised for every key-login user
    encrypted_key_path: Path  # ed25519, OpenSSH format with a passphrase, authorised for kxkey only
    passphrase: str = field(repr=False)
    public_line: str
    encrypted_public_line: str


def make_client_keys(directory: Path, passphrase: str) -> ClientKeys:
    directory.mkdir(parents=True, exist_ok=True)
    plain = asyncssh.generate_private_key("ssh-ed25519", comment="kxconsole-test")
    locked = asyncssh.generate_private_key("ssh-ed25519", comment="kxconsole-test-encrypted")
    key_path = directory / "id_ed25519"
    encrypted_path = directory / "id_ed25519_encrypted"
    _write_private(key_path, plain.export_private_key("openssh"))
    # OpenSSH's own format with its bcrypt KDF: what `ssh-keygen -N` writes, so the test
    # proves operators' real encrypted keys work (needs asyncssh's bcrypt extra)
    _write_private(encrypted_path, locked.export_private_key("openssh", passphrase))
    key_path.with_suffix(".pub").write_bytes(plain.export_public_key("openssh"))
    encrypted_path.with_name(encrypted_path.name + ".pub").write_bytes(
        locked.export_public_key("openssh")
    )
    return ClientKeys(
        key_path,
        encrypted_path,
        passphrase,
        plain.export_public_key("openssh").decode().strip(),
        locked.export_public_key("openssh").decode().strip(),
    )


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def hash_password(password: str) -> str:
    """SHA-512 crypt hash; the password goes over stdin, never argv."""
    out = subprocess.run(
        ["openssl", "passwd", "-6", "-stdin"],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def free_ids(passwd: str, group: str, count: int, start: int = 2900) -> list[int]:
    """``count`` numbers free as both uid and gid (each user gets a group of its own)."""
    used = {int(line.split(":")[2]) for line in passwd.splitlines() if line.count(":") >= 3}
    used |= {int(line.split(":")[2]) for line in group.splitlines() if line.count(":") >= 3}
    ids: list[int] = []
    n = start
    while len(ids) < count:
        if n not in used:
            ids.append(n)
        n += 1
    return ids


def write_user_layer(
    base_etc: Path, out: Path, keys: ClientKeys, password: str, home_prefix: str = "/home"
) -> dict[str, int]:
    """Write ``out/etc/{passwd,shadow,group,gshadow}`` (the base system's files plus the test
    users), ``out/etc/sudoers.d/`` and ``out/home/<user>``; returns user → uid.

    ``out`` is laid out like a root filesystem so it can be bind-mounted file by file (tier 1)
    or used as an overlay layer (tier 2)."""
    etc = out / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    passwd = (base_etc / "passwd").read_text()
    group = (base_etc / "group").read_text()
    ids = free_ids(passwd, group, len(TEST_USERS))
    pw_hash = hash_password(password)
    uids: dict[str, int] = {}
    add: dict[str, list[str]] = {"passwd": [], "shadow": [], "group": [], "gshadow": []}
    for user, uid in zip(TEST_USERS, ids, strict=True):
        uids[user.name] = uid
        home_dir = f"{home_prefix}/{user.name}"
        # "*" (no password) rather than "!" (locked): sshd refuses key logins of locked users
        secret = pw_hash if user.password_login else "*"
        add["passwd"].append(f"{user.name}:x:{uid}:{uid}:kxconsole test:{home_dir}:/bin/bash")
        add["shadow"].append(f"{user.name}:{secret}:19000:0:99999:7:::")
        add["group"].append(f"{user.name}:x:{uid}:")
        add["gshadow"].append(f"{user.name}:!::")
    for name, lines in add.items():
        src = base_etc / name
        if not src.exists():
            continue
        dst = etc / name
        shutil.copy2(src, dst)
        st = src.stat()
        os.chown(dst, st.st_uid, st.st_gid)
        text = dst.read_text()
        if text and not text.endswith("\n"):
            text += "\n"
        dst.write_text(text + "\n".join(lines) + "\n")

    sudoers_d = etc / "sudoers.d"
    sudoers_d.mkdir(exist_ok=True)
    os.chmod(sudoers_d, 0o755)
    drop_in = sudoers_d / SUDOERS_FILE
    drop_in.write_text("".join(u.sudoers for u in TEST_USERS))
    os.chown(drop_in, 0, 0)
    os.chmod(drop_in, 0o440)  # sudo ignores drop-ins that are not root-owned and 0440

    homes = out / "home"
    homes.mkdir(exist_ok=True)
    os.chmod(homes, 0o755)
    for user in TEST_USERS:
        uid = uids[user.name]
        home = homes / user.name
        ssh_dir = home / ".ssh"
        ssh_dir.mkdir(parents=True, exist_ok=True)
        if user.key_login:
            lines = [keys.public_line]
            if user.name == "kxkey":
                lines.append(keys.encrypted_public_line)
            (ssh_dir / "authorized_keys").write_text("\n".join(lines) + "\n")
        os.chmod(home, 0o755)
        os.chmod(ssh_dir, 0o700)
        for path in (home, ssh_dir, *ssh_dir.iterdir()):
            os.chown(path, uid, uid)
    return uids
