"""Shared fixtures: the real-server harnesses live in tests/harness/."""

pytest_plugins = ["tests.harness.sshd", "tests.harness.hosts"]
