"""Pure parsers, one per kind of probe output; ``kxconsole.runner.facts`` combines them.

Each takes text and returns a value, raising ValueError (with the reason) on output it cannot
read, so the caller can record a per-field error and keep the other facts."""

from kxconsole.runner.parsers.network import (
    parse_ifconfig,
    parse_ip_addr,
    parse_ip_route_get,
    parse_proc_net_fib_trie,
    parse_proc_net_if_inet6,
    parse_proc_net_ipv6_route,
    parse_proc_net_route,
    parse_sys_class_net,
)
from kxconsole.runner.parsers.os_release import (
    parse_key_values,
    parse_lsb_release,
    parse_os_release,
    parse_redhat_release,
)
from kxconsole.runner.parsers.system import (
    detect_firewall,
    parse_apparmor,
    parse_cpu_count,
    parse_cpu_list,
    parse_firewalld_state,
    parse_hostname,
    parse_meminfo,
    parse_selinux,
    parse_ufw_enabled,
    parse_uname,
)

__all__ = [
    "detect_firewall",
    "parse_apparmor",
    "parse_cpu_count",
    "parse_cpu_list",
    "parse_firewalld_state",
    "parse_hostname",
    "parse_ifconfig",
    "parse_ip_addr",
    "parse_ip_route_get",
    "parse_key_values",
    "parse_lsb_release",
    "parse_meminfo",
    "parse_os_release",
    "parse_proc_net_fib_trie",
    "parse_proc_net_if_inet6",
    "parse_proc_net_ipv6_route",
    "parse_proc_net_route",
    "parse_redhat_release",
    "parse_selinux",
    "parse_sys_class_net",
    "parse_ufw_enabled",
    "parse_uname",
]
