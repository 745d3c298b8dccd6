"""Time to load a generated 5,000-host inventory in each format (target: well under 1 s).

Run: ``python3 bench/inventory.py``. Each inventory is written twice: with host ranges
(``node[0001-5000]``, how large fleets are usually written) and with one entry per host (the
worst case for the parser). Also times applying an ssh_config to every host, and prints
asyncssh's own ssh_config parser side by side (the reason kxconsole has a small one).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kxconsole.inventory.loader import load_inventories

N = 5000
GROUPS = 10  # hosts spread over this many groups, nested under "fleet"


def ip(i: int) -> str:
    return f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"


def per_group(i: int) -> tuple[int, int]:
    size = N // GROUPS
    return i * size + 1, (i + 1) * size


def native(ranged: bool) -> str:
    lines = ["defaults: {user: ops, vars: {dc: eu1}}", "hosts:"]
    if ranged:
        for g in range(GROUPS):
            a, b = per_group(g)
            lines.append(f"  node[{a:04d}-{b:04d}]: {{groups: [g{g}], vars: {{tier: app}}}}")
    else:
        lines += [f"  node{i:04d}: {{address: {ip(i)}, groups: [g{(i - 1) * GROUPS // N}]}}"
                  for i in range(1, N + 1)]
    lines += ["groups:", "  fleet: {protected: true, children: [" +
              ", ".join(f"g{g}" for g in range(GROUPS)) + "]}"]
    return "\n".join(lines) + "\n"


def kubexm(ranged: bool) -> str:
    lines = ["apiVersion: kubexms.io/v1alpha1", "kind: Cluster", "spec:",
             "  global: {user: kubexm, port: 22}", "  hosts:"]
    lines += [f"  - {{name: node{i:04d}, address: {ip(i)}, internalAddress: {ip(i)}}}"
              for i in range(1, N + 1)]  # kubexm lists every host; ranges are in roleGroups
    lines.append("  roleGroups:")
    for g in range(GROUPS):
        a, b = per_group(g)
        members = f'["node[{a:04d}:{b:04d}]"]' if ranged else \
            "[" + ", ".join(f"node{i:04d}" for i in range(a, b + 1)) + "]"
        lines.append(f"    g{g}: {members}")
    return "\n".join(lines) + "\n"


def ansible_yaml(ranged: bool) -> str:
    lines = ["all:", "  vars: {ansible_user: ops}", "  children:"]
    for g in range(GROUPS):
        a, b = per_group(g)
        lines += [f"    g{g}:", "      hosts:"]
        if ranged:
            lines.append(f'        "node[{a:04d}:{b:04d}]":')
        else:
            lines += [f"        node{i:04d}: {{ansible_host: {ip(i)}}}" for i in range(a, b + 1)]
    return "\n".join(lines) + "\n"


def ansible_ini(ranged: bool) -> str:
    lines = []
    for g in range(GROUPS):
        a, b = per_group(g)
        lines.append(f"[g{g}]")
        if ranged:
            lines.append(f"node[{a:04d}:{b:04d}]")
        else:
            lines += [f"node{i:04d} ansible_host={ip(i)}" for i in range(a, b + 1)]
    lines += ["[all:vars]", "ansible_user=ops"]
    return "\n".join(lines) + "\n"


FORMATS: dict[str, Callable[[bool], str]] = {
    "native": native, "kubexm": kubexm, "ansible-yaml": ansible_yaml, "ansible-ini": ansible_ini,
}


def best_of(runs: int, fn: Callable[[], object]) -> float:
    """Best CPU time of ``runs`` calls: on a shared machine, wall time mostly measures the
    other processes (the wall time of the best run is printed at the end for reference)."""
    times = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def yaml_only(path: Path) -> object:
    import yaml

    return yaml.load(path.read_text(), Loader=yaml.CSafeLoader)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="kx-bench-"))
    ssh_config = tmp / "ssh_config"
    ssh_config.write_text("Host node1*\n  Port 2222\nHost *.example\n  User x\n"
                          "Host *\n  IdentityFile ~/.ssh/id_ed25519\n")
    print(f"load {N} hosts ({GROUPS} groups), best of 3, CPU seconds; 'yaml only' is PyYAML's "
          "C loader alone on the one-per-host file (the floor for YAML formats)")
    print(f"{'format':<14}{'ranges':>9}{'one per host':>14}{'+ ssh_config':>14}"
          f"{'yaml only':>11}{'file KiB':>10}")
    for name, make in FORMATS.items():
        row = []
        for ranged in (True, False):
            path = tmp / f"{name}-{'r' if ranged else 'e'}.{'ini' if 'ini' in name else 'yaml'}"
            path.write_text(make(ranged))
            inv, errors = load_inventories([str(path)], ssh_config_path=None)
            assert not errors and len(inv.hosts) == N, (name, errors, len(inv.hosts))
            row.append(best_of(3, lambda p=path: load_inventories([str(p)],
                                                                  ssh_config_path=None)))
        with_ssh = best_of(3, lambda p=path: load_inventories([str(p)],
                                                              ssh_config_path=ssh_config))
        size = path.stat().st_size / 1024
        floor = "-" if "ini" in name else f"{best_of(3, lambda p=path: yaml_only(p)):.3f}"
        print(f"{name:<14}{row[0]:>9.3f}{row[1]:>14.3f}{with_ssh:>14.3f}{floor:>11}"
              f"{size:>10.0f}")

    from asyncssh.config import SSHClientConfig

    from kxconsole.inventory.sshconfig import SSHConfig

    def kx_lookups() -> None:
        parsed = SSHConfig.load(ssh_config)  # read once, matched per host
        for i in range(N):
            parsed.lookup(f"node{i:04d}")

    ours = best_of(3, kx_lookups)
    theirs = best_of(1, lambda: [SSHClientConfig.load(None, ssh_config, False, False, False,
                                                      "root", (), f"node{i:04d}", ())
                                 for i in range(N)])
    print(f"ssh_config for {N} hosts: kxconsole {ours:.3f} s, asyncssh parser (re-reads the "
          f"file per host) {theirs:.3f} s ({theirs / ours:.0f}x)")
    wall = time.perf_counter()
    load_inventories([str(tmp / "native-r.yaml")], ssh_config_path=None)
    print(f"wall time of one native ranged load: {time.perf_counter() - wall:.3f} s "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
