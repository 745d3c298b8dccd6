"""The Runner (see runner-contract.md)."""


class Runner:
    """Stateless host operations; every method takes the connector first."""
