"""Tier-1 harness: real OpenSSH sshd processes on loopback addresses (see test-hosts.md)."""
