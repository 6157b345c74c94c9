"""The deployment files in deploy/ say what the code does: generated configs match, commands exist.

Operators copy these files; a unit test keeps them from drifting from the launcher
(``tutor school``), the CLI and the settings. HAProxy itself checks the configurations.
"""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess

import pytest
import yaml

from tutor.cli import main
from tutor.school.haproxy import haproxy_config
from tutor.settings import PROJECT_ROOT, Settings

DEPLOY = PROJECT_ROOT / "deploy"
CONFIGS = {
    "haproxy.cfg": haproxy_config(front_port=8501, apps=["127.0.0.1:8601", "127.0.0.1:8602"], stats_port=8404),
    "haproxy-compose.cfg": haproxy_config(front_port=8501, apps=["app1:8501", "app2:8501"], stats_port=8404,
                                          bind="0.0.0.0", stats_bind="0.0.0.0"),
}


def _tutor_command_exists(words: list[str]) -> bool:
    return words[0].endswith("tutor") and words[1] in main.commands


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_the_shipped_haproxy_configurations_are_the_generated_ones_and_valid(name):
    assert (DEPLOY / name).read_text() == CONFIGS[name]
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not shutil.which(haproxy):
        pytest.skip("HAProxy is not installed (Debian package `haproxy`; `make test` installs it)")
    if name == "haproxy.cfg":  # the compose one names container hosts that only resolve inside compose
        check = subprocess.run([haproxy, "-c", "-f", str(DEPLOY / name)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_the_procfile_runs_the_launchers_commands():
    lines = dict(line.split(": ", 1) for line in (DEPLOY / "Procfile").read_text().splitlines()
                 if line and not line.startswith("#"))
    assert set(lines) == {"chroma", "worker", "app1", "app2", "haproxy"}
    assert shlex.split(lines["chroma"])[:2] == ["chroma", "run"]
    assert _tutor_command_exists(shlex.split(lines["worker"]))
    for app in ("app1", "app2"):
        assert shlex.split(lines[app])[:3] == ["python", "-m", "tutor.ui.serve"]  # the launcher's warm start
    assert "deploy/haproxy.cfg" in lines["haproxy"]


def test_the_systemd_units_restart_and_run_existing_commands():
    for unit in (DEPLOY / "systemd").glob("*.service"):
        parsed = configparser.ConfigParser(interpolation=None, strict=False)
        parsed.read_string(unit.read_text())
        assert parsed["Service"]["Restart"] == "always" and parsed["Service"]["User"] == "tutor"
        words = shlex.split(parsed["Service"]["ExecStart"])
        assert words[0].startswith("/opt/tutor/.venv/bin/")
        if words[0].endswith("/tutor"):
            assert _tutor_command_exists(words)
    wanted = (DEPLOY / "systemd" / "tutor.target").read_text()
    assert all(name in wanted for name in ("tutor-chroma.service", "tutor-worker@1", "tutor-app@8601", "haproxy.service"))


def test_the_compose_file_wires_every_process_to_the_shared_engines():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"chroma", "redis", "worker", "app1", "app2", "haproxy"}
    for name in ("worker", "app1", "app2"):
        env = services[name]["environment"]
        assert env["TUTOR_CHROMA_URL"] == "http://chroma:8000" and env["TUTOR_JOBS_URL"].startswith("redis://redis:")
        assert env["TUTOR_JOBS_IN_APP"] == "false"
    assert _tutor_command_exists(services["worker"]["command"])
    assert services["chroma"]["command"][:2] == ["chroma", "run"]
    mounted = services["haproxy"]["volumes"][0].split(":")[0]
    assert (DEPLOY / mounted).exists()


def test_the_example_settings_name_only_real_settings():
    names = re.findall(r"^#?\s*(TUTOR_[A-Z_]+)=", (DEPLOY / "school.env.example").read_text(), re.M)
    fields = {f"TUTOR_{name.upper()}" for name in Settings.model_fields}
    assert names and set(names) <= fields
