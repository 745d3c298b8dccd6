"""The ``kxconsole`` command: the console by default, headless subcommands for scripts."""

from __future__ import annotations

import argparse
import sys

from kxconsole import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kxconsole",
        description="Keyboard-driven console for a fleet of Linux hosts. "
        "Without a subcommand, opens the console on the given inventories "
        "(default: the bundled local inventory, this machine without SSH).",
    )
    parser.add_argument("--version", action="version", version=f"kxconsole {__version__}")
    parser.add_argument(
        "-i",
        "--inventory",
        action="append",
        default=[],
        metavar="FILE",
        help="inventory file (native, kubexm Cluster, Ansible YAML/INI); repeatable",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    parser.parse_args(argv)
    print("the console is not built yet", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
