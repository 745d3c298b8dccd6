"""Inventories: hosts, groups and vars from native YAML, kubexm, Ansible and ~/.ssh/config."""
