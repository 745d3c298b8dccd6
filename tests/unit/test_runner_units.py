"""Pure pieces of the runner: /etc/hosts merging, listener parsing, package queries,
repository names, template errors, command sets per family, error messages."""

from __future__ import annotations

import jinja2
import pytest

from kxconsole.connector import ConnectionConfig, ExecResult, LocalConnector
from kxconsole.errors import CommandError, TemplateError, ValidationError
from kxconsole.runner.families import os_family, package_info_for, service_info_for
from kxconsole.runner.models import Facts, InitSystemType, PackageManagerType
from kxconsole.runner.ops_archives import archive_kind, download_archive_path
from kxconsole.runner.ops_core import Put, command_error
from kxconsole.runner.ops_net import listening_ports, update_hosts_text
from kxconsole.runner.ops_packages import installed_set, repository_file_name
from kxconsole.runner.render import render_to_string

APT = package_info_for(PackageManagerType.APT)
DNF = package_info_for(PackageManagerType.DNF)


# ---- /etc/hosts -----------------------------------------------------------------------------

def test_hosts_append_update_and_noop() -> None:
    text = "127.0.0.1 localhost\n# a comment\n"
    added = update_hosts_text(text, "10.0.0.5", ["n1.example.com", "n1"])
    assert added == "127.0.0.1 localhost\n# a comment\n10.0.0.5\tn1.example.com n1\n"
    assert update_hosts_text(added, "10.0.0.5", ["n1", "n1.example.com"]) is None
    renamed = update_hosts_text(added, "10.0.0.5", ["n2"])
    assert renamed is not None and renamed.count("10.0.0.5") == 1
    assert "10.0.0.5\tn2 n1.example.com n1" in renamed


def test_hosts_comment_lines_are_not_entries() -> None:
    text = "# 10.0.0.5 old\n"
    assert update_hosts_text(text, "10.0.0.5", ["n1"]) == "# 10.0.0.5 old\n10.0.0.5\tn1\n"


# ---- listeners ------------------------------------------------------------------------------

SS = """ss
LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*
LISTEN 0      128          0.0.0.0:22        0.0.0.0:*
LISTEN 0      511             [::]:8080         [::]:*
LISTEN 0      5                  *:9000            *:*
"""
SS_WITH_HEADER = "ss\nState Recv-Q Send-Q Local Address:Port Peer Address:Port\n" + SS[3:]
PROC = """proc
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid
   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0
   1: 0100007F:1F90 0100007F:A0B2 01 00000000:00000000 00:00000000 00000000     0
  sl  local_address                         remote_address                        st
   0: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A
"""


@pytest.mark.parametrize("text", [SS, SS_WITH_HEADER])
def test_listeners_from_ss(text: str) -> None:
    assert listening_ports(text) == {53, 22, 8080, 9000}


def test_listeners_from_proc_skip_established() -> None:
    # 0x0CEA = 3306 listening; 0x1F90 = 8080 is an established connection; 0x1F91 on v6
    assert listening_ports(PROC) == {3306, 8081}


# ---- packages and repositories --------------------------------------------------------------

def test_dpkg_states() -> None:
    out = (
        "a\tinstall ok installed\t1.0\nb\tdeinstall ok config-files\t1.0\n"
        "c\tinstall ok half-installed\t1.0\nd\thold ok installed\t2.3-1\n"
    )
    assert installed_set(APT, ["a", "b", "c", "d", "e", "d=2.*", "d=3*"], out) == {
        "a", "d", "d=2.*"
    }


def test_rpm_answers() -> None:
    out = "bash\t5.1\npackage nginx is not installed\n"
    assert installed_set(DNF, ["bash", "nginx"], out) == {"bash"}
    assert installed_set(DNF, ["bash"], "") == set()  # no answer at all: nothing known


def test_repository_names_are_deterministic() -> None:
    line = "deb http://x stable main\n"
    assert repository_file_name(APT, line, None) == repository_file_name(APT, line, None)
    assert repository_file_name(APT, line, "/root/docker.list") == "docker.list"
    assert repository_file_name(APT, line, "/root/docker") == "docker.list"
    assert repository_file_name(DNF, "[epel]\nbaseurl=x\n", None) == "epel.repo"
    with pytest.raises(ValidationError):
        repository_file_name(DNF, "[bad id]\nx=1\n", None)


# ---- archives -------------------------------------------------------------------------------

def test_archive_kinds_and_download_path() -> None:
    assert archive_kind("/x/A.TAR.GZ") == ".tar.gz"
    assert archive_kind("a.tgz") == ".tgz"
    with pytest.raises(ValidationError):
        archive_kind("a.7z")
    path = download_archive_path("https://h/rel/etcd-v3.tar.gz?x=1", "/opt/etcd/")
    assert path == "/opt/etcd/.kx-downloads/etcd-v3.tar.gz"
    with pytest.raises(ValidationError):
        download_archive_path("https://h/", "/opt")


def test_put_description_hides_content() -> None:
    described = Put("/etc/secret", b"password=hunter2", "0600", True).describe()
    assert "hunter2" not in described and "16 bytes" in described and "0600" in described


# ---- templates ------------------------------------------------------------------------------

def test_render_strict_and_line_numbers() -> None:
    assert render_to_string("port={{ port }}\n", {"port": 80}) == "port=80\n"
    with pytest.raises(TemplateError) as undefined:
        render_to_string("a\nb\nc={{ missing }}\nd\n", {})
    assert undefined.value.line == 3
    assert "missing" in undefined.value.message and "> 3 | c={{ missing }}" in (
        undefined.value.message
    )
    with pytest.raises(TemplateError) as syntax:
        render_to_string("a\n{% for x in %}\n{% endfor %}\n", {})
    assert syntax.value.line == 2 and "syntax error" in syntax.value.message


def test_render_template_object() -> None:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    template = env.from_string("x\n{{ y.z }}")
    assert render_to_string(template, {"y": {"z": 1}}) == "x\n1"
    with pytest.raises(TemplateError) as err:
        render_to_string(template, {"y": {}})
    assert err.value.line == 2


# ---- families -------------------------------------------------------------------------------

def test_families() -> None:
    assert os_family("ubuntu") == "debian"
    assert os_family("almalinux", ["rhel", "centos", "fedora"]) == "rhel"
    assert os_family("arch") == ""
    yum = package_info_for(PackageManagerType.YUM)
    assert yum.update_cmd == "yum makecache" and "update" not in yum.install_cmd
    assert "upgrade" not in APT.update_cmd
    assert package_info_for(PackageManagerType.UNKNOWN).install_cmd == ""
    assert service_info_for(InitSystemType.SYSVINIT, "debian").enable_cmd.startswith("update-rc.d")
    assert service_info_for(InitSystemType.SYSVINIT, "centos").enable_cmd == "chkconfig {name} on"
    assert service_info_for(InitSystemType.SYSVINIT).daemon_reload_cmd == ""
    assert service_info_for(InitSystemType.SYSTEMD).daemon_reload_cmd == "systemctl daemon-reload"
    # copies: editing one host's facts does not change another's
    facts = Facts(package_manager=package_info_for(PackageManagerType.APT))
    facts.package_manager.install_cmd = "changed"
    assert package_info_for(PackageManagerType.APT).install_cmd != "changed"


# ---- errors ---------------------------------------------------------------------------------

def test_command_error_names_host_command_code_and_stderr_without_secrets() -> None:
    conn = LocalConnector(ConnectionConfig(host="h1", password="hunter2", name="web1"))
    res = ExecResult(stdout=b"", stderr=b"line1\nE: boom hunter2\n", exit_code=100, duration=0.1)
    err = command_error(conn, "echo hunter2 | apt-get install x", res, what="install x")
    assert isinstance(err, CommandError)
    assert err.host == "web1" and err.exit_code == 100
    assert "hunter2" not in err.message and "hunter2" not in err.command
    assert "web1" in err.message and "100" in err.message and "E: boom" in err.message


def test_hidden_command_error_keeps_neither_command_nor_output() -> None:
    conn = LocalConnector()
    res = ExecResult(stdout=b"token=abc", stderr=b"token=abc", exit_code=1, duration=0.0)
    err = command_error(conn, "echo token=abc; false", res, hidden=True)
    assert "abc" not in err.message and "abc" not in err.command
    assert err.stdout == b"" and err.stderr == b"" and err.exit_code == 1
