"""LocalConnector: runs commands on this machine through an asyncio subprocess."""


class LocalConnector:
    pass
