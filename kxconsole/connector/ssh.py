"""SSHConnector: one asyncssh connection per host, sessions capped, reconnect on drop."""


class SSHConnector:
    pass
