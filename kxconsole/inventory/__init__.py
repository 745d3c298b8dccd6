"""Inventories: hosts, groups and vars from native YAML, kubexm, Ansible and ~/.ssh/config.

    inv, errors = load_inventories(["fleet.yaml", "cluster.yaml"])   # bad files in errors
    conn = connector_for(inv.hosts["node1"], inv, secret_store_for(config), config)
"""

from kxconsole.inventory.connect import (
    connection_config_for,
    connector_for,
    secret_requests_for,
    secret_store_for,
)
from kxconsole.inventory.loader import default_inventory_path, load_inventories, load_inventory
from kxconsole.inventory.model import Group, Host, Inventory

__all__ = [
    "Group",
    "Host",
    "Inventory",
    "connection_config_for",
    "connector_for",
    "default_inventory_path",
    "load_inventories",
    "load_inventory",
    "secret_requests_for",
    "secret_store_for",
]
