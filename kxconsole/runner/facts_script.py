"""The facts script: one POSIX sh program that prints every probe as a tagged section.

Run as ``sh -c FACTS_SCRIPT`` by an unprivileged user (dash, bash, busybox ash). Output::

    @@kx:<section>          a section starts; its lines follow
    @@kx:rc <n>             exit status of the command a section ran (124 or 143: timed out)
    @@kx:end                the script reached its end (absent: the output was cut)

Why it looks the way it does:

- Forks are the cost: files are read with ``read`` (a builtin), commands are found with
  ``command -v`` (a builtin), and only probes that need a program run one. Every program that
  can block runs under ``timeout 3`` when ``timeout`` exists — ``hostname -f`` (resolver),
  ``ip`` (the kernel's rtnl lock can be held by a stuck driver), ``firewall-cmd`` (D-Bus) — so
  it cannot hang the gathering; ``uname`` is one syscall and runs bare. A ``timeout`` that is
  a symlink (busybox) is tried once, since busybox before 1.30 wants ``timeout -t 3``; GNU's
  (a plain file) is used without that extra process.
- ``/usr/sbin`` and ``/sbin`` are appended to PATH: an unprivileged SSH session on Debian does
  not have them, and ``ip``, ``getenforce``, ``nft``, ``iptables`` and ``service`` live there.
- The ``ip`` probes are routing-table lookups (``ip route get``): they send no packet.
- Without ``ip`` the script falls back to ``ifconfig -a``, then to ``/sys/class/net`` and
  ``/proc/net`` (``fib_trie`` for IPv4 addresses, ``if_inet6`` for IPv6), so minimal hosts
  still report interfaces, addresses and the default route.
"""

from __future__ import annotations

FACTS_SCRIPT = r"""
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
LC_ALL=C
export PATH LC_ALL
T=
IFS=:; set -f; set -- $PATH; set +f; unset IFS
for d; do
  [ -x "$d/timeout" ] || continue
  if [ -L "$d/timeout" ]; then
    if timeout 3 true 2>/dev/null; then T="timeout 3"
    elif timeout -t 3 true 2>/dev/null; then T="timeout -t 3"
    fi
  else T="timeout 3"
  fi
  break
done
has() { command -v "$1" >/dev/null 2>&1; }
tag() { printf '@@kx:%s\n' "$1"; }
run() {
  tag "$1"; shift
  $T "$@" 2>&1
  printf '@@kx:rc %s\n' "$?"
}
dump() {
  [ -r "$2" ] || return 1
  tag "$1"
  while IFS= read -r l || [ -n "$l" ]; do printf '%s\n' "$l"; done < "$2"
}
if [ -s /etc/os-release ]; then dump os-release /etc/os-release
elif [ -s /usr/lib/os-release ]; then dump os-release /usr/lib/os-release
else
  dump system-release /etc/system-release || dump system-release /etc/redhat-release
  dump lsb-release /etc/lsb-release
fi
tag uname
uname -r -m 2>&1
printf '@@kx:rc %s\n' "$?"
dump kernel-hostname /proc/sys/kernel/hostname
has hostname && run hostname-f hostname -f
tag meminfo
while read -r k v u; do
  [ "$k" = MemTotal: ] && { printf '%s %s %s\n' "$k" "$v" "$u"; break; }
done < /proc/meminfo
if ! dump cpu-online /sys/devices/system/cpu/online; then
  tag cpuinfo-count
  n=0
  while read -r k _; do [ "$k" = processor ] && n=$((n + 1)); done < /proc/cpuinfo
  printf '%s\n' "$n"
fi
tag commands
for c in apt-get dnf yum systemctl service ip ifconfig getenforce firewall-cmd ufw nft iptables
do has "$c" && printf '%s\n' "$c"; done
tag paths
for p in /run/systemd/system /etc/init.d; do [ -e "$p" ] && printf '%s\n' "$p"; done
if has ip; then
  run ip4-route ip -4 route get 1.1.1.1
  run ip6-route ip -6 route get 2001:4860:4860::8888
  run ip-addr ip addr show
else
  dump proc-net-route /proc/net/route
  dump proc-net-ipv6-route /proc/net/ipv6_route
  if has ifconfig; then run ifconfig ifconfig -a
  else
    dump proc-net-if-inet6 /proc/net/if_inet6
    dump proc-net-fib-trie /proc/net/fib_trie
    tag sys-class-net
    for d in /sys/class/net/*; do
      [ -r "$d/flags" ] || continue
      read -r f < "$d/flags"; a=; [ -r "$d/address" ] && read -r a < "$d/address"
      printf '%s %s %s\n' "${d##*/}" "$f" "$a"
    done
  fi
fi
if [ -r /sys/fs/selinux/enforce ]; then dump selinux-enforce /sys/fs/selinux/enforce
elif has getenforce; then run getenforce getenforce
fi
dump apparmor /sys/module/apparmor/parameters/enabled
has firewall-cmd && run firewalld firewall-cmd --state
dump ufw-conf /etc/ufw/ufw.conf
tag end
"""
