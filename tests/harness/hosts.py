"""Tier-2 harness: isolated test hosts with their own root filesystem (see test-hosts.md)."""
