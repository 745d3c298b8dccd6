"""Load inventory files of any supported format, detected by content, into one Inventory.

Formats: native kxconsole YAML, kubexm ``Cluster`` YAML, Ansible YAML and Ansible INI. A bad
file never stops the others: :func:`load_inventories` returns the merged good files and one
:class:`InventoryError` per bad one (``path:line: what; fix``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from kxconsole.errors import InventoryError
from kxconsole.inventory.ansible import load_ansible_ini, load_ansible_yaml, looks_ini
from kxconsole.inventory.kubexm import load_kubexm, looks_kubexm
from kxconsole.inventory.model import Inventory
from kxconsole.inventory.native import load_native, looks_native
from kxconsole.inventory.raw import RawInventory
from kxconsole.inventory.resolve import merge, resolve
from kxconsole.inventory.sshconfig import SSHConfig, default_ssh_config_path
from kxconsole.inventory.yamlsrc import MarkedDict, error, load_yaml

Format = Literal["native", "kubexm", "ansible-yaml", "ansible-ini"]
_USE_DEFAULT = "~default~"


def default_inventory_path() -> Path:
    """The bundled ``local.yaml`` (this machine, local connector), in a source checkout
    (``<repo>/inventories``) or an installed wheel (``kxconsole/_bundled/inventories``)."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_bundled" / "inventories" / "local.yaml",
                      package.parent / "inventories" / "local.yaml"):
        if candidate.is_file():
            return candidate
    raise InventoryError(
        f"the bundled inventory local.yaml is missing (looked in {package / '_bundled'} and "
        f"{package.parent / 'inventories'}); reinstall kxconsole or pass -i FILE",
        path=str(package.parent / "inventories" / "local.yaml"),
    )


def parse_inventory_text(text: str, path: str) -> tuple[RawInventory, Format]:
    """Detect the format of one file's text and read it (raises InventoryError)."""
    if looks_ini(text):
        return load_ansible_ini(text, path), "ansible-ini"
    data = load_yaml(text, path)
    if data is None:
        raise error(path, None, "the inventory is empty", "add hosts: (see inventories/)")
    if isinstance(data, str) and "\n" in text.strip():
        return load_ansible_ini(text, path), "ansible-ini"  # bare host names, one per line
    if not isinstance(data, MarkedDict):
        raise error(path, 1, f"an inventory must be a mapping, not a {type(data).__name__}",
                    "start with hosts: (native), apiVersion: (kubexm) or a group (Ansible)")
    if looks_kubexm(data):
        return load_kubexm(data, path), "kubexm"
    if looks_native(data):
        return load_native(data, path), "native"
    return load_ansible_yaml(data, path), "ansible-yaml"


def load_inventory(path: str | os.PathLike[str], *,
                   ssh_config_path: str | os.PathLike[str] | None = _USE_DEFAULT) -> Inventory:
    """One file → Inventory; raises :class:`InventoryError` naming file and line."""
    inv, errors = load_inventories([str(path)], ssh_config_path=ssh_config_path)
    if errors:
        raise errors[0]
    return inv


def load_inventories(
    paths: list[str], *, ssh_config_path: str | os.PathLike[str] | None = _USE_DEFAULT
) -> tuple[Inventory, list[InventoryError]]:
    """Load and merge ``paths`` in order; bad files are reported, the good ones still load.

    ``ssh_config_path``: the ssh_config whose HostName/User/Port/IdentityFile/ProxyJump fill
    what the inventory leaves unset (default ``~/.ssh/config``; None to ignore it)."""
    if ssh_config_path == _USE_DEFAULT:
        ssh_config_path = default_ssh_config_path()
    ssh_config = SSHConfig.load(ssh_config_path)
    merged = Inventory()
    errors: list[InventoryError] = []
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            errors.append(error(path, None, f"cannot read the inventory: {reason}",
                                "check the path and its permissions"))
            continue
        try:
            raw, _ = parse_inventory_text(text, path)
            inv = resolve(raw, ssh_config)
        except InventoryError as exc:
            errors.append(exc)
            continue
        errors.extend(merge(merged, inv))
    return merged, errors
