"""The ``kxconsole`` command: the console by default, headless subcommands for scripts.

    kxconsole [-i FILE ...] [FILE ...]          open the console (default: bundled local.yaml)
    kxconsole inventory [-i FILE ...] [--json]  hosts and groups; bad files on stderr, exit 1
    kxconsole config [--json]                   every effective setting and where it came from

Global flags (any position): ``--config FILE``, ``--theme``, ``--fanout``, ``--read-only``,
``--host-key-policy``, ``-i/--inventory``. Textual is imported only when the console opens.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from typing import Any

from kxconsole import __version__
from kxconsole.errors import ConfigError, KxError
from kxconsole.secrets import MASK

SUBCOMMANDS = {
    "inventory": "print the hosts and groups of the inventories (table or --json)",
    "config": "print every effective setting and its source (secrets masked)",
}
_VALUE_FLAGS = {"-i", "--inventory", "--theme", "--fanout", "--host-key-policy", "--config"}
_SECRET_VAR = re.compile(r"pass|secret|token|credential", re.IGNORECASE)


def _global_flags() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("settings (flags > KXCONSOLE_* env > config file > defaults)")
    g.add_argument("-i", "--inventory", action="append", default=[], metavar="FILE",
                   help="inventory file (native, kubexm Cluster, Ansible YAML/INI); repeatable")
    g.add_argument("--config", metavar="FILE", help="config file (default: "
                   "$XDG_CONFIG_HOME/kxconsole/config.yaml)")
    g.add_argument("--theme", help="console theme (default kx-dark)")
    g.add_argument("--fanout", type=int, metavar="N", help="hosts acted on at once")
    g.add_argument("--read-only", action="store_true", default=None,
                   help="refuse every action that changes a host")
    g.add_argument("--host-key-policy", choices=["strict", "accept-new"],
                   help="unknown host keys: refuse (strict) or record (accept-new)")
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kxconsole",
        parents=[_global_flags()],
        description="Keyboard-driven console for a fleet of Linux hosts.\n"
        "Without a subcommand, opens the console on the given inventories\n"
        "(default: the bundled local inventory, this machine without SSH).",
        epilog="subcommands:\n" + "\n".join(f"  {n:<10} {h}" for n, h in SUBCOMMANDS.items())
        + "\n\nrun 'kxconsole SUBCOMMAND --help' for its options",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kxconsole {__version__}")
    parser.add_argument("files", nargs="*", metavar="FILE", help="inventory files, like -i")
    return parser


def build_subparser(name: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"kxconsole {name}", parents=[_global_flags()],
                                     description=SUBCOMMANDS[name])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def _find_subcommand(argv: list[str]) -> int | None:
    """Index of the subcommand word, skipping the values of flags that take one."""
    skip = False
    for index, arg in enumerate(argv):
        if skip:
            skip = False
        elif arg in _VALUE_FLAGS:
            skip = True
        elif arg == "--":
            return None
        elif not arg.startswith("-"):
            return index if arg in SUBCOMMANDS else None
    return None


def main(argv: list[str] | None = None) -> int:
    from kxconsole.secrets import install_log_redaction

    install_log_redaction()  # revealed secrets never reach a log line, console or headless
    args_list = list(sys.argv[1:] if argv is None else argv)
    at = _find_subcommand(args_list)
    if at is None:
        args = build_parser().parse_args(args_list)
        command = "console"
    else:
        command = args_list.pop(at)
        args = build_subparser(command).parse_args(args_list)
    inventories = [*args.inventory, *getattr(args, "files", [])]
    overrides = {"inventories": inventories or None, "theme": args.theme,
                 "fanout": args.fanout, "read_only": args.read_only,
                 "host_key_policy": args.host_key_policy}
    from kxconsole.config import load_config

    try:
        config = load_config(overrides, path=args.config)
    except KxError as exc:
        print(f"kxconsole: {exc.message}", file=sys.stderr)
        return 2
    if command == "inventory":
        return _inventory(config, args.json)
    if command == "config":
        return _config(config, args.json)
    return _console(config)


def _console(config: Any) -> int:
    try:
        # imported here: Textual loads only when the console opens
        run_console = importlib.import_module("kxconsole.tui.app").run_console
    except (ImportError, AttributeError) as exc:
        print(f"kxconsole: the console is not available in this build ({exc}); the headless "
              "subcommands work: kxconsole inventory, kxconsole config", file=sys.stderr)
        return 1
    result: int = run_console(config)
    return result


# ---- kxconsole inventory ---------------------------------------------------------------


def _inventory(config: Any, as_json: bool) -> int:
    from kxconsole.inventory.loader import load_inventories

    inv, errors = load_inventories(list(config.inventories))
    hosts = [_host_row(h) for h in inv.hosts.values()]
    groups: list[dict[str, Any]] = [
        {"name": g.name, "hosts": inv.group_hosts(g.name), "children": g.children,
         "protected": g.protected, "vars": _mask_vars(g.vars), "source": g.source}
        for g in inv.groups.values()
    ]
    if as_json:
        from kxconsole.secrets import kx_json_default

        doc = {"sources": inv.sources, "fanout": inv.fanout, "hosts": hosts, "groups": groups,
               "errors": [{"path": e.path, "line": e.line, "message": e.message}
                          for e in errors]}
        print(json.dumps(doc, indent=2, default=kx_json_default))
    else:
        columns = ["name", "address", "port", "user", "connector", "groups", "protected",
                   "bastion", "key", "password", "sudo_password"]
        _table([{k: _cell(row[k]) for k in columns} for row in hosts], columns)
        if groups:
            print()
            _table([{"group": g["name"], "hosts": str(len(g["hosts"])),
                     "children": _cell(g["children"]), "protected": _cell(g["protected"])}
                    for g in groups], ["group", "hosts", "children", "protected"])
    for e in errors:
        print(e.message, file=sys.stderr)
    return 1 if errors else 0


def _host_row(h: Any) -> dict[str, Any]:
    return {"name": h.name, "address": h.target, "port": h.port, "user": h.user,
            "connector": h.connector, "groups": h.groups, "protected": h.protected,
            "bastion": h.bastion, "key": h.private_key_path,
            "password": MASK if h.password_secret else None,
            "sudo_password": MASK if h.sudo_password_secret else None,
            "private_key": MASK if h.private_key_secret else None,
            "max_sessions": h.max_sessions, "labels": h.labels, "vars": _mask_vars(h.vars),
            "source": h.source}


def _mask_vars(values: dict[str, Any]) -> dict[str, Any]:
    """Vars whose names say they are secret are masked (``db_password: ********``)."""
    return {k: MASK if _SECRET_VAR.search(k) else v for k, v in values.items()}


def _cell(value: Any) -> str:
    if value is None or value == [] or value is False:
        return "-"
    if value is True:
        return "yes"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _table(rows: list[dict[str, str]], columns: list[str]) -> None:
    widths = {c: max([len(c), *(len(r[c]) for r in rows)]) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip())
    for r in rows:
        print("  ".join(r[c].ljust(widths[c]) for c in columns).rstrip())


# ---- kxconsole config ------------------------------------------------------------------


def _config(config: Any, as_json: bool) -> int:
    rows = config.effective()
    if as_json:
        from kxconsole.secrets import kx_json_default

        doc = {"path": config.path,
               "settings": {n: {"value": v, "source": s} for n, v, s in rows}}
        print(json.dumps(doc, indent=2, default=kx_json_default))
        return 0
    print(f"config file: {config.path or '(none)'}")
    _table([{"setting": n, "value": _cell(v) if v is not False else "false", "source": s}
            for n, v, s in rows], ["setting", "value", "source"])
    return 0


__all__ = ["ConfigError", "build_parser", "main"]


if __name__ == "__main__":
    sys.exit(main())
