"""The runner: operator intent → shell commands on one host, through a connector."""

from kxconsole.runner.facts import FACTS_SCRIPT
from kxconsole.runner.models import (
    Change,
    Facts,
    InitSystemType,
    Interface,
    OSInfo,
    PackageInfo,
    PackageManagerType,
    ServiceInfo,
)
from kxconsole.runner.runner import Runner

__all__ = [
    "FACTS_SCRIPT",
    "Change",
    "Facts",
    "InitSystemType",
    "Interface",
    "OSInfo",
    "PackageInfo",
    "PackageManagerType",
    "Runner",
    "ServiceInfo",
]
